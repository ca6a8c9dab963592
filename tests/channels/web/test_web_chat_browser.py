"""The senior-mode web chat in real headless Chromium against the real Rasa server and app.

One stack per module (the last test stops and restarts Rasa). Assertions are on structure,
not on the dialogue's wording (the dialogue grows in parallel), except the greeting.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Route

from tests.channels.web.banner_rows import clear_banners, insert_banner, push_web_alert
from tests.channels.web.browser import (
    CONTRAST_JS,
    SCREENSHOTS,
    TARGETS_JS,
    chromium,
    horizontal_overflow,
    run_axe,
    screenshot,
    serious,
)
from tests.support.stack import Stack

pytestmark = [pytest.mark.e2e, pytest.mark.browser]

DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 360, "height": 740}
REPLY_TIMEOUT_MS = 45_000
MEASURED: dict[str, Any] = {}

# Records what would be read aloud instead of speaking.
SPEECH_STUB = """
window.__spoken = [];
if (window.speechSynthesis) {
    window.speechSynthesis.speak = (u) => {
        window.__spoken.push({ text: u.text, lang: u.lang });
        setTimeout(() => u.onend && u.onend(), 20);
    };
    window.speechSynthesis.cancel = () => {};
}
"""


@pytest.fixture(scope="module")
def web_stack(stack: Stack) -> Stack:
    """The session's one real stack (tests/conftest.py)."""
    return stack


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as b:
        yield b


@pytest.fixture(scope="module", autouse=True)
def write_measurements() -> Iterator[None]:
    yield
    if MEASURED:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / "web-measurements.json"
        previous = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
        for key, value in MEASURED.items():  # a partial run updates only what it measured
            if isinstance(value, dict) and isinstance(previous.get(key), dict):
                previous[key].update(value)
            else:
                previous[key] = value
        path.write_text(json.dumps(previous, ensure_ascii=False, indent=2), encoding="utf-8")


def new_context(browser: Browser, **options: Any) -> BrowserContext:
    """A fresh profile (empty localStorage). CSP is bypassed only so axe can be injected."""
    options.setdefault("viewport", DESKTOP)
    options.setdefault("locale", "zh-CN")
    options.setdefault("bypass_csp", True)
    context = browser.new_context(**options)
    context.add_init_script(SPEECH_STUB)
    return context


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    ctx = new_context(browser)
    yield ctx
    ctx.close()


def open_chat(context: BrowserContext, stack: Stack) -> Page:
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(stack.app_url + "/")
    page.wait_for_selector("#call:not([hidden])")
    page.js_errors = errors  # type: ignore[attr-defined]
    return page


@pytest.fixture
def page(context: BrowserContext, web_stack: Stack) -> Page:
    return open_chat(context, web_stack)


def bot_count(page: Page) -> int:
    return page.locator("#log .msg-bot").count()


def wait_reply(page: Page, before: int) -> None:
    page.wait_for_function(
        """n => document.querySelectorAll('#log .msg-bot').length > n
               && document.getElementById('typing').textContent === ''""",
        arg=before,
        timeout=REPLY_TIMEOUT_MS,
    )


def send(page: Page, text: str) -> None:
    before = bot_count(page)
    page.fill("#msg-input", text)
    page.press("#msg-input", "Enter")
    wait_reply(page, before)


def sender_id(page: Page) -> str:
    return str(page.evaluate("window.yinfaChat.state().sender_id"))


def assert_accessible(page: Page, where: str) -> None:
    violations = run_axe(page)
    MEASURED.setdefault("axe", {})[where] = [
        {"id": v["id"], "impact": v["impact"], "nodes": len(v["nodes"])} for v in violations
    ]
    bad = serious(violations)
    assert not bad, f"axe-core serious/critical violations at {where}: {bad}"


# ----------------------------------------------------------------------------------------


def test_greeting_gets_a_reply_announced_to_screen_readers(page: Page) -> None:
    assert page.locator("#intro").is_visible()
    send(page, "你好")
    bot = page.locator("#log .msg-bot").last
    assert "您好" in bot.locator(".msg-text").inner_text()
    assert page.locator("#log .msg-user").last.inner_text().strip().endswith("你好")
    assert page.locator("#msg-input").input_value() == ""
    assert not page.locator("#intro").is_visible()
    page.wait_for_function("document.getElementById('announcer').textContent.includes('您好')")
    assert page.get_attribute("#announcer", "aria-live") == "polite"
    # Every bot message has a read-aloud button; the turn has 有用/没用.
    assert bot.locator(".read-btn").is_visible()
    assert bot.locator(".feedback button").count() == 2
    assert_accessible(page, "after greeting (1280x800)")
    assert page.js_errors == []  # type: ignore[attr-defined]


