"""Helpers of the browser tests (Playwright)."""

from __future__ import annotations

from playwright.sync_api import Page


def chart_pixels(
    page: Page, selector: str, colors: dict[str, tuple[int, int, int]]
) -> dict[str, int]:
    """How many pixels of the canvas under ``selector`` have each series' colour
    (anti-aliasing aside)."""
    counts = page.evaluate(
        """([selector, colors]) => {
            const canvas = document.querySelector(selector + ' canvas');
            if (!canvas || !canvas.width) return null;
            const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
            const out = {};
            for (const [name, [r, g, b]] of Object.entries(colors)) {
                let n = 0;
                for (let i = 0; i < data.length; i += 4) {
                    if (Math.abs(data[i] - r) < 12 && Math.abs(data[i + 1] - g) < 12 &&
                        Math.abs(data[i + 2] - b) < 12 && data[i + 3] > 200) n++;
                }
                out[name] = n;
            }
            return out;
        }""",
        [selector, {k: list(v) for k, v in colors.items()}],
    )
    assert counts is not None, f"{selector} has no canvas"
    return dict(counts)
