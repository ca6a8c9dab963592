"""A SQL tracker store that never falls back to memory, and keeps long conversations cheap.

Rasa wraps every tracker store in ``FailSafeTrackerStore``, which on any database error
logs and keeps the conversation in memory, losing it on restart. This store instead refuses
to start when the database cannot be opened, and makes storage errors fail the request.

Rasa replays every event of the current session for each message: its policies rebuild the
state of every past turn, and every action call sends the whole session to the action
server. So a message late in a long conversation costs more than the first. This store hands
Rasa only the last :data:`RECENT_TURNS` user turns, after one ``SlotSet`` per slot that
holds the slot values as they were where the kept part starts (the policies look back 5
turns at most, config.yml). Every event stays in the database: saving writes only the
events added after loading (``retrieve_full_tracker`` still reads them all).
"""

from __future__ import annotations

import functools
import itertools
import json
import logging
from collections.abc import Iterator
from typing import Any

import sqlalchemy as sa
from rasa.core.tracker_store import FailSafeTrackerStore, SQLTrackerStore
from rasa.shared.core.constants import ACTION_LISTEN_NAME
from rasa.shared.core.events import (
    ActionExecuted,
    Event,
    SlotSet,
    deserialise_events,
)
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.utils.common import all_subclasses
from sqlalchemy.engine.url import make_url
from sqlalchemy.orm import sessionmaker
from sqlalchemy.pool import QueuePool

from bot import action_validation, policy_deferral
from core.database import UnusableSQLite, prepare_sqlite

log = logging.getLogger(__name__)

DEFAULT_URL = "sqlite:///var/rasa_tracker.sqlite3"
RECENT_TURNS = 10  # user turns of a session Rasa gets for each message
# Event types that change slots, the active form or the pause (what a shortened tracker must
# restore), and those that undo earlier events.
STATE = ("slot", "reset_slots", "active_loop", "pause", "resume", "restart", "session_started")
REVERTING = ("rewind", "undo")
STORED = "_yinfa_stored_events"  # on a shortened tracker: how many of its events are stored


class TrackerStoreUnavailable(RuntimeError):
    """The configured tracker store cannot be used; Rasa must not run without it."""


def _reraise(self: FailSafeTrackerStore, error: Exception) -> None:
    log.error("tracker store failed, refusing to fall back to memory: %s", error)
    raise TrackerStoreUnavailable(f"tracker store failed: {error}") from error


def forbid_memory_fallback() -> None:
    """Make FailSafeTrackerStore re-raise instead of switching to InMemoryTrackerStore."""
    FailSafeTrackerStore.on_tracker_store_error = _reraise  # type: ignore[method-assign]
    FailSafeTrackerStore.on_tracker_store_retrieve_error = _reraise  # type: ignore[method-assign]


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    """WAL with ``synchronous=NORMAL`` on every SQLite connection of the tracker store.

    Rasa's store uses SQLite's defaults: a rollback journal and a full sync, several
    fsyncs on every commit, each message (about a tenth of Rasa's time under load). With
    WAL a commit appends to the log, and NORMAL syncs it at checkpoints: a crash of Rasa
    loses nothing; a power cut may lose the last turns, never the file. Readers no longer
    wait for a writer either.
    """
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.close()


_resolve_by_type = Event.resolve_by_type


def _cached_resolve_by_type(type_name: str, default: Any = None) -> Any:
    """``Event.resolve_by_type`` with the type names looked up once.

    Rasa's own walks every subclass of ``Event`` (with an ``inspect.isabstract`` test each)
    for every event it reads: about a tenth of a millisecond per event, most of the time
    of loading a tracker. The first class of that walk with a name wins, as in Rasa's; an
    unknown name goes to Rasa's method (its default, old ``topic`` events, its error).
    """
    known = _event_types()
    return known[type_name] if type_name in known else _resolve_by_type(type_name, default)


@functools.cache
def _event_types() -> dict[str, Any]:
    types: dict[str, Any] = {}
    for cls in all_subclasses(Event):
        types.setdefault(cls.type_name, cls)
    return types


