"""The insights page and the weekly summary in headless Chromium, against the real stack
(Rasa, the app, SQLite): residents' messages through /api/chat, plus a week of question-log
rows written into the table (the app dates its rows today), then the charts, the rates,
the unanswered queue and its marks (saved, audited, gone from the queue), the read-only
editor, and the printable weekly page as a PDF. Screenshots in var/screenshots/."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from tests.channels.web.browser import AXE_JS, SCREENSHOTS, chromium, run_axe, serious
from tests.support.browser import chart_pixels

pytestmark = [pytest.mark.e2e, pytest.mark.browser]

# Series colours of insights.js: web and WeChat per day; answered and referred shares.
DAILY_COLORS = {"web": (0x08, 0x4A, 0x8C), "wechat": (0x1A, 0x6B, 0x34)}
SHARE_COLORS = {"answered": (0x1A, 0x6B, 0x34), "referred": (0x08, 0x4A, 0x8C)}
# Unanswered questions of the simulated week: two groups of similar questions.
ELEVATOR = (
    "老楼加装电梯政府补多少钱",
    "加装电梯补贴有多少",
    "我们楼想装电梯能补钱不",
    "加装电梯补助标准",
)
WEATHER = ("阳泉明天下雨不", "今天阳泉天气咋样", "这两天阳泉会下雪吗")
ALERT_SUBSCRIBERS = ("insights-sub-1", "insights-sub-2", "insights-sub-3")
ALERT_TITLE = "冒充客服说退款"
PETS = ("养老院能带狗住吗", "住养老院让养猫不", "带着宠物能进养老院不")
LIVE_MESSAGES = ("老年助餐怎么报名", "阳泉明天下雨不", "加装电梯补贴有多少")


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as b:
        yield b


def _week_rows(today: dt.date) -> list[Any]:
    from tests.support.week_rows import Row

    rows = []
    for back in range(1, 7):
        day = today - dt.timedelta(days=back)
        rows += [Row(day, "answered", entry_id="meal-how-to-apply", feedback="helpful")] * back
        rows += [Row(day, "answered", channel="wechat", entry_id="meal-is-it-free")] * 2
        rows.append(Row(day, "answered", entry_id="meal-is-it-free", feedback="unhelpful"))
        rows.append(Row(day, "scam_warning", topic="scam", text="有人打电话让我转钱"))
    for i, text in enumerate(ELEVATOR * 2):
        rows.append(
            Row(today - dt.timedelta(days=1 + i % 6), "referred", text=text, topic="accessibility")
        )
    for i, text in enumerate(WEATHER * 2):
        rows.append(
            Row(
                today - dt.timedelta(days=1 + i % 6),
                "fallback",
                text=text,
                topic=None,
                channel="wechat",
            )
        )
    return rows


def _create_editor(stack: Any) -> None:
    from tests.alerts.e2e_support import PASSWORD

    out = subprocess.run(
        [sys.executable, "-m", "console", "accounts", "create", "editor1", "--role", "editor",
         "--password-stdin"],
        input=PASSWORD + "\n", env=stack.env, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert out.returncode == 0 or "taken" in out.stderr, out.stderr


def _say(stack: Any, sender: str, text: str) -> None:
    """One resident message; on this shared machine Rasa may be slow (503), so try again."""
    for _ in range(3):
        r = httpx.post(
            stack.app_url + "/api/chat", json={"sender_id": sender, "text": text}, timeout=60
        )
        if r.status_code != 503:
            break
        time.sleep(2)
    assert r.status_code == 200, r.text


def _publish_alert(stack: Any) -> None:
    """officer_a drafts, officer_b approves and publishes (the inline worker delivers)."""
    from tests.alerts.e2e_support import session

    with session(stack, "officer_a") as a:
        r = a.post(
            "/api/operator/alerts",
            json={
                "title": ALERT_TITLE,
                "scam_type": "other",
                "districts": [],
                "body": "有人冒充网店客服，说要给您退款，让您点链接、报验证码。别点，别报，挂电话。",
                "expires_at": (dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=3)).isoformat(),
            },
        )
        assert r.status_code == 201, r.text
        alert_id = r.json()["id"]
    with session(stack, "officer_b") as b:
        for step in ("approve", "publish"):
            assert b.post(f"/api/operator/alerts/{alert_id}/{step}").status_code == 200


@pytest.fixture(scope="module")
def insights_stack(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """The stack with accounts, a few live messages and a week of question-log rows."""
    from alerts import subscriptions
    from core.clock import TIMEZONE
    from core.database import Database
    from tests.alerts.e2e_support import create_accounts
    from tests.support.stack import Stack
    from tests.support.week_rows import insert

    stack = Stack(tmp_path_factory.mktemp("insights-stack"))
    try:
        stack.start(timeout=600)  # Rasa loads slowly on a busy machine
        create_accounts(stack)
        for i, text in enumerate(LIVE_MESSAGES):
            _say(stack, f"insights-{i}", text)
        db = Database(f"sqlite:///{stack.app_db}")
        db.open()
        insert(db, _week_rows(dt.datetime.now(TIMEZONE).date()))
        for user in ALERT_SUBSCRIBERS:
            subscriptions.subscribe(db, "web", user)
        db.dispose()
        _publish_alert(stack)
        yield stack
    finally:
        stack.stop()


def _login(context: BrowserContext, url: str, username: str) -> Page:
    from tests.alerts.e2e_support import PASSWORD

    page = context.new_page()
    page.goto(url + "/operator")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.keyboard.press("Enter")
    page.click("button[data-tab=insights]")
    expect(page.locator("#tab-insights")).to_have_attribute("data-loaded", "7", timeout=30_000)
    time.sleep(0.3)  # uPlot draws on the next animation frame
    return page


def _day_counts(stack: Any) -> dict[str, dict[str, int]]:
    from tests.alerts.e2e_support import query

    out: dict[str, dict[str, int]] = {}
    for day, channel, n in query(
        stack, "SELECT day, channel, count(*) FROM question_log GROUP BY day, channel"
    ):
        out.setdefault(str(day), {})[channel] = n
    return out


def _check_charts(page: Page, stack: Any) -> None:
    assert all(n > 30 for n in chart_pixels(page, "#ins-daily-chart", DAILY_COLORS).values())
    assert all(n > 30 for n in chart_pixels(page, "#ins-share-chart", SHARE_COLORS).values())
    page.locator("#ins-daily-chart ~ details summary").click()
    head = page.locator("#ins-daily-head th").all_inner_texts()
    shown = {}
    for tr in page.locator("#ins-daily-rows tr").all():
        cells = dict(zip(head, tr.locator("th, td").all_inner_texts(), strict=True))
        shown[cells["日期"]] = {
            "web": int(cells.get("网页", "0")),
            "wechat": int(cells.get("微信", "0")),
        }
    for day, by in _day_counts(stack).items():
        assert shown[day] == {"web": by.get("web", 0), "wechat": by.get("wechat", 0)}, day
    expect(page.locator("#ins-topic-rows")).to_contain_text("老年助餐")
    worst = page.locator("#ins-entry-rows tr").first
    expect(worst).to_contain_text("meal-is-it-free")  # one 没用 in three answers a day


def _audited(stack: Any, key: str) -> list[dict[str, Any]]:
    from tests.alerts.e2e_support import session

    with session(stack, "admin1") as admin:
        rows = admin.get("/api/operator/audit", params={"limit": 50}).json()
    return [r for r in rows if key in json.dumps(r, ensure_ascii=False)]


def _mark_two_clusters(page: Page, stack: Any) -> None:
    clusters = page.locator("#ins-queue .cluster")
    expect(clusters.first).to_be_visible()
    before = clusters.count()
    assert before >= 2
    texts = clusters.first.locator(".examples").inner_text() + clusters.nth(1).inner_text()
    assert any(t in texts for t in ELEVATOR + WEATHER), texts
    first = clusters.first.get_attribute("data-key") or ""
    clusters.first.get_by_role("button", name="不在范围").click()
    expect(page.locator(f'#ins-queue .cluster[data-key="{first}"]')).to_have_count(0)
    expect(page.locator("#ins-queue-status")).to_contain_text("不在服务范围")
    second = page.locator("#ins-queue .cluster").first
    key = second.get_attribute("data-key") or ""
    second.get_by_role("button", name="已由条目回答…").click()
    entry = second.get_by_label("条目编号")
    entry.fill("no-such-entry")  # a clear error, and the cluster stays
    second.get_by_role("button", name="确定").click()
    expect(second.locator(".error")).to_contain_text("条目编号")
    entry.fill("access-elevator-apply")
    second.get_by_role("button", name="确定").click()
    expect(page.locator(f'#ins-queue .cluster[data-key="{key}"]')).to_have_count(0)
    assert _audited(stack, first) and _audited(stack, key)
    assert "access-elevator-apply" in json.dumps(_audited(stack, key), ensure_ascii=False)
    page.reload()  # saved: the marked clusters stay out of the queue
    page.click("button[data-tab=insights]")
    expect(page.locator("#tab-insights")).to_have_attribute("data-loaded", "7", timeout=30_000)
    keys = [c.get_attribute("data-key") for c in page.locator("#ins-queue .cluster").all()]
    assert first not in keys and key not in keys


def test_insights_page_charts_queue_and_marks(browser: Browser, insights_stack) -> None:  # type: ignore[no-untyped-def]
    stack = insights_stack
    context = browser.new_context(viewport={"width": 1280, "height": 1400}, locale="zh-CN")
    context.add_init_script(path=str(AXE_JS))  # the page's strict CSP stays on
    try:
        page = _login(context, stack.app_url, "admin1")
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        _check_charts(page, stack)
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.locator("#ins-daily-chart ~ details summary").click()  # closed for the picture
        page.screenshot(path=str(SCREENSHOTS / "insights.png"), full_page=True)
        page.locator("#ins-daily-chart ~ details summary").click()
        violations = serious(run_axe(page))
        assert not violations, violations
        _mark_two_clusters(page, stack)
        page.select_option("#ins-days", "30")
        expect(page.locator("#tab-insights")).to_have_attribute("data-loaded", "30")
        expect(page.locator("#ins-export")).to_have_attribute(
            "href", "/api/operator/insights/export.csv?days=30"
        )
        assert not errors, errors
    finally:
        context.close()


def test_the_editor_reads_without_mark_buttons(browser: Browser, insights_stack) -> None:  # type: ignore[no-untyped-def]
    from core.clock import TIMEZONE
    from core.database import Database
    from tests.support.week_rows import Row, insert

    _create_editor(insights_stack)
    # A group of its own, so the admin's marks (the other test) leave the editor a queue.
    db = Database(f"sqlite:///{insights_stack.app_db}")
    db.open()
    today = dt.datetime.now(TIMEZONE).date()
    insert(
        db,
        [
            Row(today - dt.timedelta(days=2), "referred", text=t, topic="care_home")
            for t in PETS * 2
        ],
    )
    db.dispose()
    context = browser.new_context(viewport={"width": 1280, "height": 1000}, locale="zh-CN")
    context.add_init_script(path=str(AXE_JS))
    try:
        page = _login(context, insights_stack.app_url, "editor1")
        expect(page.locator("#ins-queue .cluster").first).to_be_visible()
        expect(page.locator("#ins-queue button")).to_have_count(0)
        expect(page.locator("button[data-tab=audit]")).to_be_hidden()
        violations = serious(run_axe(page))
        assert not violations, violations
    finally:
        context.close()


def test_weekly_summary_prints_to_pdf(browser: Browser, insights_stack) -> None:  # type: ignore[no-untyped-def]
    from tests.alerts.e2e_support import PASSWORD, query

    stack = insights_stack
    context = browser.new_context(viewport={"width": 1100, "height": 1400}, locale="zh-CN")
    context.add_init_script(path=str(AXE_JS))
    try:
        signed_in = context.request.post(
            stack.app_url + "/api/operator/login",
            data={"username": "admin1", "password": PASSWORD},
        )
        assert signed_in.ok, signed_in.text()
        page = context.new_page()
        page.goto(stack.app_url + "/operator/insights/weekly")
        expect(page.locator("body")).to_have_attribute("data-loaded", "true", timeout=30_000)
        ((messages,),) = query(stack, "SELECT count(*) FROM question_log")  # all within 7 days
        numbers = page.locator("#numbers > div")
        shown = {n.locator("dt").inner_text(): n.locator("dd").inner_text() for n in numbers.all()}
        assert shown["居民发来的消息"] == str(messages), shown
        expect(page.locator("#topics tr").first).to_contain_text("老年助餐")
        expect(page.locator("#days tr")).to_have_count(7)
        alert = page.locator("#alerts tr", has_text=ALERT_TITLE)
        expect(alert).to_have_count(1)
        assert alert.locator("td").nth(2).inner_text() == str(len(ALERT_SUBSCRIBERS))  # 应送
        violations = serious(run_axe(page))
        assert not violations, violations
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / "weekly.png"), full_page=True)
        page.emulate_media(media="print")
        expect(page.locator("#print")).to_be_hidden()  # the print CSS hides the tools
        pdf = page.pdf(format="A4", print_background=True)
        (SCREENSHOTS / "weekly.pdf").write_bytes(pdf)
        assert pdf.startswith(b"%PDF") and len(pdf) > 10_000
    finally:
        context.close()
