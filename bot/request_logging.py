"""Rasa's log lines name the request they belong to, as the app's and the workers' do.

The app sends each message's request id to Rasa as the message's metadata
(``core.rasa_client``). :func:`install` makes Rasa's ``MessageProcessor.handle_message``
serve each message inside :func:`core.request_id.request_id_scope` with that id, and puts
:class:`core.logs.RequestIdFilter` and :data:`core.logs.FORMAT` on the handlers Rasa's
command line configured (its console handler, and its ``--log-file`` handler when given).
So every line logged while a message is handled (NLU, policies, action calls, the tracker
store) carries ``[<request id>]``, and ``-`` outside a message.

A message without a safe id (a direct REST call, a forged one: :func:`core.request_id.accepted`)
is logged with ``-``. Installed by :class:`bot.tracker_store.StrictSQLTrackerStore` when
Rasa builds it at start-up, after Rasa has configured its logging.
"""

from __future__ import annotations

import functools
import logging
from typing import Any

from rasa.core.processor import MessageProcessor

from core.logs import FORMAT, RequestIdFilter
from core.request_id import METADATA_KEY, accepted, request_id_scope

log = logging.getLogger(__name__)

# Rasa's own method while ours is installed (empty otherwise).
_ORIGINAL: dict[str, Any] = {}


def message_request_id(message: Any) -> str:
    """The safe request id in a ``UserMessage``'s metadata, or ``-``."""
    metadata = getattr(message, "metadata", None)
    value = metadata.get(METADATA_KEY) if isinstance(metadata, dict) else None
    return accepted(value) or "-"


async def _handle_message(self: MessageProcessor, message: Any) -> Any:
    with request_id_scope(message_request_id(message)):
        return await _ORIGINAL["handle_message"](self, message)


def name_requests(handlers: list[logging.Handler]) -> None:
    """Give each handler the request id filter and the format with the id (once)."""
    for handler in handlers:
        if not any(isinstance(f, RequestIdFilter) for f in handler.filters):
            handler.addFilter(RequestIdFilter())
        handler.setFormatter(logging.Formatter(FORMAT))


def install() -> None:
    """Serve each message under its request id, and name it in Rasa's log lines
    (idempotent)."""
    if "handle_message" not in _ORIGINAL:
        _ORIGINAL["handle_message"] = MessageProcessor.handle_message
        wrapped = functools.wraps(_ORIGINAL["handle_message"])(_handle_message)
        MessageProcessor.handle_message = wrapped  # type: ignore[method-assign]
    name_requests(logging.getLogger().handlers)
    log.info("Rasa's log lines name the request of the message they belong to")