def test_bot_buttons_are_big_buttons_that_send_their_payload(page: Page) -> None:
    send(page, "帮助")
    choices = page.locator("#log .msg-bot .btn-choice")
    assert choices.count() >= 2
    title = choices.first.inner_text().strip()
    before = bot_count(page)
    choices.first.click()
    wait_reply(page, before)
    assert page.locator("#log .msg-user").last.inner_text().strip().endswith(title)
    assert_accessible(page, "after help menu and a button (1280x800)")


def test_policy_answer_shows_its_source_under_the_answer(page: Page) -> None:
    send(page, "老年助餐都有哪些老人能去吃")
    answers = page.locator("#log .msg-bot")
    texts = answers.all_inner_texts()
    # The answer bubble itself carries "依据：…" (citations are not a bubble of their own).
    cited = [t for t in texts if "依据" in t]
    assert cited, texts
    assert any(len(t.split("依据")[0].strip()) > 5 for t in cited)


def test_topic_buttons_send_plain_questions(page: Page) -> None:
    topics = page.locator(".topics .btn-topic")
    assert [t.strip() for t in topics.all_inner_texts()] == ["助餐", "家里改造", "防骗", "找人工"]
    before = bot_count(page)
    page.get_by_role("button", name="找人工").click()
    wait_reply(page, before)
    assert page.locator("#log .msg-user").last.inner_text().strip().endswith("我要找人工")
    # The topics stay in reach at the bottom of the viewport on a desktop.
    box = topics.first.bounding_box()
    assert box is not None and box["y"] + box["height"] <= DESKTOP["height"]


def test_call_button_dials_the_hotline_from_settings(page: Page) -> None:
    call = page.locator("#call")
    assert call.get_attribute("href") == "tel:12345"
    assert "12345" in call.inner_text()


def test_font_size_switch_line_height_and_persistence(page: Page) -> None:
    send(page, "你好")
    text = page.locator("#log .msg-bot .msg-text").last

    def sizes() -> tuple[float, float]:
        fs, lh = text.evaluate(
            "el => [getComputedStyle(el).fontSize, getComputedStyle(el).lineHeight]"
        )
        return float(fs.removesuffix("px")), float(lh.removesuffix("px"))

    normal, normal_lh = sizes()
    page.get_by_role("button", name="特大字").click()
    assert page.get_attribute("#size-large", "aria-pressed") == "true"
    large, large_lh = sizes()
    MEASURED["font_px"] = {"normal": normal, "large": large}
    MEASURED["line_height_ratio"] = {"normal": normal_lh / normal, "large": large_lh / large}
    assert normal >= 24 and large >= 30
    assert normal_lh / normal >= 1.5 and large_lh / large >= 1.5
    # The smallest text anywhere on the page is still at least 24 px.
    smallest = page.evaluate(
        """() => Math.min(...Array.from(document.querySelectorAll('body *'))
            .filter(el => el.offsetParent !== null && el.childNodes.length
                    && Array.from(el.childNodes).some(n => n.nodeType === 3 && n.textContent.trim()))
            .map(el => parseFloat(getComputedStyle(el).fontSize)))"""
    )
    MEASURED["smallest_text_px_large"] = smallest
    assert smallest >= 30
    page.reload()
    page.wait_for_selector("#log .msg-bot")
    assert sizes()[0] == large
    page.get_by_role("button", name="大字", exact=True).click()
    assert sizes()[0] == normal


