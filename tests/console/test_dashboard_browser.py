"""The alert officer's publish check and delivery dashboard in headless Chromium, against
the real stack (Rasa, the app with its inline delivery worker, SQLite) and the local fake of
WeChat's API: reach per channel before publishing, then the chart, the numbers and the
reasons after the worker has delivered, with screenshots in var/screenshots/."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import timedelta

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.channels.web.browser import AXE_JS, SCREENSHOTS, chromium, run_axe, serious
from tests.support.browser import chart_pixels

pytestmark = [pytest.mark.e2e, pytest.mark.browser]

WEB_USERS = [f"dash-web-{i}" for i in range(6)]
IN_WINDOW = ["o-dash-in-1", "o-dash-in-2"]
OUTSIDE = ["o-dash-out-1", "o-dash-out-2"]
# Series colours as in dashboard.js: web and WeChat delivered, WeChat undeliverable.
COLORS = {
    "web": (0x08, 0x4A, 0x8C),
    "wechat": (0x1A, 0x6B, 0x34),
    "wechat_gone": (0xB3, 0x47, 0x00),
}


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as b:
        yield b


@pytest.fixture(scope="module")
def dash_stack(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """The stack with its inline worker, WeChat's API played by the fake server, and
    subscribers on both channels: some WeChat ones wrote recently, some three days ago."""
    from sqlalchemy import update

    from alerts import subscriptions
    from alerts.models import Subscription
    from core.clock import utcnow
    from core.database import Database
    from tests.alerts.e2e_support import create_accounts
    from tests.channels.wechat.fake_wechat_api import FakeWeChatServer
    from tests.support.stack import WECHAT_APP_ID, Stack

    fake = FakeWeChatServer(WECHAT_APP_ID, "test-wechat-secret")
    fake.start()
    stack = Stack(
        tmp_path_factory.mktemp("dash-stack"),
        extra_env={"YINFA_ALERTS_POLL_S": "0.2", "YINFA_WECHAT_API_BASE": fake.url},
    )
    try:
        stack.start()
        create_accounts(stack)
        db = Database(f"sqlite:///{stack.app_db}")
        db.open()
        for user in WEB_USERS:
            subscriptions.subscribe(db, "web", user)
        for user in IN_WINDOW + OUTSIDE:
            subscriptions.subscribe(db, "wechat", user)
        with db.session() as s:
            s.execute(
                update(Subscription)
                .where(Subscription.user_id.in_(OUTSIDE))
                .values(last_inbound_at=utcnow() - timedelta(days=3))
            )
        db.dispose()
        yield stack, fake
    finally:
        stack.stop()
        fake.stop()


def _approved_alert(stack) -> dict:  # type: ignore[no-untyped-def]
    """officer_a drafts, officer_b approves (publishing is done in the browser)."""
    from datetime import datetime, timezone

    from tests.alerts.e2e_support import session

    with session(stack, "officer_a") as a:
        r = a.post(
            "/api/operator/alerts",
            json={
                "title": "冒充公检法电话",
                "scam_type": "impersonate_police",
                "districts": [],
                "body": "有人冒充公安打电话，说您涉嫌洗钱，让您转钱到“安全账户”。别转钱，挂电话。",
                "expires_at": (datetime.now(timezone.utc) + timedelta(days=3)).isoformat(),
            },
        )
        assert r.status_code == 201, r.text
        alert = dict(r.json())
    with session(stack, "officer_b") as b:
        assert b.post(f"/api/operator/alerts/{alert['id']}/approve").status_code == 200
    return alert


def _summary(page: Page) -> dict[str, str]:
    items = page.locator("#dash-summary > div")
    return {
        items.nth(i).locator("dt").inner_text(): items.nth(i).locator("dd").inner_text()
        for i in range(items.count())
    }


def _half_time(stack, alert_id: int) -> str:  # type: ignore[no-untyped-def]
    """The 5th of 10 deliveries after publishing, read from the database, as the page says it."""
    from datetime import datetime

    from tests.alerts.e2e_support import query

    (published,) = query(stack, "SELECT published_at FROM alerts WHERE id = ?", alert_id)[0]
    (fifth,) = query(
        stack,
        "SELECT delivered_at FROM alert_outbox WHERE alert_id = ? AND status = 'delivered'"
        " ORDER BY delivered_at, id LIMIT 1 OFFSET 4",
        alert_id,
    )[0]
    seconds = (datetime.fromisoformat(fifth) - datetime.fromisoformat(published)).total_seconds()
    assert seconds < 60, "this test's broadcast is small"
    return f"{round(seconds)}秒"


def test_publish_check_then_delivery_dashboard(browser: Browser, dash_stack) -> None:  # type: ignore[no-untyped-def]
    from tests.alerts.e2e_support import PASSWORD, query, wait_until

    stack, fake = dash_stack
    alert = _approved_alert(stack)
    code = alert["public_code"]
    # The page's strict CSP stays on (no bypass): axe-core comes in as an init script.
    context = browser.new_context(viewport={"width": 1280, "height": 1400}, locale="zh-CN")
    context.add_init_script(path=str(AXE_JS))
    try:
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.on(
            "console",
            lambda m: errors.append(m.text) if "Content Security Policy" in m.text else None,
        )
        page.goto(stack.app_url + "/operator")
        page.fill("#username", "officer_b")
        page.fill("#password", PASSWORD)
        page.keyboard.press("Enter")
        page.click("button[data-tab=alerts]")
        row = page.locator("#alert-rows tr", has_text=code)
        row.get_by_role("button", name="发布", exact=True).click()

        # Before publishing: who it reaches on each channel, and the warning.
        check = page.locator("#publish-check")
        expect(check).to_be_visible()
        expect(page.locator("#reach-lead")).to_contain_text("10 人")
        cells = page.locator("#reach-rows tr td")
        assert [cells.nth(i).inner_text() for i in range(3)] == ["6", "2", "2"]
        expect(page.locator("#reach-rows")).to_contain_text("48小时内发过消息")
        # Template messages are off in this stack: the quota port says 0 left today.
        expect(page.locator("#reach-quota")).to_have_text("微信模板消息今天还剩：0 条")
        expect(page.locator("#reach-warning")).to_be_visible()
        expect(page.locator("#reach-warning")).to_contain_text("只剩 0 条，不够 2 人用")
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        check.screenshot(path=str(SCREENSHOTS / "alert_publish_check.png"))
        violations = serious(run_axe(page))
        assert not violations, violations
        assert query(
            stack, "SELECT count(*) FROM alert_outbox WHERE alert_id = ?", alert["id"]
        ) == [(0,)]  # nothing is sent before the officer confirms

        page.click("#publish-confirm")
        dashboard = page.locator("#dashboard")
        expect(dashboard).to_be_visible()
        expect(page.locator("#dash-title")).to_contain_text(code)

        # The worker delivers 6 web + 2 WeChat; 2 WeChat are outside the window.
        wait_until(
            lambda: (
                dict(
                    query(
                        stack,
                        "SELECT status, count(*) FROM alert_outbox WHERE alert_id = ? GROUP BY status",
                        alert["id"],
                    )
                )
                == {"delivered": 8, "undeliverable": 2}
            ),
            120,
        )
        wait_until(lambda: sum(code in t for t in fake.state.texts()) >= 2, 15)
        # The page refreshes itself while rows are on their way (no click needed).
        delivered = page.locator("#dash-summary div", has_text="已送达").locator("dd")
        expect(delivered).to_have_text("8", timeout=15_000)
        expect(page.locator("#dash-count-head")).to_contain_text("送不到")
        summary = _summary(page)
        assert summary["应送人数"] == "10" and summary["已送达"] == "8"
        assert summary["送达一半用时"] == _half_time(stack, alert["id"]), summary
        assert summary["送达九成用时"] == "还没到" and summary["全部送达用时"] == "还没到"
        assert summary["微信模板消息今天剩余"] == "0 条"

        counts = page.locator("#dash-count-rows")
        expect(counts.locator("tr", has_text="网页")).to_contain_text("6")
        head = page.locator("#dash-count-head th").all_inner_texts()
        wechat = page.locator("#dash-count-rows tr", has_text="微信").locator("th, td")
        by_status = dict(zip(head, wechat.all_inner_texts(), strict=True))
        assert by_status["已送达"] == "2" and by_status["送不到"] == "2", by_status
        reason = page.locator("#dash-reason-rows tr")
        expect(reason).to_have_count(1)
        expect(reason).to_contain_text("超出微信客服消息时限")
        expect(reason.locator("td").nth(2)).to_have_text("2")

        retried, extra, waiting = query(
            stack,
            "SELECT count(*) FILTER (WHERE attempts > 1), coalesce(sum(max(attempts - 1, 0)), 0),"
            " count(*) FILTER (WHERE status = 'pending' AND attempts > 0)"
            " FROM alert_outbox WHERE alert_id = ?",
            alert["id"],
        )[0]
        expect(page.locator("#dash-retries")).to_have_text(
            f"重试过 {retried} 条，一共多试了 {extra} 次。正在等重试的 {waiting} 条。"
        )

        # The chart: a uPlot canvas with the three series drawn (the two WeChat subscribers
        # outside the window ended undeliverable), and its data table.
        expect(page.locator("#dash-chart canvas").first).to_be_visible()
        time.sleep(0.3)  # uPlot draws on the next animation frame
        pixels = chart_pixels(page, "#dash-chart", COLORS)
        assert all(n > 50 for n in pixels.values()), pixels
        # The chart's data as a table (the insights tab has tables of its own).
        chart_data = page.locator("#dashboard").get_by_text("图表数据")
        chart_data.click()
        last = page.locator("#dash-data-rows tr").last.locator("td").all_inner_texts()
        series = page.locator("#dash-data-head th").all_inner_texts()[1:]
        assert dict(zip(series, last, strict=True)) == {
            "网页·已送达": "6",
            "微信·已送达": "2",
            "微信·送不到": "2",
        }
        legend = page.locator("#dashboard .chart-legend li").all_inner_texts()
        assert [x.strip() for x in legend] == series
        desc = page.locator("#dash-chart-desc")
        expect(desc).to_contain_text("网页·已送达 6 人")
        expect(desc).to_contain_text("微信·送不到 2 人")

        chart_data.click()  # closed again for the screenshot
        dashboard.screenshot(path=str(SCREENSHOTS / "alert_dashboard.png"))
        chart_data.click()  # open: axe checks the data table too
        violations = serious(run_axe(page))
        assert not violations, violations
        assert not errors, errors
    finally:
        context.close()
