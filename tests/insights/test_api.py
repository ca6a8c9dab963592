"""The insights API: the summary contract, roles, the queue and its marks, the CSV export."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from fastapi.testclient import TestClient

from core import audit
from tests.insights.support import DAY, add_rows
from tests.security.conftest import PASSWORD, build_app, security_settings

API = "/api/operator/insights"
KINDS = {"answered", "referred", "fallback", "scam_warning", "guide"}


@pytest.fixture
def app(tmp_path, real_retriever):  # type: ignore[no-untyped-def]
    application = build_app(security_settings(tmp_path, today=DAY), real_retriever)
    yield application
    application.state.database.dispose()


def _client(app, username: str | None) -> TestClient:  # type: ignore[no-untyped-def]
    client = TestClient(app)
    if username:
        r = client.post("/api/operator/login", json={"username": username, "password": PASSWORD})
        assert r.status_code == 200, r.text
    return client


def _traffic(database) -> None:  # type: ignore[no-untyped-def]
    old = DAY - dt.timedelta(days=10)
    add_rows(
        database,
        {
            "outcome": "answered",
            "entry_id": "meal-who-can-use",
            "topic": "meal",
            "feedback": "unhelpful",
        },
        {"outcome": "answered", "entry_id": "meal-who-can-use", "topic": "meal"},
        {
            "outcome": "answered",
            "entry_id": "meal-who-can-use",
            "topic": "meal",
            "feedback": "helpful",
        },
        {"outcome": "referred", "topic": "meal", "text": "村里有没有老年食堂", "channel": "wechat"},
        {"outcome": "referred", "text": "村里有没有老年食堂呀"},
        {"outcome": "fallback", "text": "老年食堂村里有吗"},
        {"outcome": "scam_warning", "topic": "scam", "day": DAY - dt.timedelta(days=1)},
        {"outcome": "guide", "topic": "meal"},
        {"outcome": "other"},
        {"outcome": "referred", "text": "公园门票老人免不免", "day": old},
    )


def test_summary_contract_shape_and_counts(app) -> None:  # type: ignore[no-untyped-def]
    _traffic(app.state.database)
    body = _client(app, "admin1").get(f"{API}/summary?days=7").json()
    assert set(body) == {"messages", "outcomes", "unhelpful"}
    assert set(body["outcomes"]) == KINDS
    assert body == {
        "messages": 9,
        "outcomes": {"answered": 3, "referred": 2, "fallback": 1, "scam_warning": 1, "guide": 1},
        "unhelpful": 1,
    }
    assert _client(app, "editor1").get(f"{API}/summary?days=30").json()["messages"] == 10
    for bad in ("0", "367", "x"):
        r = _client(app, "admin1").get(f"{API}/summary?days={bad}")
        assert r.status_code == 422 and r.json()["detail"]


def test_daily_has_every_day_with_zeros(app) -> None:  # type: ignore[no-untyped-def]
    _traffic(app.state.database)
    days = _client(app, "editor1").get(f"{API}/daily?days=3").json()["days"]
    assert [d["day"] for d in days] == [(DAY - dt.timedelta(days=n)).isoformat() for n in (2, 1, 0)]
    assert days[0]["by_channel"] == {"web": 0, "wechat": 0}
    assert days[1]["outcomes"]["scam_warning"] == 1
    assert days[2]["by_channel"] == {"web": 7, "wechat": 1}
    assert set(days[2]["outcomes"]) == KINDS


def test_unhelpful_rates_worst_first(app) -> None:  # type: ignore[no-untyped-def]
    _traffic(app.state.database)
    client = _client(app, "admin1")
    body = client.get(f"{API}/unhelpful?days=7").json()
    assert body["by_topic"] == [{"topic": "meal", "answers": 3, "unhelpful": 1, "rate": 0.3333}]
    (entry,) = body["by_entry"]
    assert entry["entry_id"] == "meal-who-can-use" and entry["title"] == "谁能用老年助餐"
    assert client.get(f"{API}/unhelpful?days=7&min_answers=4").json()["by_entry"] == []


@pytest.mark.parametrize(
    ("user", "read", "mark"),
    [
        (None, 401, 401),
        ("op1", 403, 403),
        ("officer_a", 403, 403),
        ("editor1", 200, 403),
        ("admin1", 200, 201),
    ],
)
def test_roles(app, user, read, mark) -> None:  # type: ignore[no-untyped-def]
    client = _client(app, user)
    for path in ("summary", "daily", "unhelpful", "queue", "export.csv"):
        assert client.get(f"{API}/{path}").status_code == read, path
    r = client.post(
        f"{API}/marks", json={"cluster_key": "0123456789abcdef", "mark": "out_of_scope"}
    )
    assert r.status_code == mark


def test_editors_touch_no_alerts_and_no_accounts(app) -> None:  # type: ignore[no-untyped-def]
    client = _client(app, "editor1")
    assert client.get("/api/operator/accounts").status_code == 403
    assert client.get("/api/operator/alerts").status_code == 403


def test_the_queue_clusters_and_a_mark_is_audited_and_resolves(app) -> None:  # type: ignore[no-untyped-def]
    _traffic(app.state.database)
    client = _client(app, "admin1")
    clusters = client.get(f"{API}/queue?days=7").json()["clusters"]
    assert clusters, "the unanswered questions form a cluster"
    top = clusters[0]
    assert top["size"] == 3 and top["examples"][0] == "村里有没有老年食堂"
    assert top["outcome_counts"] == {"referred": 2, "fallback": 1}
    assert 1 <= len(top["nearest_entries"]) <= 3
    assert "公园门票老人免不免" not in str(clusters)  # outside the window

    r = client.post(
        f"{API}/marks",
        json={"cluster_key": top["key"], "mark": "answered_by", "entry_id": "no-such-entry"},
    )
    assert r.status_code == 422
    r = client.post(
        f"{API}/marks",
        json={"cluster_key": top["key"], "mark": "answered_by", "entry_id": "meal-rural"},
    )
    assert r.status_code == 201 and r.json()["entry_id"] == "meal-rural"
    (entry,) = audit.entries(app.state.database, action_prefix="insights_mark")
    assert (entry.actor, entry.target) == ("admin1", top["key"])
    assert entry.detail == {"mark": "answered_by", "entry_id": "meal-rural"}

    # Resolved: it leaves the queue, and a new phrasing of it stays out too.
    add_rows(app.state.database, {"outcome": "referred", "text": "村里有没有老年食堂啊"})
    keys = [c["key"] for c in client.get(f"{API}/queue?days=7").json()["clusters"]]
    assert top["key"] not in keys
    assert "村里有没有老年食堂啊" not in str(client.get(f"{API}/queue?days=7").json())


def test_export_is_safe_against_formula_injection(app) -> None:  # type: ignore[no-untyped-def]
    add_rows(
        app.state.database,
        {"text": '=HYPERLINK("http://x")', "outcome": "referred"},
        {"text": "+1+1", "outcome": "fallback"},
        {"text": "-2", "outcome": "fallback"},
        {"text": "@SUM(A1)", "outcome": "fallback"},
        {
            "text": "老年助餐",
            "outcome": "answered",
            "entry_id": "meal-who-can-use",
            "confidence": 0.8,
        },
    )
    r = _client(app, "editor1").get(f"{API}/export.csv?days=7")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(r.text.lstrip("\ufeff"))))
    assert rows[0] == [
        "day",
        "channel",
        "topic",
        "outcome",
        "entry_id",
        "confidence",
        "feedback",
        "text",
    ]
    texts = [row[-1] for row in rows[1:]]
    assert texts == ['\'=HYPERLINK("http://x")', "'+1+1", "'-2", "'@SUM(A1)", "老年助餐"]
    assert rows[-1][:6] == [DAY.isoformat(), "web", "", "answered", "meal-who-can-use", "0.8"]
    assert "k0" not in r.text  # no conversation key in the export