def test_text_contrast_is_at_least_7_to_1(page: Page, web_stack: Stack) -> None:
    insert_banner(
        f"sqlite:///{web_stack.app_db}",
        public_code="TEST01",
        title="小心冒充公检法的电话",
        body="对方让您转账，就是骗子。请挂掉电话。",
    )
    page.reload()
    page.wait_for_selector("#alert-banner:not([hidden])")
    send(page, "帮助")
    selectors = {
        "bot text": "#log .msg-bot .msg-text",
        "user text": "#log .msg-user .msg-text",
        "bot button": "#log .btn-choice",
        "topic button": ".btn-topic",
        "send button": "#send",
        "call button": "#call",
        "feedback button": ".feedback button",
        "read button": "#log .read-btn",
        "banner title": "#banner-title",
        "banner heading": "#banner-heading",
        "banner code": "#banner-code-line",
        "input": "#msg-input",
    }
    ratios: dict[str, float] = {}
    for name, selector in selectors.items():
        result = page.locator(selector).last.evaluate(CONTRAST_JS)
        ratios[name] = round(result["ratio"], 2)
        assert result["ratio"] >= 7, f"{name}: {result}"
    MEASURED["contrast"] = ratios
    clear_banners(f"sqlite:///{web_stack.app_db}")


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["1280x800", "360x740"])
@pytest.mark.parametrize("size", ["normal", "large"])
def test_every_control_is_at_least_60_by_60(
    browser: Browser, web_stack: Stack, viewport: dict[str, int], size: str
) -> None:
    context = new_context(browser, viewport=viewport)
    try:
        page = open_chat(context, web_stack)
        if size == "large":
            page.click("#size-large")
        send(page, "帮助")
        targets = page.evaluate(TARGETS_JS)
        assert len(targets) >= 12
        small = [t for t in targets if t["width"] < 60 or t["height"] < 60]
        key = f"{viewport['width']}x{viewport['height']} {size}"
        MEASURED.setdefault("smallest_control_px", {})[key] = {
            "width": round(min(t["width"] for t in targets), 1),
            "height": round(min(t["height"] for t in targets), 1),
            "controls": len(targets),
        }
        assert not small, small
        assert horizontal_overflow(page) == 0
        assert_accessible(page, f"help menu {key}")
    finally:
        context.close()


def test_conversation_survives_a_reload(page: Page) -> None:
    send(page, "你好")
    send(page, "帮助")
    sid = sender_id(page)
    texts = page.locator("#log .msg").all_inner_texts()
    page.reload()
    page.wait_for_selector("#log .msg-bot")
    assert page.locator("#log .msg").all_inner_texts() == texts
    assert sender_id(page) == sid
    assert not page.locator("#intro").is_visible()
    # The restored buttons still work and the conversation continues with the same sender.
    before = bot_count(page)
    page.locator("#log .btn-choice").first.click()
    wait_reply(page, before)


def test_feedback_is_stored_in_the_app_database(page: Page, web_stack: Stack) -> None:
    send(page, "你好")
    bot = page.locator("#log .msg-bot").last
    message_id = bot.get_attribute("data-message-id")
    assert message_id
    bot.get_by_role("button", name="有用").click()
    page.wait_for_selector("#log .msg-bot >> text=谢谢您")
    with sqlite3.connect(web_stack.app_db) as db:
        rows = db.execute(
            "SELECT message_id, useful, answer_text FROM feedback WHERE sender_id = ?",
            (f"web:{sender_id(page)}",),
        ).fetchall()
    assert rows == [(message_id, 1, rows[0][2])]
    assert "您好" in rows[0][2]
    # The thanks survive a reload: no second vote on the same answer.
    page.reload()
    page.wait_for_selector("#log .msg-bot")
    assert page.locator("#log .msg-bot").last.locator(".feedback button").count() == 0


def test_keyboard_only(page: Page) -> None:
    def focused() -> dict[str, Any]:
        return dict(
            page.evaluate(
                """() => { const el = document.activeElement; const s = getComputedStyle(el);
                    return { id: el.id, cls: el.className, text: (el.textContent||'').trim(),
                             outline: s.outlineStyle, width: parseFloat(s.outlineWidth) }; }"""
            )
        )

    # Tab through the header to the font switch and turn it on with the space bar.
    page.keyboard.press("Tab")
    first = focused()
    assert first["cls"] == "skip-link"
    for _ in range(10):
        page.keyboard.press("Tab")
        now = focused()
        assert now["outline"] != "none" and now["width"] >= 3, now  # visible focus
        if now["id"] == "size-large":
            break
    assert focused()["id"] == "size-large"
    page.keyboard.press("Space")
    assert page.get_attribute("#size-large", "aria-pressed") == "true"

    # On to the input, type, Enter.
    for _ in range(15):
        page.keyboard.press("Tab")
        if focused()["id"] == "msg-input":
            break
    assert focused()["id"] == "msg-input"
    before = bot_count(page)
    page.keyboard.type("帮助")
    page.keyboard.press("Enter")
    wait_reply(page, before)
    assert focused()["id"] == "msg-input"  # focus stays where the user types

    # Back (Shift+Tab) to a bot button and choose it with Enter.
    for _ in range(20):
        page.keyboard.press("Shift+Tab")
        if "btn-choice" in focused()["cls"]:
            break
    chosen = focused()
    assert "btn-choice" in chosen["cls"]
    before = bot_count(page)
    page.keyboard.press("Enter")
    wait_reply(page, before)
    assert page.locator("#log .msg-user").last.inner_text().strip().endswith(chosen["text"])


