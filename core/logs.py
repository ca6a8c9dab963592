"""Log format of every process: each line names the request it belongs to.

The app's uvicorn reads ``app/logging.yml`` (``--log-config``, as the Procfile and the test
stack start it); the other entry points (``python -m alerts worker``, ``python -m console``,
``python -m app.schema``) call :func:`configure`. Both put :class:`RequestIdFilter` on their
handlers, so every record that reaches a handler, from any logger (uvicorn's access log
included), gets ``request_id``: the current request's id, or ``-`` outside a request.
"""

from __future__ import annotations

import logging

from core.request_id import current_request_id

FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"
QUIET = ("httpx", "httpcore")
"""Loggers kept at WARNING: httpx logs every request URL at INFO, and Rasa's token and
WeChat's access token travel in query strings."""


class RequestIdFilter(logging.Filter):
    """Adds ``request_id`` to each record (``-`` outside a request); drops nothing."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = current_request_id() or "-"
        return True


def configure(level: int = logging.INFO) -> None:
    """Log to stderr in :data:`FORMAT` (for the entry points that are not uvicorn)."""
    handler = logging.StreamHandler()
    handler.addFilter(RequestIdFilter())
    handler.setFormatter(logging.Formatter(FORMAT))
    logging.basicConfig(level=level, handlers=[handler])
    for name in QUIET:
        logging.getLogger(name).setLevel(logging.WARNING)
