"""A SQL tracker store that never falls back to memory.

Rasa wraps every tracker store in ``FailSafeTrackerStore``, which on any database error
logs and keeps the conversation in memory, losing it on restart. This store instead refuses
to start when the database cannot be opened, and makes storage errors fail the request.
"""

from __future__ import annotations

import logging
from typing import Any

import sqlalchemy as sa
from rasa.core.tracker_store import FailSafeTrackerStore, SQLTrackerStore
from sqlalchemy.engine.url import make_url

from bot import action_validation
from core.database import UnusableSQLite, prepare_sqlite

log = logging.getLogger(__name__)

DEFAULT_URL = "sqlite:///var/rasa_tracker.sqlite3"


class TrackerStoreUnavailable(RuntimeError):
    """The configured tracker store cannot be used; Rasa must not run without it."""


def _reraise(self: FailSafeTrackerStore, error: Exception) -> None:
    log.error("tracker store failed, refusing to fall back to memory: %s", error)
    raise TrackerStoreUnavailable(f"tracker store failed: {error}") from error


def forbid_memory_fallback() -> None:
    """Make FailSafeTrackerStore re-raise instead of switching to InMemoryTrackerStore."""
    FailSafeTrackerStore.on_tracker_store_error = _reraise  # type: ignore[method-assign]
    FailSafeTrackerStore.on_tracker_store_retrieve_error = _reraise  # type: ignore[method-assign]


class StrictSQLTrackerStore(SQLTrackerStore):
    """SQLTrackerStore configured by one URL (``RASA_TRACKER_URL``), SQLite by default.

    Args:
        url: SQLAlchemy URL, e.g. ``sqlite:///var/rasa_tracker.sqlite3`` or
            ``postgresql://user:pw@host/db`` (endpoints.yml passes ``$RASA_TRACKER_URL``).
    """

    def __init__(
        self,
        domain: Any = None,
        host: str | None = None,
        event_broker: Any = None,
        url: str | None = None,
        **kwargs: Any,
    ) -> None:
        url = url or host or DEFAULT_URL  # endpoints.yml gives ${RASA_TRACKER_URL}
        try:
            prepare_sqlite(url)
        except UnusableSQLite as exc:
            raise TrackerStoreUnavailable(f"cannot use the tracker store {url}: {exc}") from exc
        parsed = make_url(url)
        forbid_memory_fallback()
        action_validation.install()  # Rasa builds this store once, at start-up
        super().__init__(
            domain=domain,
            dialect=parsed.drivername,
            host=parsed.host,
            port=parsed.port,
            db=parsed.database or "rasa",
            username=parsed.username,
            password=parsed.password,
            event_broker=event_broker,
            query=dict(parsed.query) or None,
            **kwargs,
        )
        self._verify(url)

    def _verify(self, url: str) -> None:
        shown = make_url(url).render_as_string(hide_password=True)
        try:
            with self.engine.connect() as conn:
                conn.execute(sa.text("SELECT 1"))
            if not sa.inspect(self.engine).has_table(self.SQLEvent.__tablename__):
                raise TrackerStoreUnavailable(f"no events table could be created in {shown}")
        except sa.exc.SQLAlchemyError as exc:
            raise TrackerStoreUnavailable(f"cannot open tracker store {shown}: {exc}") from exc
        log.info("tracker store ready: %s", shown)