def test_read_aloud_and_auto_read(page: Page) -> None:
    assert page.get_attribute("#auto-read", "aria-checked") == "false"
    send(page, "你好")
    assert page.evaluate("window.__spoken") == []  # nothing plays by itself
    page.locator("#log .msg-bot").last.locator(".read-btn").click()
    spoken = page.evaluate("window.__spoken")
    assert spoken and spoken[-1]["lang"] == "zh-CN" and "您好" in spoken[-1]["text"]
    page.click("#auto-read")
    assert page.get_attribute("#auto-read", "aria-checked") == "true"
    count = len(page.evaluate("window.__spoken"))
    send(page, "你好")
    assert len(page.evaluate("window.__spoken")) > count


def test_voice_input_fills_the_box_where_available(browser: Browser, web_stack: Stack) -> None:
    context = new_context(browser)
    context.add_init_script(
        """window.SpeechRecognition = window.webkitSpeechRecognition = class {
            start() { setTimeout(() => {
                this.onresult({ results: [[{ transcript: '我想问老年助餐' }]] });
                this.onend(); }, 20); }
            stop() {}
        };"""
    )
    try:
        page = open_chat(context, web_stack)
        assert page.locator("#mic").is_visible()
        page.click("#mic")
        page.wait_for_function("document.getElementById('msg-input').value === '我想问老年助餐'")
        assert "我想问老年助餐" in page.inner_text("#voice-status")
    finally:
        context.close()


def test_voice_button_is_hidden_without_speech_recognition(
    browser: Browser, web_stack: Stack
) -> None:
    context = new_context(browser)
    context.add_init_script(
        "delete window.webkitSpeechRecognition; delete window.SpeechRecognition;"
    )
    try:
        page = open_chat(context, web_stack)
        assert page.locator("#mic").is_hidden()
    finally:
        context.close()


def test_alert_banner_on_load_and_by_polling(page: Page, web_stack: Stack) -> None:
    url = f"sqlite:///{web_stack.app_db}"
    clear_banners(url)
    page.clock.install()
    page.reload()
    page.wait_for_selector("#call:not([hidden])")
    assert page.locator("#alert-banner").is_hidden()
    insert_banner(url, public_code="TEST02", title="有人冒充社保局打电话", body="不要说验证码。")
    page.clock.run_for(61_000)
    page.wait_for_selector("#alert-banner:not([hidden])")
    assert page.inner_text("#banner-title") == "有人冒充社保局打电话"
    assert "TEST02" in page.inner_text("#banner-code-line")
    page.clock.run_for(1_000)  # the announcement is set on a short timer
    page.wait_for_function("document.getElementById('announcer').textContent.includes('防骗提醒')")
    clear_banners(url)


def test_live_stream_pushes_an_alert_into_the_conversation(page: Page, web_stack: Stack) -> None:
    url = f"sqlite:///{web_stack.app_db}"
    clear_banners(url)
    config = page.evaluate("fetch('/api/config').then(r => r.json())")
    assert config["events_url"] == "/api/events"
    sid = sender_id(page)
    insert_banner(url, public_code="TEST05", title="有人冒充银行打电话", body="不要转账。")
    push_web_alert(
        url,
        sender_id=sid,
        public_code="TEST05",
        messages=[{"text": "防骗提醒：有人冒充银行打电话。不要转账。", "buttons": []}],
    )
    pushed = page.locator("#log .msg-bot", has_text="冒充银行")
    pushed.wait_for(timeout=15_000)
    # The banner came with the push, long before the next 60-second poll.
    page.wait_for_selector("#alert-banner:not([hidden])", timeout=5_000)
    page.wait_for_function("document.getElementById('announcer').textContent.includes('冒充银行')")
    page.reload()
    page.wait_for_selector("#log .msg-bot")
    page.wait_for_timeout(3_000)  # give the stream time to (wrongly) send it again
    assert page.locator("#log .msg-bot", has_text="冒充银行").count() == 1
    clear_banners(url)


def test_200_percent_zoom_and_narrow_screens_do_not_scroll_sideways(
    browser: Browser, web_stack: Stack
) -> None:
    # 1280x800 at 200 % zoom is a 640x400 CSS-pixel viewport at device scale 2.
    context = new_context(browser, viewport={"width": 640, "height": 400}, device_scale_factor=2)
    try:
        page = open_chat(context, web_stack)
        send(page, "帮助")
        assert horizontal_overflow(page) == 0
        # On so short a viewport the dock scrolls with the page instead of covering it.
        assert page.evaluate("getComputedStyle(document.getElementById('dock')).position") == (
            "static"
        )
        page.click("#size-large")
        assert horizontal_overflow(page) == 0
        page.locator("#log .msg-bot").last.scroll_into_view_if_needed()
        screenshot(page, "web-640x400-zoom200-large.png")
        assert_accessible(page, "200% zoom, large font")
        page.set_viewport_size({"width": 320, "height": 568})
        assert horizontal_overflow(page) == 0
    finally:
        context.close()


