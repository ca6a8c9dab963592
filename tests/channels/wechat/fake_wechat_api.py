"""A local fake of WeChat's API server (token and customer-service endpoints).

It is a real HTTP server (FastAPI under uvicorn) on a free loopback port, run in a thread,
so the client under test goes through real sockets and real HTTP.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import uvicorn
from fastapi import FastAPI, Request


@dataclass
class FakeState:
    """What the fake server knows and saw; tests read and script it."""

    app_id: str
    app_secret: str
    valid_tokens: set[str] = field(default_factory=set)
    expired_tokens: set[str] = field(default_factory=set)
    token_requests: list[dict[str, Any]] = field(default_factory=list)
    send_attempts: list[dict[str, Any]] = field(default_factory=list)
    sent: list[dict[str, Any]] = field(default_factory=list)
    raw_bodies: list[bytes] = field(default_factory=list)
    scripted_errors: list[int] = field(default_factory=list)  # next sends fail with these
    lock: threading.Lock = field(default_factory=threading.Lock)
    _counter: int = 0

    def reset(self) -> None:
        with self.lock:
            self.valid_tokens.clear()
            self.expired_tokens.clear()
            self.token_requests.clear()
            self.send_attempts.clear()
            self.sent.clear()
            self.raw_bodies.clear()
            self.scripted_errors.clear()

    def expire_tokens(self) -> None:
        """Make every issued token expired (as after two hours)."""
        with self.lock:
            self.expired_tokens |= self.valid_tokens
            self.valid_tokens.clear()

    def revoke_tokens(self) -> None:
        """Make every issued token invalid (as when another party reset it)."""
        with self.lock:
            self.valid_tokens.clear()

    def new_token(self) -> str:
        self._counter += 1
        token = f"tok-{self._counter}-{int(time.time())}"
        self.valid_tokens.add(token)
        return token

    def texts(self) -> list[str]:
        with self.lock:
            return [m["text"]["content"] for m in self.sent]


def build_app(state: FakeState) -> FastAPI:
    app = FastAPI()

    @app.post("/cgi-bin/stable_token")
    async def stable_token(request: Request) -> dict[str, Any]:
        data = await request.json()
        with state.lock:
            state.token_requests.append(data)
            if data.get("appid") != state.app_id or data.get("secret") != state.app_secret:
                return {"errcode": 40125, "errmsg": "invalid appsecret"}
            if data.get("force_refresh") or not state.valid_tokens:
                token = state.new_token()
            else:
                token = sorted(state.valid_tokens)[-1]
        return {"access_token": token, "expires_in": 7200}

    @app.post("/cgi-bin/message/custom/send")
    async def custom_send(request: Request, access_token: str = "") -> dict[str, Any]:
        raw = await request.body()
        data = json.loads(raw)
        with state.lock:
            state.send_attempts.append(data)
            if access_token in state.expired_tokens:
                return {"errcode": 42001, "errmsg": "access_token expired"}
            if access_token not in state.valid_tokens:
                return {"errcode": 40001, "errmsg": "invalid credential"}
            if state.scripted_errors:
                code = state.scripted_errors.pop(0)
                return {"errcode": code, "errmsg": f"scripted {code}"}
            content = data.get("text", {}).get("content", "")
            if len(content.encode("utf-8")) > 2048:
                return {"errcode": 45002, "errmsg": "content size out of limit"}
            state.sent.append(data)
            state.raw_bodies.append(raw)
        return {"errcode": 0, "errmsg": "ok"}

    return app


class FakeWeChatServer:
    """Runs :func:`build_app` on a free loopback port in a background thread."""

    def __init__(self, app_id: str, app_secret: str) -> None:
        self.state = FakeState(app_id, app_secret)
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind(("127.0.0.1", 0))
        self.port = int(self._sock.getsockname()[1])
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(build_app(self.state), log_level="warning", lifespan="off")
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [self._sock]}, daemon=True
        )

    def start(self) -> None:
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("fake WeChat API server did not start")
            time.sleep(0.01)

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=10)
        self._sock.close()
