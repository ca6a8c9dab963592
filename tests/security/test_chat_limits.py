"""Chat limits per sender and per client address; X-Forwarded-For only from trusted proxies."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI

from tests.security.conftest import build_app, client_for, security_settings

ATTACKER = "203.0.113.66"


async def _flood(client: httpx.AsyncClient, n: int, **headers: str) -> list[int]:
    codes = []
    for i in range(n):
        r = await client.post(
            "/api/chat", json={"sender_id": f"rotated-{i}", "text": "你好"}, headers=headers
        )
        codes.append(r.status_code)
    return codes


async def test_rotating_sender_ids_from_one_address_is_limited(app: FastAPI) -> None:
    """The measured attack: 300 messages, 300 sender ids, one address (default settings)."""
    per_address = app.state.settings.chat_rate_per_address_per_min
    assert per_address < 300
    async with client_for(app, ATTACKER) as attacker:
        codes = await _flood(attacker, 300)
        r = await attacker.post("/api/chat", json={"sender_id": "fresh", "text": "你好"})
    assert codes.count(200) == per_address
    assert codes[per_address:] == [429] * (300 - per_address)
    assert r.status_code == 429 and int(r.headers["retry-after"]) >= 1
    assert "太快" in r.json()["detail"]
    assert len(app.state.conversation.calls) == per_address  # refused ones never reach Rasa
    async with client_for(app, "198.51.100.7") as neighbour:
        r = await neighbour.post("/api/chat", json={"sender_id": "calm", "text": "你好"})
    assert r.status_code == 200


async def test_one_sender_is_limited_from_any_address(tmp_path, real_retriever) -> None:  # type: ignore[no-untyped-def]
    app = build_app(security_settings(tmp_path, chat_rate_per_min=2, chat_burst=2), real_retriever)
    try:
        codes = []
        for i in range(3):
            async with client_for(app, f"198.51.100.{i + 1}") as c:
                r = await c.post("/api/chat", json={"sender_id": "same", "text": "你好"})
                codes.append(r.status_code)
        # "web:same" and "same" are one conversation, so one sender
        async with client_for(app, "198.51.100.9") as c:
            r = await c.post("/api/chat", json={"sender_id": "web:same", "text": "你好"})
        assert codes == [200, 200, 429] and r.status_code == 429
    finally:
        app.state.database.dispose()


async def test_forwarded_for_from_a_stranger_is_ignored(tmp_path, real_retriever) -> None:  # type: ignore[no-untyped-def]
    app = build_app(security_settings(tmp_path, chat_rate_per_address_per_min=5), real_retriever)
    try:
        async with client_for(app, ATTACKER) as c:
            codes = []
            for i in range(8):
                r = await c.post(
                    "/api/chat",
                    json={"sender_id": f"s{i}", "text": "你好"},
                    headers={"x-forwarded-for": f"10.9.{i}.1"},
                )
                codes.append(r.status_code)
        assert codes == [200] * 5 + [429] * 3
    finally:
        app.state.database.dispose()


async def test_behind_a_trusted_proxy_each_client_has_its_own_limit(
    tmp_path, real_retriever
) -> None:  # type: ignore[no-untyped-def]
    settings = security_settings(
        tmp_path, chat_rate_per_address_per_min=3, trusted_proxies="10.0.0.0/24, 127.0.0.1"
    )
    app = build_app(settings, real_retriever)
    try:
        async with client_for(app, "10.0.0.2") as proxy:
            # a client's own X-Forwarded-For is kept on the left; the proxy appends the peer
            spoof = {"x-forwarded-for": "1.2.3.4, 198.51.100.20"}
            codes_a = [
                (
                    await proxy.post(
                        "/api/chat", json={"sender_id": f"a{i}", "text": "你好"}, headers=spoof
                    )
                ).status_code
                for i in range(4)
            ]
            other = {"x-forwarded-for": "198.51.100.21, 127.0.0.1"}
            codes_b = [
                (
                    await proxy.post(
                        "/api/chat", json={"sender_id": f"b{i}", "text": "你好"}, headers=other
                    )
                ).status_code
                for i in range(3)
            ]
        assert codes_a == [200, 200, 200, 429]
        assert codes_b == [200, 200, 200]
    finally:
        app.state.database.dispose()


@pytest.mark.parametrize(
    ("peer", "forwarded", "expected"),
    [
        ("203.0.113.5", ["198.51.100.1"], "203.0.113.5"),  # untrusted peer: socket address
        ("10.0.0.2", ["198.51.100.1"], "198.51.100.1"),
        ("10.0.0.2", ["6.6.6.6, 198.51.100.1, 10.0.0.3"], "198.51.100.1"),
        ("10.0.0.2", ["6.6.6.6", "198.51.100.1"], "198.51.100.1"),  # two header lines
        ("10.0.0.2", ["garbage, 10.0.0.3"], "10.0.0.3"),
        ("10.0.0.2", [""], "10.0.0.2"),
        ("10.0.0.2", ["::ffff:1.2.3.4"], "1.2.3.4"),
        ("::ffff:10.0.0.2", ["2001:db8::1"], "2001:db8::1"),
        ("testclient", ["1.2.3.4"], "testclient"),
    ],
)
def test_client_address(peer: str, forwarded: list[str], expected: str) -> None:
    from ipaddress import ip_network

    from app.middleware import client_address

    assert client_address(peer, forwarded, (ip_network("10.0.0.0/24"),)) == expected


async def test_login_limits_use_the_real_client_address(tmp_path, real_retriever) -> None:  # type: ignore[no-untyped-def]
    """20 wrong passwords for 20 usernames from one address: the 21st try is refused."""
    app = build_app(security_settings(tmp_path), real_retriever)
    try:
        async with client_for(app, ATTACKER) as c:
            codes = [
                (
                    await c.post(
                        "/api/operator/login", json={"username": f"user{i}", "password": "x"}
                    )
                ).status_code
                for i in range(21)
            ]
        async with client_for(app, "198.51.100.30") as c:
            ok = await c.post(
                "/api/operator/login", json={"username": "op1", "password": "correct horse battery"}
            )
        assert codes[:20] == [401] * 20 and codes[20] == 429
        assert ok.status_code == 200
    finally:
        app.state.database.dispose()


async def test_the_longest_message_is_the_setting(tmp_path, real_retriever) -> None:  # type: ignore[no-untyped-def]
    """``max_text_chars`` decides, not a number in the request model: refused as a 422 in
    Chinese before Rasa sees it."""
    app = build_app(security_settings(tmp_path, max_text_chars=20), real_retriever)
    try:
        async with client_for(app, "198.51.100.20") as c:
            ok = await c.post("/api/chat", json={"sender_id": "long", "text": "长" * 20})
            long = await c.post("/api/chat", json={"sender_id": "long", "text": "长" * 21})
        assert ok.status_code == 200
        assert long.status_code == 422
        assert long.json()["errors"] == [{"loc": ["body", "text"], "type": "string_too_long"}]
        assert any("\u4e00" <= ch <= "\u9fff" for ch in long.json()["detail"])
        assert [text for _, text in app.state.conversation.calls] == ["长" * 20]
    finally:
        app.state.database.dispose()
