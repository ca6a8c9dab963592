"""The weekly summary (``insights.weekly``): numbers of a known week of question-log rows,
new entries by their ``added`` date, alerts with their reach, and who may read it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from functools import partial
from types import SimpleNamespace

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from alerts.sent import sent_between
from core.database import Database
from insights.weekly import Week, new_entries
from tests.alerts.conftest import add_subscribers, published_alert
from tests.support.console import create_accounts, login
from tests.support.week_rows import Row, insert

END = dt.date(2026, 11, 30)


def _doc(id_: str, added: object = None, kind: str = "entry") -> SimpleNamespace:
    meta = {} if added is None else {"added": added}
    return SimpleNamespace(id=id_, kind=kind, title=f"标题{id_}", topic="meal", meta=meta)


DOCS = [
    _doc("meal-new", dt.date(2026, 11, 28)),
    _doc("meal-iso", "2026-11-24"),
    _doc("meal-before", dt.date(2026, 11, 23)),
    _doc("meal-after", dt.date(2026, 12, 1)),
    _doc("meal-old"),
    _doc("T1", dt.date(2026, 11, 28), kind="clause"),
]


@pytest.fixture
def client(database: Database) -> Iterator[TestClient]:
    from console import routes as console_routes
    from console.deps import session_operator
    from console.ratelimit import LoginLimiter
    from core.settings import Settings
    from insights import weekly

    create_accounts(database)
    app = FastAPI()
    app.state.database = database
    app.state.retriever = SimpleNamespace(documents=DOCS)
    app.state.settings = Settings(_env_file=None, session_secret="s", today=END)  # type: ignore[call-arg]
    app.state.login_limiter = LoginLimiter()
    app.state.authenticate = session_operator
    app.state.alerts_sent = partial(sent_between, database)
    app.include_router(console_routes.router)
    app.include_router(weekly.router)
    with TestClient(app) as c:
        yield c


def test_the_week_is_seven_shanghai_days_ending_on_end() -> None:
    week = Week.ending(END)
    assert (week.start, week.end) == (dt.date(2026, 11, 24), END)
    assert week.since == dt.datetime(2026, 11, 23, 16, tzinfo=dt.timezone.utc)
    assert week.until == dt.datetime(2026, 11, 30, 16, tzinfo=dt.timezone.utc)
    assert len(week.days()) == 7 and week.days()[-1] == END


def test_new_entries_are_the_entries_added_in_the_week() -> None:
    found = new_entries(DOCS, Week.ending(END))
    assert [(e.entry_id, e.added.isoformat()) for e in found] == [
        ("meal-new", "2026-11-28"),
        ("meal-iso", "2026-11-24"),
    ]


def test_weekly_numbers_from_the_log(client: TestClient, database: Database) -> None:
    day = dt.date(2026, 11, 26)
    insert(
        database,
        [Row(day, "answered", entry_id="meal-how-to-apply", feedback="helpful")] * 3
        + [Row(day, "answered", entry_id="meal-how-to-apply", feedback="unhelpful")]
        + [Row(END, "referred", topic="adaptation", text="加装电梯补多少")] * 2
        + [Row(END, "fallback", topic=None, text="今天下雨不", channel="wechat")]
        + [Row(END, "scam_warning", topic="scam")]
        + [Row(END, "other", topic=None, text="你好")]
        + [Row(dt.date(2026, 11, 23), "answered")] * 5  # the day before the week
        + [Row(dt.date(2026, 12, 1), "fallback")] * 5,  # the day after
    )
    login(client, "admin1")
    r = client.get("/api/operator/insights/weekly")
    assert r.status_code == 200, r.text
    w = r.json()
    assert (w["start"], w["end"]) == ("2026-11-24", "2026-11-30")
    assert w["messages"] == 9
    assert w["outcomes"] == {
        "answered": 4,
        "referred": 2,
        "fallback": 1,
        "scam_warning": 1,
        "guide": 0,
    }
    assert w["answer_rate"] == round(4 / 7, 4)
    assert (w["unhelpful"], w["unhelpful_rate"]) == (1, 0.25)
    assert w["unanswered"] == 3
    by_day = {d["day"]: d for d in w["days"]}
    assert len(by_day) == 7 and by_day["2026-11-25"]["messages"] == 0
    assert by_day["2026-11-26"] == {
        "day": "2026-11-26",
        "messages": 4,
        "answered": 4,
        "answer_rate": 1.0,
    }
    assert by_day["2026-11-30"]["answer_rate"] == 0.0
    assert [(t["topic"], t["messages"]) for t in w["top_topics"]] == [
        ("meal", 4),
        ("adaptation", 2),
        ("scam", 1),
    ]
    assert [e["entry_id"] for e in w["new_entries"]] == ["meal-new", "meal-iso"]


def test_an_empty_week_has_no_rates(client: TestClient) -> None:
    login(client, "admin1")
    w = client.get("/api/operator/insights/weekly", params={"end": "2026-01-07"}).json()
    assert w["messages"] == 0 and w["answer_rate"] is None and w["unhelpful_rate"] is None
    assert w["alerts"] == [] and w["new_entries"] == []


def test_alerts_of_the_week_with_their_reach(client: TestClient, database: Database) -> None:
    add_subscribers(database, 3, "web")
    published_alert(database, title="冒充客服退款")
    login(client, "admin1")
    today = dt.datetime.now(dt.timezone(dt.timedelta(hours=8))).date()
    w = client.get("/api/operator/insights/weekly", params={"end": today.isoformat()}).json()
    assert [(a["title"], a["recipients"], a["delivered"]) for a in w["alerts"]] == [
        ("冒充客服退款", 3, 0)
    ]
    assert w["alerts"][0]["by_channel"] == {"web": {"recipients": 3, "delivered": 0}}
    before = (today - dt.timedelta(days=7)).isoformat()
    assert (
        client.get("/api/operator/insights/weekly", params={"end": before}).json()["alerts"] == []
    )


@pytest.mark.parametrize(("user", "status"), [(None, 401), ("op1", 403), ("officer_a", 403)])
def test_only_admins_and_editors_read_it(client: TestClient, user: str | None, status: int) -> None:
    if user:
        login(client, user)
    assert client.get("/api/operator/insights/weekly").status_code == status


def test_a_bad_date_is_a_clear_422(client: TestClient) -> None:
    login(client, "admin1")
    r = client.get("/api/operator/insights/weekly", params={"end": "30.11.2026"})
    assert r.status_code == 422
