"""Operator API: authentication, roles, rate limit, audit, search and the alert lifecycle."""

from __future__ import annotations

from datetime import timedelta

import pytest

from console import accounts
from core.clock import utcnow
from tests.support.console import PASSWORD, login

PROTECTED = [
    ("get", "/api/operator/me"),
    ("get", "/api/operator/search?q=助餐"),
    ("post", "/api/operator/scam-check"),
    ("get", "/api/operator/scam-check/options"),
    ("get", "/api/operator/audit"),
    ("get", "/api/operator/accounts"),
    ("get", "/api/operator/alerts"),
    ("post", "/api/operator/alerts"),
    ("post", "/api/operator/alerts/1/approve"),
    ("post", "/api/operator/alerts/1/publish"),
    ("post", "/api/operator/alerts/1/retract"),
    ("get", "/api/operator/alerts/1/deliveries"),
    ("get", "/api/operator/alerts/1/reach"),
    ("get", "/api/operator/alerts/1/report"),
]


@pytest.mark.parametrize(("method", "path"), PROTECTED)
def test_every_operator_api_needs_a_session(client, method, path) -> None:  # type: ignore[no-untyped-def]
    assert getattr(client, method)(path).status_code == 401


def test_every_operator_api_is_in_openapi_with_bounded_fields(client) -> None:  # type: ignore[no-untyped-def]
    spec = client.get("/openapi.json").json()
    paths = spec["paths"]
    for _, path in PROTECTED:
        template = path.split("?")[0].replace("/1/", "/{alert_id}/")
        assert template in paths, template
    draft = spec["components"]["schemas"]["DraftRequest"]["properties"]
    assert draft["body"]["maxLength"] == 200 and draft["title"]["maxLength"] == 40
    search = {p["name"]: p for p in paths["/api/operator/search"]["get"]["parameters"]}
    assert search["q"]["schema"]["maxLength"] == 100


def test_login_sets_a_strict_httponly_cookie(client) -> None:  # type: ignore[no-untyped-def]
    r = client.post("/api/operator/login", json={"username": "op1", "password": PASSWORD})
    assert r.status_code == 200 and r.json() == {"username": "op1", "role": "operator"}
    cookie = r.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie
    assert "secure" not in cookie  # plain http in tests
    r = client.post(
        "/api/operator/login",
        json={"username": "op1", "password": PASSWORD},
        headers={"x-forwarded-proto": "https"},
    )
    assert "; secure" in r.headers["set-cookie"].lower()


def test_a_forged_cookie_is_refused(client) -> None:  # type: ignore[no-untyped-def]
    login(client, "op1")
    value = client.cookies.get("yinfa_operator")
    client.cookies.clear()
    client.cookies.set("yinfa_operator", value[:-1] + ("0" if value[-1] != "0" else "1"))
    assert client.get("/api/operator/me").status_code == 401
    client.cookies.clear()
    client.cookies.set("yinfa_operator", value)
    assert client.get("/api/operator/me").status_code == 200
    client.cookies.clear()
    client.cookies.set("yinfa_operator", value.split(".")[0] + ".forged")
    assert client.get("/api/operator/me").status_code == 401


def test_login_attempts_are_rate_limited(client) -> None:  # type: ignore[no-untyped-def]
    for _ in range(5):
        r = client.post(
            "/api/operator/login", json={"username": "op1", "password": "wrong-password"}
        )
        assert r.status_code == 401
    r = client.post("/api/operator/login", json={"username": "op1", "password": PASSWORD})
    assert r.status_code == 429 and int(r.headers["retry-after"]) > 0


def test_disabled_account_loses_its_session(client, database) -> None:  # type: ignore[no-untyped-def]
    login(client, "op1")
    assert client.get("/api/operator/me").status_code == 200
    accounts.disable(database, "op1")
    assert client.get("/api/operator/me").status_code == 401


def test_search_returns_script_clause_departments_and_sources(client) -> None:  # type: ignore[no-untyped-def]
    login(client, "op1")
    r = client.get("/api/operator/search", params={"q": "助餐"})
    assert r.status_code == 200
    hits = r.json()["hits"]
    assert hits
    entry = next(h for h in hits if h["kind"] == "entry" and h["sources"] and h["clauses"])
    assert entry["script"] and entry["clauses"][0]["text"]
    assert entry["sources"][0]["id"][0] in "SN" and "title" in entry["sources"][0]
    assert entry["sources"][0]["scope"] in {"yangquan", "shanxi", "national", "elsewhere"}
    assert any(h["departments"] for h in hits)


@pytest.mark.parametrize(
    "query",
    [
        pytest.param("laonian zhucan", id="full-pinyin"),
        pytest.param("lnzc", id="initials"),
    ],
)
def test_search_by_pinyin_finds_meal_assistance(client, query: str) -> None:  # type: ignore[no-untyped-def]
    """Operators type pinyin or its initials; the real retriever turns it into 老年助餐."""
    login(client, "op1")
    r = client.get("/api/operator/search", params={"q": query})
    assert r.status_code == 200, r.text
    data = r.json()
    assert data["query"] == query
    assert "老年助餐" in data["normalized_query"]
    entries = [h for h in data["hits"] if h["kind"] == "entry"]
    assert entries, data
    meal = [h for h in entries if h["id"].startswith("meal-") and "助餐" in h["title"]]
    assert meal, [(h["id"], h["title"]) for h in data["hits"]]
    assert "老年助餐" in data["hits"][0]["title"] + data["hits"][0]["script"]


