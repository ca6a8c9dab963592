"""Body caps count the bytes actually read: chunked bodies over the cap get 413 everywhere."""

from __future__ import annotations

import socket

import httpx
import pytest
from fastapi import FastAPI

from tests.security.conftest import ACTION_TOKEN, PASSWORD, chunked

MiB = 1024 * 1024

# (path, extra headers) of every endpoint that reads a body.
ENDPOINTS = [
    ("/api/chat", {}),
    ("/api/feedback", {}),
    ("/webhook", {"authorization": f"Bearer {ACTION_TOKEN}"}),
    ("/api/operator/login", {}),
    ("/api/operator/copied", {}),
    ("/api/operator/scam-check", {}),
    ("/api/operator/alerts", {}),
    ("/api/operator/alerts/1/retract", {}),
    ("/wechat?signature=x&timestamp=1&nonce=1", {}),
]


async def _sign_in(client: httpx.AsyncClient, username: str) -> None:
    r = await client.post("/api/operator/login", json={"username": username, "password": PASSWORD})
    assert r.status_code == 200, r.text


@pytest.mark.parametrize(("path", "headers"), ENDPOINTS)
async def test_a_chunked_body_over_the_cap_gets_413(
    app: FastAPI, client: httpx.AsyncClient, path: str, headers: dict[str, str]
) -> None:
    await _sign_in(client, "officer_a")  # the operator APIs then read the body
    r = await client.post(
        path,
        content=chunked(2 * MiB),
        headers={"content-type": "application/json", **headers},
    )
    assert r.status_code == 413, r.text
    if not path.startswith("/wechat"):
        assert "太长" in r.json()["detail"]


@pytest.mark.parametrize(("path", "headers"), ENDPOINTS)
async def test_a_declared_length_over_the_cap_gets_413_unread(
    client: httpx.AsyncClient, path: str, headers: dict[str, str]
) -> None:
    r = await client.post(
        path,
        content=b"a" * (2 * MiB),
        headers={"content-type": "application/json", **headers},
    )
    assert r.status_code == 413


async def test_small_chunked_bodies_still_pass(client: httpx.AsyncClient) -> None:
    async def body():  # type: ignore[no-untyped-def]
        yield b'{"sender_id": "t1", '
        yield '"text": "你好"}'.encode()

    r = await client.post("/api/chat", content=body(), headers={"content-type": "application/json"})
    assert r.status_code == 200, r.text
    assert r.json()["messages"][0]["text"] == "您问的是：你好"


async def test_the_webhook_cap_fits_a_long_rasa_tracker(client: httpx.AsyncClient) -> None:
    """Rasa sends the whole session and the domain (~32 KB alone): the webhook has 1 MiB."""
    r = await client.post(
        "/webhook",
        content=chunked(300 * 1024),
        headers={"content-type": "application/json", "authorization": f"Bearer {ACTION_TOKEN}"},
    )
    assert r.status_code == 400  # read whole (not JSON), not cut


async def test_the_reader_gets_nothing_past_the_cap() -> None:
    """Any ASGI reader (not only FastAPI's) is stopped at the chunk that passes the cap."""
    from app.middleware import BodyLimitMiddleware

    seen: list[int] = []

    async def app(scope, receive, send):  # type: ignore[no-untyped-def]
        total = 0
        try:
            while True:
                message = await receive()
                total += len(message.get("body", b""))
                if not message.get("more_body"):
                    break
        except Exception:
            seen.append(total)
            raise
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"read all"})

    wrapped = BodyLimitMiddleware(app, max_bytes=1000)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=wrapped), base_url="http://t"
    ) as c:
        r = await c.post("/x", content=chunked(5000, chunk=700))
    assert r.status_code == 413
    assert seen == [700]  # it stopped at the first chunk past the cap


@pytest.mark.e2e
def test_chunked_body_over_a_real_socket(stack) -> None:  # type: ignore[no-untyped-def]
    """2 MiB chunked to the running app: 413, and the app keeps serving."""
    host, port = "127.0.0.1", stack.app_port
    with socket.create_connection((host, port), timeout=10) as s:
        s.sendall(
            b"POST /api/chat HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"Transfer-Encoding: chunked\r\n\r\n"
        )
        chunk = b"a" * 65536
        try:
            for _ in range(32):
                s.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            s.sendall(b"0\r\n\r\n")
        except (BrokenPipeError, ConnectionResetError):
            pass  # the app may answer and close before the body is sent
        answer = s.recv(4096)
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
    assert httpx.get(stack.app_url + "/healthz", timeout=5).status_code == 200