def test_screenshots(browser: Browser, web_stack: Stack) -> None:
    url = f"sqlite:///{web_stack.app_db}"
    insert_banner(
        url,
        public_code="TEST03",
        title="小心冒充公检法的电话",
        body="对方让您转账，就是骗子。请挂掉电话，打12345问。",
    )
    try:
        for viewport, name in ((PHONE, "web-360x740"), (DESKTOP, "web-1280x800")):
            context = new_context(browser, viewport=viewport)
            try:
                page = open_chat(context, web_stack)
                page.wait_for_selector("#alert-banner:not([hidden])")
                screenshot(page, f"{name}-start.png")
                send(page, "你好")
                send(page, "帮助")
                page.evaluate("window.scrollTo(0, document.body.scrollHeight)")
                screenshot(page, f"{name}-chat.png")
                page.click("#size-large")
                page.evaluate("window.scrollTo(0, document.body.scrollHeight)")
                screenshot(page, f"{name}-large.png")
                assert horizontal_overflow(page) == 0
            finally:
                context.close()
    finally:
        clear_banners(url)


def test_page_works_under_its_own_csp_and_shows_a_typing_indicator(
    browser: Browser, web_stack: Stack
) -> None:
    context = new_context(browser, bypass_csp=False)
    try:
        page = open_chat(context, web_stack)
        held: list[Route] = []
        page.route("**/api/chat", lambda route: held.append(route))
        page.fill("#msg-input", "你好")
        page.press("#msg-input", "Enter")
        page.wait_for_function("document.getElementById('typing').textContent !== ''")
        assert page.locator("#typing").is_visible()
        assert page.get_attribute("#typing", "role") == "status"
        held[0].continue_()
        wait_reply(page, 0)
        assert page.locator("#typing").is_hidden()
        assert page.js_errors == []  # type: ignore[attr-defined]  # no CSP violation either
    finally:
        context.close()


def test_feedback_failure_is_said_plainly(page: Page) -> None:
    send(page, "你好")
    page.route("**/api/feedback", lambda route: route.abort())
    page.locator("#log .msg-bot").last.get_by_role("button", name="没用").click()
    page.wait_for_selector(".feedback-note")
    assert page.locator(".feedback button").count() == 2  # the user can try again


def test_network_error_keeps_the_text_and_offers_a_retry(page: Page) -> None:
    page.route("**/api/chat", lambda route: route.abort())
    log_before = page.locator("#log .msg").count()
    page.fill("#msg-input", "你好")
    page.press("#msg-input", "Enter")
    page.wait_for_selector("#error:not([hidden])")
    assert "12345" in page.inner_text("#error-text")
    assert page.input_value("#msg-input") == "你好"
    assert page.locator("#log .msg").count() == log_before
    assert page.evaluate("document.activeElement.id") == "retry"
    page.unroute("**/api/chat")
    before = bot_count(page)
    page.click("#retry")
    wait_reply(page, before)
    assert page.locator("#error").is_hidden()
    assert page.input_value("#msg-input") == ""


def test_rasa_down_shows_the_servers_friendly_message_and_retry_works(
    page: Page, web_stack: Stack
) -> None:
    send(page, "你好")
    web_stack.rasa.stop()
    try:
        log_before = page.locator("#log .msg").count()
        page.fill("#msg-input", "帮助")
        page.press("#msg-input", "Enter")
        page.wait_for_selector("#error:not([hidden])", timeout=REPLY_TIMEOUT_MS)
        message = page.inner_text("#error-text")
        assert "12345" in message and "忙" in message  # the server's 503 text
        assert page.input_value("#msg-input") == "帮助"
        assert page.locator("#log .msg").count() == log_before
        page.evaluate("window.scrollTo(0, 0)")
        page.locator("#error").scroll_into_view_if_needed()
        screenshot(page, "web-1280x800-rasa-down.png")
        assert_accessible(page, "Rasa down, error shown")
    finally:
        web_stack.rasa.start()
        web_stack.wait_ready()
    before = bot_count(page)
    page.click("#retry")
    wait_reply(page, before)
    assert page.locator("#error").is_hidden()
    assert page.locator("#log .msg-bot .btn-choice").count() >= 2
