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

Each message costs one query to load (plain rows, no ORM objects) and one multi-row INSERT
to save; Rasa's own store counts the stored events first and flushes one ORM object per
event.
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
from rasa.shared.nlu.constants import INTENT_NAME_KEY
from rasa.shared.utils.common import all_subclasses
from sqlalchemy.engine.url import make_url
from sqlalchemy.orm import sessionmaker
from sqlalchemy.pool import QueuePool

from bot import action_validation, kept_connections, policy_deferral, request_logging
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


def install_adapters() -> None:
    """Install the adapters of ``bot/`` (validation, TED deferral, kept connections,
    request ids in the log).

    Rasa builds the store inside ``except (AttributeError, ImportError)`` and answers either
    with a warning and an ``InMemoryTrackerStore``: every conversation would be lost at the
    next restart, and replicas would not share them. So an adapter that cannot be imported
    (a package missing from ``.venv-rasa``) stops Rasa with :class:`TrackerStoreUnavailable`.
    """
    try:
        action_validation.install()
        policy_deferral.install()
        kept_connections.install()
        request_logging.install()
    except (AttributeError, ImportError) as exc:
        log.error("cannot install the Rasa adapters of bot/: %s", exc)
        raise TrackerStoreUnavailable(f"cannot install the Rasa adapters of bot/: {exc}") from exc


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
        install_adapters()  # Rasa builds this store once, at start-up, before the model
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
            rows = self._session_rows(session, sender_id)
        if not rows:
            return None
        tracker = DialogueStateTracker.from_events(sender_id, _recent_events(rows, slots), slots)
        setattr(tracker, STORED, len(tracker.events))  # saving then needs no count query
        return tracker

    def _session_rows(self, session: Any, sender_id: str) -> list[Any]:
        """``(id, type_name, data)`` of the current session's events, in order: one query,
        plain rows (no ORM objects)."""
        row = self.SQLEvent
        query = self._event_query(session, sender_id, fetch_events_from_all_sessions=False)
        return list(query.with_entities(row.id, row.type_name, row.data).all())

    def _additional_events(self, session: Any, tracker: DialogueStateTracker) -> Iterator[Event]:
        stored = getattr(tracker, STORED, None)
        if stored is None:  # a tracker this store did not load: Rasa's count of stored events
            return super()._additional_events(session, tracker)
        return itertools.islice(tracker.events, stored, len(tracker.events))

    async def save(self, tracker: DialogueStateTracker) -> None:
        """Append the events added since loading (or the last save) in one INSERT.

        Rasa's own adds one ORM object per event, which SQLAlchemy flushes one INSERT at a
        time; the rows are the same (``sender_id``, ``type_name``, ``timestamp``,
        ``intent_name``, ``action_name``, ``data``).
        """
        await self.stream_events(tracker)
        with self.session_scope() as session:
            rows = [_row(tracker.sender_id, e) for e in self._additional_events(session, tracker)]
            if rows:
                session.execute(self.SQLEvent.__table__.insert(), rows)
            session.commit()
        setattr(tracker, STORED, len(tracker.events))


def _recent_events(rows: list[Any], slots: list[Any]) -> list[Event]:
    """The session's events from ``RECENT_TURNS`` user messages before the end, after
    ``SlotSet`` events restoring the slots there; or all of them when the session is
    shorter, a form is active at every possible start, or events were undone (rewind and
    undo need the whole history)."""
    users = [i for i, r in enumerate(rows) if r.type_name == "user"]
    reverted = any(r.type_name in REVERTING for r in rows)
    if len(users) <= RECENT_TURNS or reverted:
        return _load(rows)
    first_kept = users[-RECENT_TURNS]
    state = [(i, r) for i, r in enumerate(rows[:first_kept]) if r.type_name in STATE]
    state_events = list(zip([i for i, _ in state], _load([r for _, r in state]), strict=True))
    replay = DialogueStateTracker("replay", slots)
    cut, restore, applied = None, [], 0
    for user in users[: len(users) - RECENT_TURNS + 1]:
        while applied < len(state_events) and state_events[applied][0] < user:
            replay.update(state_events[applied][1])
            applied += 1
        if replay.active_loop_name is None and not replay.is_paused():
            cut = user
            restore = [
                SlotSet(s.name, s.value)
                for s in replay.slots.values()
                if s.value != s.initial_value
            ]
    if cut is None:
        return _load(rows)
    kept = _load(rows[cut:])
    start = kept[0].timestamp
    for event in restore:
        event.timestamp = start
    return [*restore, ActionExecuted(ACTION_LISTEN_NAME, timestamp=start), *kept]


def _row(sender_id: str, event: Event) -> dict[str, Any]:
    """The events table's columns for ``event``, as Rasa's ``SQLTrackerStore.save`` fills them."""
    data = event.as_dict()
    intent = data.get("parse_data", {}).get("intent", {}).get(INTENT_NAME_KEY)
    return {
        "sender_id": sender_id,
        "type_name": event.type_name,
        "timestamp": data.get("timestamp"),
        "intent_name": intent,
        "action_name": data.get("name"),
        "data": json.dumps(data),
    }


def _load(rows: list[Any]) -> list[Event]:
    return deserialise_events([json.loads(r.data) for r in rows])
