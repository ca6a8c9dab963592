"""Helpers of the browser tests: Debian's Chromium, axe-core, in-page measurements."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

ROOT = Path(__file__).resolve().parents[3]
CHROMIUM = Path("/usr/bin/chromium")
AXE_JS = ROOT / "node_modules" / "axe-core" / "axe.min.js"
SCREENSHOTS = ROOT / "var" / "screenshots"
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


def missing_tools() -> str | None:
    """Why the browser tests cannot run here (None when they can)."""
    if not CHROMIUM.exists() and not shutil.which("chromium"):
        return "Debian's chromium is missing: run `make system-deps`"
    if not AXE_JS.exists():
        return "axe-core is missing: run `npm install` (or `make system-deps`)"
    return None


@contextmanager
def chromium() -> Iterator[Browser]:
    """Debian's Chromium, headless; a missing browser or axe-core fails the test, never skips."""
    reason = missing_tools()
    if reason:
        pytest.fail(reason)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def run_axe(page: Page) -> list[dict[str, Any]]:
    """Run axe-core on the page; returns the violations (AAA contrast and target size on)."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.add_script_tag(content=AXE_JS.read_text(encoding="utf-8"))
    result = page.evaluate(
        """async () => {
            const r = await axe.run(document, {
                resultTypes: ['violations'],
                rules: {
                    'color-contrast-enhanced': { enabled: true },
                    'target-size': { enabled: true },
                },
            });
            return r.violations.map(v => ({
                id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.slice(0, 5).map(n => n.target.join(' ')),
            }));
        }"""
    )
    return list(result)


def serious(violations: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [v for v in violations if v["impact"] in ("serious", "critical")]


# Computes, in the page, the contrast ratio of an element's text against the first opaque
# background found on it or its ancestors (WCAG relative luminance).
CONTRAST_JS = """
(el) => {
    const parse = (c) => {
        const m = c.match(/rgba?\\(([^)]+)\\)/);
        if (!m) return null;
        const p = m[1].split(/[ ,\\/]+/).filter(Boolean).map(Number);
        return { r: p[0], g: p[1], b: p[2], a: p.length > 3 ? p[3] : 1 };
    };
    const lum = ({ r, g, b }) => {
        const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
        return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
    };
    let bg = null;
    for (let n = el; n; n = n.parentElement) {
        const c = parse(getComputedStyle(n).backgroundColor);
        if (c && c.a >= 0.99) { bg = c; break; }
    }
    bg = bg || { r: 255, g: 255, b: 255, a: 1 };
    const fg = parse(getComputedStyle(el).color);
    const [hi, lo] = [lum(fg), lum(bg)].sort((a, b) => b - a);
    return { ratio: (hi + 0.05) / (lo + 0.05), fg: getComputedStyle(el).color,
             bg: `rgb(${bg.r}, ${bg.g}, ${bg.b})` };
}
"""

# Every visible control: buttons, links styled as buttons, inputs.
TARGETS_JS = """
() => Array.from(document.querySelectorAll('button, a[href], input, [role=switch]'))
    .filter(el => {
        const s = getComputedStyle(el);
        const r = el.getBoundingClientRect();
        return s.visibility !== 'hidden' && s.display !== 'none' && r.width > 0 && r.height > 0
            && !el.classList.contains('skip-link');
    })
    .map(el => {
        const r = el.getBoundingClientRect();
        return { id: el.id || el.className || el.tagName, text: (el.textContent || '').trim(),
                 width: r.width, height: r.height };
    })
"""


def horizontal_overflow(page: Page) -> int:
    """How many CSS pixels the page is wider than its viewport (0 means no h-scroll)."""
    return int(
        page.evaluate(
            "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
    )


def screenshot(page: Page, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / name
    page.screenshot(path=str(path), full_page=False)
    return path
