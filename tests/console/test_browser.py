"""The console in headless Chromium: login, focus on load, search by pinyin initials,
arrow keys, Enter copies the script, and no serious accessibility violations."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser

from tests.channels.web.browser import (
    SCREENSHOTS,
    chromium,
    run_axe,
    serious,
)

pytestmark = [pytest.mark.e2e, pytest.mark.browser]


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Debian's Chromium; a missing one fails the test (as in tests/channels/web), never skips."""
    with chromium() as b:
        yield b


@pytest.fixture(scope="module")
def console_url(stack) -> Iterator[str]:  # type: ignore[no-untyped-def]
    from tests.alerts.e2e_support import create_accounts

    create_accounts(stack)
    yield stack.app_url + "/operator"


def test_console_keyboard_search_and_copy(browser: Browser, console_url: str) -> None:
    from playwright.sync_api import expect

    from tests.alerts.e2e_support import PASSWORD

    context = browser.new_context(
        viewport={"width": 1280, "height": 900}, locale="zh-CN", bypass_csp=True
    )
    try:
        context.grant_permissions(["clipboard-read", "clipboard-write"])
        page = context.new_page()
        page.goto(console_url)
        expect(page.locator("#username")).to_be_focused()
        page.fill("#username", "op1")
        page.fill("#password", PASSWORD)
        page.keyboard.press("Enter")

        search = page.locator("#q")
        expect(search).to_be_focused()  # keyboard first: focus on load
        search.type("zc")  # pinyin initials of 助餐
        first = page.locator("#results .result").first
        expect(first).to_be_visible(timeout=10_000)
        expect(first).to_have_attribute("aria-current", "true")
        assert "餐" in first.locator(".title").inner_text() + first.locator(".script").inner_text()
        expect(first.locator(".departments")).not_to_be_empty()

        count = page.locator("#results .result").count()
        assert count >= 2
        page.keyboard.press("ArrowDown")
        second = page.locator("#results .result").nth(1)
        expect(second).to_have_attribute("aria-current", "true")
        expect(first).not_to_have_attribute("aria-current", "true")
        page.keyboard.press("ArrowUp")
        expect(first).to_have_attribute("aria-current", "true")

        page.keyboard.press("Enter")
        expect(page.locator("#copied")).to_be_visible()
        clipboard = page.evaluate("navigator.clipboard.readText()")
        assert clipboard == first.locator(".script").inner_text().strip()

        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / "console.png"), full_page=False)
        violations = serious(run_axe(page))
        assert not violations, violations

        # Full pinyin and Chinese find the same kind of answer; sources carry dates.
        search.fill("")
        search.type("96110")
        expect(page.locator("#results .result").first).to_contain_text("96110")
        expect(page.locator("#results .sources").first).to_contain_text("S4")
    finally:
        context.close()