def test_search_is_audited_with_its_top_hits(client) -> None:  # type: ignore[no-untyped-def]
    login(client, "op1")
    hits = client.get("/api/operator/search", params={"q": "lnzc"}).json()["hits"]
    login(client, "admin1")
    log = client.get("/api/operator/audit", params={"action": "search"}).json()
    assert log and log[0]["actor"] == "op1"
    assert [h["id"] for h in hits[:3]] == log[0]["detail"]["hits"]


def test_roles_are_enforced_and_refusals_audited(client) -> None:  # type: ignore[no-untyped-def]
    login(client, "op1")
    body = {
        "title": "t",
        "body": "b",
        "scam_type": "other",
        "expires_at": (utcnow() + timedelta(days=1)).isoformat(),
    }
    assert client.post("/api/operator/alerts", json=body).status_code == 403
    assert client.get("/api/operator/audit").status_code == 403
    login(client, "admin1")
    log = client.get("/api/operator/audit", params={"action": "denied"}).json()
    assert {(e["actor"], e["target"]) for e in log} == {
        ("op1", "POST /api/operator/alerts"),
        ("op1", "GET /api/operator/audit"),
    }


def test_alert_lifecycle_over_http_and_its_audit_log(client) -> None:  # type: ignore[no-untyped-def]
    login(client, "officer_a")
    r = client.post(
        "/api/operator/alerts",
        json={
            "title": "冒充子女借钱",
            "body": "有人冒充孙子打视频要钱。先挂断，再打给家人核实。",
            "scam_type": "impersonate_family",
            "districts": ["城区"],
            "expires_at": (utcnow() + timedelta(days=2)).isoformat(),
        },
    )
    assert r.status_code == 201, r.text
    alert = r.json()
    assert alert["status"] == "draft" and alert["public_code"].startswith("YQ")
    r = client.post(f"/api/operator/alerts/{alert['id']}/approve")
    assert r.status_code == 409 and "same_officer" in r.json()["detail"]
    assert client.post(f"/api/operator/alerts/{alert['id']}/publish").status_code == 409
    login(client, "officer_b")
    assert client.post(f"/api/operator/alerts/{alert['id']}/approve").json()["status"] == "approved"
    assert (
        client.post(f"/api/operator/alerts/{alert['id']}/publish").json()["status"] == "published"
    )
    r = client.post(
        f"/api/operator/alerts/{alert['id']}/retract", json={"note": "已核实，发错了。"}
    )
    assert r.json()["status"] == "retracted"
    login(client, "admin1")
    log = client.get("/api/operator/audit", params={"target": alert["public_code"]}).json()
    assert [(e["actor"], e["action"]) for e in reversed(log)] == [
        ("officer_a", "alert.draft"),
        ("officer_a", "alert.approve.refused"),
        ("officer_a", "alert.publish.refused"),
        ("officer_b", "alert.approve"),
        ("officer_b", "alert.publish"),
        ("officer_b", "alert.retract"),
    ]


def test_body_over_200_characters_is_refused(client) -> None:  # type: ignore[no-untyped-def]
    login(client, "officer_a")
    r = client.post(
        "/api/operator/alerts",
        json={
            "title": "t",
            "body": "长" * 201,
            "scam_type": "other",
            "expires_at": (utcnow() + timedelta(days=1)).isoformat(),
        },
    )
    assert r.status_code == 422


def test_console_page_is_served_with_a_strict_csp(client) -> None:  # type: ignore[no-untyped-def]
    r = client.get("/operator")
    assert r.status_code == 200 and "default-src 'self'" in r.headers["content-security-policy"]


def test_scam_check_reuses_the_bots_logic_and_texts(client) -> None:  # type: ignore[no-untyped-def]
    from actions.scam_check import PAID, risk_level

    login(client, "op1")
    opts = client.get("/api/operator/scam-check/options").json()
    assert {"打电话", "拉您投资"} <= {o["value"] for o in opts["channels"]}
    assert {o["value"] for o in opts["asked"]} == {"money", "password", "code", "card"}
    cases = [
        ({"paid": True}, "paid"),
        ({"channel": "打电话", "asked": ["code"]}, "high"),
        ({"channel": "上门"}, "medium"),
        ({"channel": "打电话"}, "low"),
    ]
    for body, expected in cases:
        r = client.post("/api/operator/scam-check", json=body)
        assert r.status_code == 200, r.text
        data = r.json()
        assert (
            data["level"]
            == expected
            == risk_level(
                PAID if body.get("paid") else "还没有", body.get("channel"), body.get("asked", [])
            )
        )
        assert data["texts"] and any("96110" in t for t in data["texts"])
    paid = client.post("/api/operator/scam-check", json={"paid": True}).json()
    assert "110" in paid["texts"][0]
    assert client.post("/api/operator/scam-check", json={"channel": "x" * 17}).status_code == 422
