"""The id of the request being served, for log lines and for Rasa's message metadata.

``app.middleware.RequestIdMiddleware`` sets it for each request: the caller's
``X-Request-ID`` when it is a safe short token (:func:`accepted`), else a new one
(:func:`new_request_id`). It lives in a context variable, so it follows the request into
every coroutine and thread it starts (``asyncio`` tasks and ``actions.offload`` copy the
context). ``core.logs.RequestIdFilter`` writes it into every log line; ``core.rasa_client``
sends it to Rasa as the message's metadata, and the action webhook takes it back from the
tracker, so the actions of one message log the id of the request that sent it.

A request id never carries personal data: an incoming one with a run of six or more digits
(it could be a phone number, a card number or a code) is refused and replaced.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

HEADER = "X-Request-ID"
METADATA_KEY = "request_id"
MAX_LENGTH = 64

_SAFE = re.compile(rf"^[A-Za-z0-9._-]{{1,{MAX_LENGTH}}}$")
_LONG_NUMBER = re.compile(r"\d{6}")
_LETTERS = str.maketrans("0123456789", "ghijklmnop")

_current: ContextVar[str | None] = ContextVar("yinfa_request_id", default=None)


def accepted(value: object) -> str | None:
    """``value`` if it is a safe request id (a string of letters, digits, ``.``, ``_``,
    ``-``; at most 64 characters; no run of six or more digits), else None."""
    if not isinstance(value, str) or not _SAFE.match(value) or _LONG_NUMBER.search(value):
        return None
    return value


def new_request_id() -> str:
    """A new random id: a uuid4 in 32 letters (its hex digits 0-9 written as g-p), so that
    no id ever looks like a phone number or a code."""
    return hex_as_letters(uuid.uuid4().hex)


def hex_as_letters(hexdigits: str) -> str:
    """Hex digits with 0-9 written as g-p: an id that no scanner for personal numbers (or
    reader) can take for a phone number or a code."""
    return hexdigits.translate(_LETTERS)


def current_request_id() -> str | None:
    """The id of the request being served here, or None outside a request."""
    return _current.get()


@contextmanager
def request_id_scope(request_id: str) -> Iterator[str]:
    """Make ``request_id`` the current id inside the block."""
    token = _current.set(request_id)
    try:
        yield request_id
    finally:
        _current.reset(token)
