"""Keep the HTTP connection to the action server open between action calls.

Rasa 3.6's ``EndpointConfig.request`` opens a new ``aiohttp.ClientSession`` for every
call, so every action call (one or more per message) pays for a new session, a new TCP
connection to the app's ``/webhook`` and its teardown, on both sides. :func:`install`
makes ``EndpointConfig.session`` hand out one session per endpoint and event loop, kept
open; ``request`` itself is Rasa's, unchanged (headers, timeout, errors).

Idle connections are dropped after :data:`KEEPALIVE_S`, before uvicorn's own keep-alive
limit (5 s) closes them from the other side, so a call never goes out on a connection the
server is closing.

Installed by :class:`bot.tracker_store.StrictSQLTrackerStore` when Rasa builds it at
start-up.
"""

from __future__ import annotations

import asyncio
from types import TracebackType
from typing import Any

import aiohttp
from rasa.core.constants import DEFAULT_REQUEST_TIMEOUT
from rasa.utils.endpoints import EndpointConfig

KEEPALIVE_S = 3.0
_KEPT = "_yinfa_kept_session"  # on an EndpointConfig: (event loop, open session)
# Rasa's own method while ours is installed (empty otherwise).
_ORIGINAL: dict[str, Any] = {}


class _Kept:
    """``async with`` gives the open session and leaves it open."""

    def __init__(self, session: aiohttp.ClientSession) -> None:
        self._session = session

    async def __aenter__(self) -> aiohttp.ClientSession:
        return self._session

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        return None


def _open(endpoint: EndpointConfig) -> aiohttp.ClientSession:
    """A session configured as Rasa's ``EndpointConfig.session`` makes it, kept alive."""
    auth = None
    if endpoint.basic_auth:
        auth = aiohttp.BasicAuth(endpoint.basic_auth["username"], endpoint.basic_auth["password"])
    return aiohttp.ClientSession(
        headers=endpoint.headers,
        auth=auth,
        timeout=aiohttp.ClientTimeout(total=DEFAULT_REQUEST_TIMEOUT),
        connector=aiohttp.TCPConnector(keepalive_timeout=KEEPALIVE_S),
    )


def _session(self: EndpointConfig) -> Any:
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:  # not inside a loop: a session of its own, as Rasa's
        return _ORIGINAL["session"](self)
    kept = getattr(self, _KEPT, None)
    if kept is None or kept[0] is not loop or kept[1].closed:
        kept = (loop, _open(self))
        setattr(self, _KEPT, kept)
    return _Kept(kept[1])


def install() -> None:
    """Make every endpoint reuse one open session per event loop (idempotent)."""
    if _ORIGINAL:
        return
    _ORIGINAL["session"] = EndpointConfig.session
    EndpointConfig.session = _session  # type: ignore[method-assign]


def uninstall() -> None:
    """Give ``EndpointConfig`` back Rasa's own method (for tests and benchmarks)."""
    if not _ORIGINAL:
        return
    EndpointConfig.session = _ORIGINAL["session"]  # type: ignore[method-assign]
    _ORIGINAL.clear()
