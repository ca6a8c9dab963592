"""A local fake of WeChat's API server (token, customer-service and template endpoints).

Template messages behave as WeChat documents them: an unknown template id is 40037, an
unsubscribed user 43004, a spent daily quota 45009 (until :meth:`FakeState.reset_quota`), a
``thing`` value over 20 characters (or a ``character_string`` over 32) 47003.

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
    unsubscribed: set[str] = field(default_factory=set)  # openids that get 43004
    window_closed: set[str] = field(default_factory=set)  # customer-service 45015 for these
    templates: set[str] = field(default_factory=set)  # template ids the account has
    template_quota: int | None = None  # template messages per day; None: no limit
    template_used: int = 0
    template_attempts: list[dict[str, Any]] = field(default_factory=list)
    template_sent: list[dict[str, Any]] = field(default_factory=list)
    template_errors: list[int] = field(default_factory=list)  # next template sends fail
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
            self.unsubscribed.clear()
            self.window_closed.clear()
            self.templates.clear()
            self.template_quota = None
            self.template_used = 0
            self.template_attempts.clear()
            self.template_sent.clear()
            self.template_errors.clear()

    def reset_quota(self) -> None:
        """WeChat's daily reset: the template quota starts again."""
        with self.lock:
            self.template_used = 0

    def template_openids(self) -> list[str]:
        with self.lock:
            return [m["touser"] for m in self.template_sent]

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
            if data.get("touser") in state.unsubscribed:
                return {"errcode": 43004, "errmsg": "require subscribe"}
            if data.get("touser") in state.window_closed:
                return {"errcode": 45015, "errmsg": "response out of time limit"}
            content = data.get("text", {}).get("content", "")
            if len(content.encode("utf-8")) > 2048:
                return {"errcode": 45002, "errmsg": "content size out of limit"}
            state.sent.append(data)
            state.raw_bodies.append(raw)
        return {"errcode": 0, "errmsg": "ok"}

    @app.post("/cgi-bin/message/template/send")
    async def template_send(request: Request, access_token: str = "") -> dict[str, Any]:
        data = json.loads(await request.body())
        with state.lock:
            state.template_attempts.append(data)
            error = _template_error(state, access_token, data)
            if error:
                return {"errcode": error, "errmsg": TEMPLATE_ERRORS.get(error, "scripted")}
            state.template_used += 1
            state.template_sent.append(data)
            return {"errcode": 0, "errmsg": "ok", "msgid": 1000 + len(state.template_sent)}

    return app


TEMPLATE_ERRORS = {
    40001: "invalid credential",
    42001: "access_token expired",
    40037: "invalid template_id",
    43004: "require subscribe",
    45009: "reach max api daily quota limit",
    47003: "argument invalid! data value invalid",
}
FIELD_LIMITS = {"thing": 20, "character_string": 32}


def _template_error(state: FakeState, token: str, data: dict[str, Any]) -> int:
    """The error WeChat would answer for this template send (0: none); holds the lock."""
    if token in state.expired_tokens:
        return 42001
    if token not in state.valid_tokens:
        return 40001
    if state.template_errors:
        return state.template_errors.pop(0)
    if data.get("template_id") not in state.templates:
        return 40037
    if data.get("touser") in state.unsubscribed:
        return 43004
    if state.template_quota is not None and state.template_used >= state.template_quota:
        return 45009
    for key, item in (data.get("data") or {}).items():
        kind = key.rstrip("0123456789")
        value = str(item.get("value", ""))
        if "\n" in value or len(value) > FIELD_LIMITS.get(kind, 200):
            return 47003
    return 0


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
