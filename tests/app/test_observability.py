"""``/metrics``, request ids and log lines, on the real app with a fake Rasa at the HTTP edge.

The app is ``create_app`` with its services filled as in the security tests, except the
conversation: the real ``core.conversation.Conversation`` (redaction, the outcome hook)
with the real ``core.rasa_client.RasaClient``, whose HTTP transport is a fake Rasa REST
channel that records what it was sent.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from fastapi import FastAPI
from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families

from app.metrics import record_turn
from core.conversation import Conversation
from core.logs import FORMAT, RequestIdFilter
from core.rasa_client import RasaClient
from core.request_id import accepted, new_request_id
from tests.security.conftest import build_app, client_for, security_settings

ROOT = Path(__file__).resolve().parents[2]

PERSONAL = {
    "ID card": "14030219500101873X",
    "bank card": "6222020987654321987",
    "mobile": "13907654321",
    "code": "583920",
}


MARKED = {"转介": "referred", "骗子": "scam_warning", "听不懂": "fallback"}


class FakeRasa:
    """Rasa's REST channel at the transport: answers every message, records the bodies."""

    def __init__(self) -> None:
        self.bodies: list[dict[str, Any]] = []
        self.headers: list[httpx.Headers] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if request.url.path == "/status":
            return httpx.Response(200, json={"model_file": "bot-test.tar.gz"})
        body = json.loads(request.content)
        self.bodies.append(body)
        self.headers.append(request.headers)
        answer: list[dict[str, Any]] = [{"text": f"收到：{body['message']}"}]
        if "助餐" in body["message"]:
            answer.append({"custom": {"entry_id": "meal-how-to-apply"}})
        for word, kind in MARKED.items():
            if word in body["message"]:  # the marker an action adds (actions/outcome.py)
                answer.append({"custom": {"outcome": {"kind": kind, "topic": "scam"}}})
        return httpx.Response(200, json=answer)


@pytest.fixture
def rasa() -> FakeRasa:
    return FakeRasa()


@pytest.fixture
def app(tmp_path: Path, rasa: FakeRasa) -> Iterator[FastAPI]:
    settings = security_settings(tmp_path, metrics_token="metrics-secret-0123")
    application = build_app(settings, None)
    client = RasaClient("http://rasa.test", settings.rasa_token, timeout_s=5)
    client._http = httpx.AsyncClient(
        base_url="http://rasa.test", transport=httpx.MockTransport(rasa)
    )
    application.state.rasa = client
    application.state.conversation = Conversation(client, after_turn=record_turn)
    yield application
    application.state.database.dispose()


