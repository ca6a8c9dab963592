"""ASGI middleware of the app: request ids, request metrics, the real client address, and
request-body caps that hold.

All are plain ASGI (no ``BaseHTTPMiddleware``), so streaming responses are not buffered.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Mapping
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network, ip_address

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from core.metrics import CHAT_SECONDS, HTTP_REQUESTS, HTTP_SECONDS
from core.request_id import HEADER, accepted, new_request_id, request_id_scope
from core.texts import text

Network = IPv4Network | IPv6Network


def _parse(value: str) -> IPv4Address | IPv6Address | None:
    """An address, IPv4-mapped IPv6 (``::ffff:1.2.3.4``) as plain IPv4; None if not one."""
    try:
        parsed = ip_address(value.strip())
    except ValueError:
        return None
    if isinstance(parsed, IPv6Address) and parsed.ipv4_mapped is not None:
        return parsed.ipv4_mapped
    return parsed


def client_address(peer: str, forwarded_for: Iterable[str], trusted: tuple[Network, ...]) -> str:
    """The client's address: the socket peer, unless the peer is a trusted proxy.

    Behind trusted proxies, ``X-Forwarded-For`` is read from the right (the hop the nearest
    proxy saw) to the left, skipping trusted proxies; the first other address is the client.
    Entries left of it were written by the client and are never believed.
    """
    peer_ip = _parse(peer)
    if peer_ip is None or not any(peer_ip in net for net in trusted):
        return peer
    hops = [h.strip() for value in forwarded_for for h in value.split(",") if h.strip()]
    client = peer
    for hop in reversed(hops):
        hop_ip = _parse(hop)
        if hop_ip is None:
            break  # garbage: stop at the last address a trusted proxy vouched for
        client = str(hop_ip)
        if not any(hop_ip in net for net in trusted):
            break
    return client


class ClientAddressMiddleware:
    """Rewrites ``scope["client"]`` to the real client address (see :func:`client_address`).

    Run uvicorn with ``--no-proxy-headers`` so that this is the only place that reads
    ``X-Forwarded-For`` (uvicorn would otherwise believe it from 127.0.0.1).
    """

    def __init__(self, app: ASGIApp, trusted: tuple[Network, ...]) -> None:
        self.app = app
        self.trusted = trusted

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket") and self.trusted and scope.get("client"):
            host, port = scope["client"]
            forwarded = [
                v.decode("latin-1") for k, v in scope["headers"] if k == b"x-forwarded-for"
            ]
            if forwarded:
                scope = dict(scope, client=(client_address(host, forwarded, self.trusted), port))
        await self.app(scope, receive, send)


class RequestIdMiddleware:
    """Gives every request an id (``core.request_id``) and returns it as ``X-Request-ID``.

    The caller's ``X-Request-ID`` is kept when it is a safe short token, else replaced by a
    new one. The id is the current request id while the request is served, so every log
    line and the message sent to Rasa carry it.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = [v.decode("latin-1") for k, v in scope["headers"] if k == b"x-request-id"]
        request_id = (accepted(given[0].strip()) if len(given) == 1 else None) or new_request_id()
        header = (HEADER.lower().encode(), request_id.encode())

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [h for h in message.get("headers", []) if h[0] != header[0]]
                message = dict(message, headers=[*headers, header])
            await send(message)

        with request_id_scope(request_id):
            await self.app(scope, receive, send_with_id)


METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
CHAT_ROUTES = {"/api/chat": "web"}
"""Routes whose whole request is one resident turn (``yinfa_chat_turn_seconds{channel}``);
WeChat's turns are timed by ``channels.wechat.turns``, since its request may end first."""


def route_label(scope: Scope) -> str:
    """The route template a request matched (``/api/operator/alerts/{alert_id}``), or
    ``unmatched``: never the raw path, which would make a label per URL."""
    route = scope.get("route")
    path = getattr(route, "path", None)
    return path if isinstance(path, str) and path else "unmatched"


class RequestMetricsMiddleware:
    """Counts requests by route template, method and status, and times them
    (``core.metrics``); a chat request that was answered (not refused with a 4xx) is
    also a chat turn. It must sit inside every middleware that copies the scope, since
    the router writes the matched route into the scope it is given."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500  # an exception before any answer: Starlette's error handler answers 500

        async def watched_send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, watched_send)
        finally:
            route = route_label(scope)
            method = scope.get("method", "")
            method = method if method in METHODS else "other"
            elapsed = time.perf_counter() - started
            HTTP_REQUESTS.labels(route, method, str(status)).inc()
            HTTP_SECONDS.labels(route).observe(elapsed)
            channel = CHAT_ROUTES.get(route)
            if channel is not None and not 400 <= status < 500:
                CHAT_SECONDS.labels(channel).observe(elapsed)


class BodyTooLarge(HTTPException):
    """Raised from ``receive`` once more than the cap has been read."""

    def __init__(self) -> None:
        super().__init__(status_code=413, detail=text("too_large"))


class BodyLimitMiddleware:
    """Caps request bodies by the bytes actually received, chunked or not.

    A declared ``Content-Length`` over the cap is refused before anything is read. Otherwise
    ``receive`` is wrapped: the moment the body passes the cap, :class:`BodyTooLarge` is
    raised inside whatever is reading it; FastAPI and Starlette turn it into 413, and if it
    reaches this middleware before a response has started, it answers 413 itself.

    Args:
        app: the wrapped app.
        max_bytes: the cap for every path not in ``per_path``.
        per_path: path prefix to cap (the longest matching prefix wins).
    """

    def __init__(
        self, app: ASGIApp, max_bytes: int, per_path: Mapping[str, int] | None = None
    ) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.per_path = sorted((per_path or {}).items(), key=lambda kv: -len(kv[0]))

    def cap_for(self, path: str) -> int:
        for prefix, cap in self.per_path:
            if path == prefix or path.startswith(prefix.rstrip("/") + "/"):
                return cap
        return self.max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        cap = self.cap_for(scope["path"])
        declared = [v for k, v in scope["headers"] if k == b"content-length"]
        if declared:
            value = declared[0].decode("latin-1").strip()
            if len(declared) > 1 or not value.isdigit():
                await _answer(send, 400, text("too_large"))
                return
            if int(value) > cap:
                await _answer(send, 413, text("too_large"))
                return
        received = 0
        started = False

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > cap:
                    raise BodyTooLarge()
            return message

        async def watched_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, watched_send)
        except BodyTooLarge:
            if started:
                raise
            await _answer(send, 413, text("too_large"))


async def _answer(send: Send, status: int, detail: str) -> None:
    body = json.dumps({"detail": detail}, ensure_ascii=False).encode("utf-8")
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
