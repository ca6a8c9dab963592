"""The app database (SQLAlchemy): SQLite file by default, PostgreSQL by URL.

:func:`prepare_sqlite` is also used by Rasa's tracker store (``bot/tracker_store.py``), which
imports this module under Rasa's SQLAlchemy 1.4: use only what 1.4 and 2 both have.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Engine
from sqlalchemy.engine.url import make_url
from sqlalchemy.orm import Session, sessionmaker

log = logging.getLogger(__name__)


class StorageError(RuntimeError):
    """The configured database cannot be opened; the app refuses to start."""


class UnusableSQLite(ValueError):
    """A SQLite URL that would lose its data, or whose folder cannot be made."""


def prepare_sqlite(url: str) -> bool:
    """Whether ``url`` is a SQLite one; if so, the folder of its file is made. Raises
    :class:`UnusableSQLite` for an in-memory SQLite database or a folder that cannot be made."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return False
    if not parsed.database or parsed.database == ":memory:":
        raise UnusableSQLite("an in-memory SQLite database would lose data; give a file path")
    try:
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UnusableSQLite(f"cannot create the folder of {parsed.database}: {exc}") from exc
    return True


class Database:
    """Engine and session factory of one database URL."""

    def __init__(self, url: str) -> None:
        self.url = url
        try:
            sqlite = prepare_sqlite(url)
        except UnusableSQLite as exc:
            raise StorageError(f"cannot open the app database {url}: {exc}") from exc
        if sqlite:
            self.engine: Engine = create_engine(
                url, connect_args={"check_same_thread": False, "timeout": 30}
            )
            event.listen(self.engine, "connect", _sqlite_pragmas)
        else:
            self.engine = create_engine(url, pool_pre_ping=True)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)

    def open(self) -> None:
        """Connect once, or raise StorageError with the reason. The tables are made and kept
        by the migrations (``app.schema.upgrade``)."""
        try:
            with self.engine.connect() as conn:
                conn.execute(text("SELECT 1"))
        except Exception as exc:  # any driver error means we cannot run safely
            raise StorageError(f"cannot open the app database {self.engine.url!r}: {exc}") from exc

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session that commits on success and rolls back on error."""
        with self.sessions() as s:
            try:
                yield s
                s.commit()
            except Exception:
                s.rollback()
                raise

    def dispose(self) -> None:
        self.engine.dispose()


def _sqlite_pragmas(dbapi_conn, _record) -> None:  # type: ignore[no-untyped-def]
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.close()