@pytest.fixture
async def local(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with client_for(app, "127.0.0.1") as c:
        yield c


def sample(text: str, name: str, **labels: str) -> float:
    """The value of one sample in an exposition (0 when absent)."""
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            if s.name == name and all(s.labels.get(k) == v for k, v in labels.items()):
                return float(s.value)
    return 0.0


async def scrape(client: httpx.AsyncClient) -> str:
    r = await client.get("/metrics")
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/plain")
    return r.text


async def test_counters_move_and_histograms_have_buckets(local: httpx.AsyncClient) -> None:
    before = await scrape(local)
    for _ in range(3):
        assert (await local.get("/healthz")).status_code == 200
    r = await local.post("/api/chat", json={"sender_id": "m1", "text": "助餐怎么申请"})
    assert r.status_code == 200
    assert (await local.get("/api/operator/alerts/12345/report")).status_code in (401, 403)
    assert (await local.get("/no/such/page/4711")).status_code == 404
    after = await scrape(local)

    def moved(name: str, **labels: str) -> float:
        return sample(after, name, **labels) - sample(before, name, **labels)

    ok = {"route": "/healthz", "method": "GET", "status": "200"}
    assert moved("yinfa_http_requests_total", **ok) == 3
    assert moved("yinfa_http_requests_total", route="/api/chat", status="200") == 1
    # Route templates, never raw paths.
    assert "/api/operator/alerts/{alert_id}/report" in after
    assert "12345/report" not in after and "4711" not in after
    assert moved("yinfa_http_requests_total", route="unmatched", status="404") == 1
    assert moved("yinfa_chat_turn_seconds_count", channel="web") == 1
    assert moved("yinfa_rasa_request_seconds_count", call="message", outcome="ok") == 1
    assert moved("yinfa_turn_outcomes_total", channel="web", kind="answered") == 1
    buckets = re.findall(r'yinfa_chat_turn_seconds_bucket\{channel="web",le="([^"]+)"\}', after)
    assert "0.1" in buckets and "4.5" in buckets and "+Inf" in buckets
    assert 'yinfa_http_request_duration_seconds_bucket{le="+Inf",route="/healthz"}' in after
    assert sample(after, "yinfa_outbox_rows", status="pending") == 0
    assert "yinfa_retrieval_seconds_bucket" in after
    assert sample(after, "process_resident_memory_bytes") > 0


async def test_open_streams_and_outbox_rows_are_read_at_scrape_time(
    app: FastAPI, local: httpx.AsyncClient
) -> None:
    from tests.alerts.conftest import add_subscribers, published_alert

    gate = app.state.stream_gate
    base = sample(await scrape(local), "yinfa_sse_streams_open")
    assert gate.acquire("203.0.113.7") is None and gate.acquire("203.0.113.8") is None
    assert sample(await scrape(local), "yinfa_sse_streams_open") == base + 2
    gate.release("203.0.113.7")
    assert sample(await scrape(local), "yinfa_sse_streams_open") == base + 1
    add_subscribers(app.state.database, 3)
    published_alert(app.state.database)
    text = await scrape(local)
    assert sample(text, "yinfa_outbox_rows", status="pending") == 3
    assert sample(text, "yinfa_outbox_rows", status="delivered") == 0


@pytest.mark.parametrize(
    ("address", "headers", "status"),
    [
        ("127.0.0.1", {}, 200),
        ("::1", {}, 200),
        ("203.0.113.10", {}, 401),
        ("203.0.113.10", {"Authorization": "Bearer wrong-token"}, 401),
        ("203.0.113.10", {"Authorization": "Basic metrics-secret-0123"}, 401),
        ("203.0.113.10", {"Authorization": "Bearer metrics-secret-0123"}, 200),
        # A reverse proxy on this host forwards public requests from 127.0.0.1.
        ("127.0.0.1", {"X-Forwarded-For": "198.51.100.4"}, 401),
        ("127.0.0.1", {"X-Real-IP": "198.51.100.4"}, 401),
    ],
)
async def test_loopback_is_open_elsewhere_the_token(
    app: FastAPI, address: str, headers: dict[str, str], status: int
) -> None:
    async with client_for(app, address) as c:
        r = await c.get("/metrics", headers=headers)
    assert r.status_code == status
    if status == 200:
        assert "yinfa_http_requests_total" in r.text
    else:
        assert "yinfa_" not in r.text
        assert r.headers["www-authenticate"].startswith("Bearer")


async def test_without_a_token_only_loopback_reads_metrics(tmp_path: Path) -> None:
    app = build_app(security_settings(tmp_path), None)
    try:
        async with client_for(app, "203.0.113.10") as c:
            r = await c.get("/metrics", headers={"Authorization": "Bearer "})
        assert r.status_code == 403 and "YINFA_METRICS_TOKEN" in r.json()["detail"]
        async with client_for(app, "127.0.0.1") as c:
            assert (await c.get("/metrics")).status_code == 200
    finally:
        app.state.database.dispose()


@pytest.mark.parametrize(
    "value",
    ["13907654321", "abc-140302195001018", "a" * 65, "id with space", "ümlaut", "", None, 7],
)
def test_unsafe_request_ids_are_refused(value: object) -> None:
    assert accepted(value) is None


def test_new_request_ids_are_unique_and_carry_no_digits() -> None:
    ids = {new_request_id() for _ in range(200)}
    assert len(ids) == 200
    assert all(accepted(i) == i and not re.search(r"\d", i) for i in ids)


async def test_request_id_reaches_the_response_the_logs_and_rasa(
    local: httpx.AsyncClient, rasa: FakeRasa, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.handler.addFilter(RequestIdFilter())
    caplog.set_level(logging.INFO)
    r = await local.post(
        "/api/chat",
        json={"sender_id": "rid1", "text": "我的电话 13907654321"},
        headers={"X-Request-ID": "lb-7f3a.req_01"},
    )
    assert r.status_code == 200 and r.headers["x-request-id"] == "lb-7f3a.req_01"
    assert rasa.bodies[-1]["metadata"] == {"request_id": "lb-7f3a.req_01"}
    assert rasa.headers[-1]["x-request-id"] == "lb-7f3a.req_01"
    redacted = [rec for rec in caplog.records if rec.getMessage().startswith("redacted")]
    assert redacted and all(
        getattr(rec, "request_id", None) == "lb-7f3a.req_01" for rec in redacted
    )

    unsafe = await local.post(
        "/api/chat",
        json={"sender_id": "rid1", "text": "你好"},
        headers={"X-Request-ID": "13907654321"},
    )
    given = unsafe.headers["x-request-id"]
    assert given != "13907654321" and accepted(given) == given
    assert rasa.bodies[-1]["metadata"] == {"request_id": given}
    assert (await local.get("/healthz")).headers["x-request-id"] not in ("", given)


async def test_action_webhook_logs_under_the_messages_request_id(
    local: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    from tests.security.conftest import ACTION_TOKEN

    caplog.handler.addFilter(RequestIdFilter())
    caplog.set_level(logging.INFO)
    call = {
        "next_action": "action_that_does_not_exist",
        "tracker": {
            "sender_id": "web:w1",
            "latest_message": {"metadata": {"request_id": "chat-1a"}},
        },
        "domain": {},
    }
    r = await local.post("/webhook", json=call, headers={"Authorization": f"Bearer {ACTION_TOKEN}"})
    assert r.status_code == 404
    unknown = [rec for rec in caplog.records if "unknown action" in rec.getMessage()]
    assert unknown and getattr(unknown[0], "request_id", None) == "chat-1a"


async def test_a_conversation_with_personal_numbers_leaves_none_in_logs_or_metrics(
    local: httpx.AsyncClient, rasa: FakeRasa, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    texts = [
        f"我的身份证号是{PERSONAL['ID card']}",
        f"银行卡 {PERSONAL['bank card']} 被人转走钱了",
        f"他让我打 {PERSONAL['mobile']}",
        f"验证码{PERSONAL['code']}要告诉他吗",
    ]
    for text in texts:
        r = await local.post("/api/chat", json={"sender_id": "pii1", "text": text})
        assert r.status_code == 200
    body = await scrape(local)
    sent = json.dumps(rasa.bodies, ensure_ascii=False)
    logged = caplog.text + "".join(repr(rec.args) for rec in caplog.records)
    assert caplog.records, "the turns logged nothing: the check below would be empty"
    for kind, number in PERSONAL.items():
        for where, text in (("logs", logged), ("/metrics", body), ("Rasa", sent)):
            assert number not in text, f"{kind} number in {where}"
            assert number[-8:] not in text, f"end of the {kind} number in {where}"


async def test_referrals_fallbacks_and_scam_warnings_are_counted(local: httpx.AsyncClient) -> None:
    before = await scrape(local)
    for text in ("请转介给社区", "这是不是骗子", "这是不是骗子", "听不懂的话"):
        r = await local.post("/api/chat", json={"sender_id": "out1", "text": text})
        assert r.status_code == 200
        assert "outcome" not in r.text  # markers are for the counts, never shown
    after = await scrape(local)
    for kind, n in (("referred", 1), ("scam_warning", 2), ("fallback", 1), ("answered", 0)):
        moved = sample(after, "yinfa_turn_outcomes_total", channel="web", kind=kind) - sample(
            before, "yinfa_turn_outcomes_total", channel="web", kind=kind
        )
        assert moved == n, kind


def test_uvicorn_log_config_uses_the_common_format() -> None:
    config = yaml.safe_load((ROOT / "app" / "logging.yml").read_text(encoding="utf-8"))
    assert config["formatters"]["default"]["format"] == FORMAT
    for handler in config["handlers"].values():
        assert handler["filters"] == ["request_id"]
    assert config["filters"]["request_id"]["()"] == "core.logs.RequestIdFilter"
    assert config["loggers"]["httpx"]["level"] == "WARNING"  # its URLs carry Rasa's token


def test_metric_names_are_registered_once() -> None:
    names = {m.name for m in REGISTRY.collect()}
    for name in ("yinfa_http_requests", "yinfa_chat_turn_seconds", "yinfa_rasa_request_seconds"):
        assert name in names