def cache_event_types() -> None:
    """Install :func:`_cached_resolve_by_type` (idempotent)."""
    Event.resolve_by_type = staticmethod(_cached_resolve_by_type)  # type: ignore[method-assign,assignment]


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
            sqlite = prepare_sqlite(url)
        except UnusableSQLite as exc:
            raise TrackerStoreUnavailable(f"cannot use the tracker store {url}: {exc}") from exc
        parsed = make_url(url)
        forbid_memory_fallback()
        action_validation.install()  # Rasa builds this store once, at start-up,
        policy_deferral.install()  # before it loads the model's graph
        cache_event_types()
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
        if sqlite:
            self._pool_sqlite()
        self._verify(url)

    def _pool_sqlite(self) -> None:
        """Keep SQLite connections open between messages, with the pragmas set.

        SQLAlchemy 1.4 (Rasa's) opens and closes a file database's connection for every
        session; with WAL, closing the last connection checkpoints the log and deletes it, an
        fsync each time. A small pool keeps one open (Rasa's server is one thread).
        """
        started: sa.engine.Engine = self.engine  # type: ignore[has-type]
        started.dispose()
        self.engine = sa.create_engine(
            started.url,
            poolclass=QueuePool,
            pool_size=2,
            connect_args={"check_same_thread": False},
        )
        sa.event.listen(self.engine, "connect", _sqlite_pragmas)
        self.sessionmaker = sessionmaker(bind=self.engine)

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

    async def retrieve(self, sender_id: str) -> DialogueStateTracker | None:
        """The current session's tracker, shortened to its last :data:`RECENT_TURNS` turns."""
        if self.domain is None:
            return None
        slots = list(self.domain.slots)
        with self.session_scope() as session:
            events, shortened = self._recent_events(session, sender_id, slots)
        if not events:
            return None
        tracker = DialogueStateTracker.from_events(sender_id, events, slots)
        if shortened:
            setattr(tracker, STORED, len(tracker.events))
        return tracker

    def _recent_events(
        self, session: Any, sender_id: str, slots: list[Any]
    ) -> tuple[list[Event], bool]:
        """The session's events from ``RECENT_TURNS`` user messages before the end, after
        ``SlotSet`` events restoring the slots there; or all of them (and ``False``) when the
        session is shorter, a form is active at every possible start, or events were undone
        (rewind/undo need the whole history)."""
        row = self.SQLEvent
        query = self._event_query(session, sender_id, fetch_events_from_all_sessions=False)
        kinds = query.with_entities(row.id, row.type_name).all()  # two small columns
        users = [i for i, kind in kinds if kind == "user"]
        reverted = any(kind in REVERTING for _, kind in kinds)
        if len(users) <= RECENT_TURNS or reverted:
            return _load(query.all()), False
        state_rows = query.filter(row.type_name.in_(STATE), row.id < users[-RECENT_TURNS]).all()
        state = list(zip([r.id for r in state_rows], _load(state_rows), strict=True))
        replay = DialogueStateTracker(sender_id, slots)
        cut, restore, applied = 0, [], 0
        for user_id in users[: len(users) - RECENT_TURNS + 1]:
            while applied < len(state) and state[applied][0] < user_id:
                replay.update(state[applied][1])
                applied += 1
            if replay.active_loop_name is None and not replay.is_paused():
                cut = user_id
                restore = [
                    SlotSet(s.name, s.value)
                    for s in replay.slots.values()
                    if s.value != s.initial_value
                ]
        if not cut:
            return _load(query.all()), False
        kept = _load(query.filter(row.id >= cut).all())
        start = kept[0].timestamp
        for event in restore:
            event.timestamp = start
        return [*restore, ActionExecuted(ACTION_LISTEN_NAME, timestamp=start), *kept], True

    def _additional_events(self, session: Any, tracker: DialogueStateTracker) -> Iterator[Event]:
        stored = getattr(tracker, STORED, None)
        if stored is None:  # a whole tracker: Rasa's own count of the stored events
            return super()._additional_events(session, tracker)
        return itertools.islice(tracker.events, stored, len(tracker.events))

    async def save(self, tracker: DialogueStateTracker) -> None:
        await super().save(tracker)
        if getattr(tracker, STORED, None) is not None:
            setattr(tracker, STORED, len(tracker.events))


def _load(rows: list[Any]) -> list[Event]:
    return deserialise_events([json.loads(r.data) for r in rows])
