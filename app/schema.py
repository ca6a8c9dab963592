"""The schema of the app database, kept by Alembic migrations (``app/migrations``).

``make run``, the app's start-up, the worker and the tests call :func:`upgrade`. A database
made before migrations existed (by ``create_all``) is recognised and stamped at the first
revision, so no data is touched. ``python -m app.schema revision "message"`` writes a new
migration from the models.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import inspect

from core.database import Database, StorageError
from core.logs import configure as configure_logging

log = logging.getLogger(__name__)

MIGRATIONS = Path(__file__).with_name("migrations")
FIRST = "0001"
KNOWN_TABLE = "alerts"  # a table of the first revision: its presence means a pre-Alembic schema


def _config(connection: object) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def upgrade(database: Database) -> None:
    """Bring the database to the newest revision, or raise ``StorageError`` with the reason."""
    try:
        with database.engine.begin() as connection:
            tables = set(inspect(connection).get_table_names())
            config = _config(connection)
            if "alembic_version" not in tables and KNOWN_TABLE in tables:
                log.warning("app database made before migrations: stamping revision %s", FIRST)
                command.stamp(config, FIRST)
            command.upgrade(config, "head")
    except StorageError:
        raise
    except Exception as exc:  # any driver or migration error means we cannot run safely
        raise StorageError(
            f"cannot migrate the app database {database.engine.url!r}: {exc}"
        ) from exc


def main(argv: list[str]) -> int:
    """``upgrade``: migrate the configured database. ``revision MESSAGE``: autogenerate a
    migration against a scratch SQLite database."""
    import tempfile

    from core.settings import get_settings

    if argv == ["upgrade"]:
        configure_logging()
        database = Database(get_settings().database_url)
        try:
            database.open()
            upgrade(database)
        except StorageError as exc:
            log.error("%s", exc)
            return 1
        finally:
            database.dispose()
        log.info("app database at the newest schema")
        return 0
    if len(argv) != 2 or argv[0] != "revision":
        print('usage: python -m app.schema upgrade | revision "message"', file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as tmp:
        scratch = Database(f"sqlite:///{tmp}/scratch.sqlite3")
        scratch.open()
        upgrade(scratch)
        with scratch.engine.begin() as connection:
            command.revision(_config(connection), message=argv[1], autogenerate=True)
        scratch.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
