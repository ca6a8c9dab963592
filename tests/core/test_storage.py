from __future__ import annotations

from pathlib import Path

import pytest

from core.database import Database, StorageError
from tests.support.db import open_database


def test_sqlite_file_is_created_and_tables_exist(tmp_path: Path) -> None:
    db = open_database(f"sqlite:///{tmp_path / 'sub' / 'app.sqlite3'}")
    from sqlalchemy import inspect

    assert "feedback" in inspect(db.engine).get_table_names()
    db.dispose()


def test_in_memory_database_is_refused() -> None:
    with pytest.raises(StorageError, match="in-memory"):
        Database("sqlite://")


def test_unopenable_database_refuses_with_a_clear_message(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(StorageError, match="cannot open the app database"):
        Database(f"sqlite:///{blocker / 'app.sqlite3'}").open()


def test_unreachable_postgres_refuses(tmp_path: Path) -> None:
    db = Database("postgresql+psycopg://u:p@127.0.0.1:9/nope?connect_timeout=2")
    with pytest.raises(StorageError, match="cannot open the app database"):
        db.open()


def test_migrations_make_every_table_of_the_models(tmp_path: Path) -> None:
    """Alembic's head and the models agree: nothing left for autogenerate to add."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from app.tables import metadata

    db = open_database(f"sqlite:///{tmp_path / 'app.sqlite3'}")
    with db.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), metadata)
    db.dispose()
    assert diff == []


def test_a_database_made_before_migrations_is_adopted_with_its_rows(tmp_path: Path) -> None:
    """A database made by ``create_all`` (before Alembic) is stamped, upgraded by the later
    revisions, and keeps its data."""
    from alembic import command
    from alembic.script import ScriptDirectory
    from sqlalchemy import inspect, text

    from app import schema

    url = f"sqlite:///{tmp_path / 'old.sqlite3'}"
    old = Database(url)
    old.open()
    with old.engine.begin() as conn:  # the schema of the first revision, without Alembic
        command.upgrade(schema._config(conn), schema.FIRST)
        conn.execute(text("DROP TABLE alembic_version"))
    with old.engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO alert_subscriptions (channel, user_id, active, subscribed_at)"
                " VALUES ('web', 'u1', 1, '2026-01-01 00:00:00')"
            )
        )
    schema.upgrade(old)
    schema.upgrade(old)  # a second start changes nothing
    assert "alembic_version" in inspect(old.engine).get_table_names()
    with old.engine.connect() as conn:
        head = ScriptDirectory.from_config(schema._config(None)).get_current_head()
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == head
        assert conn.execute(text("SELECT count(*) FROM alert_subscriptions")).scalar() == 1
    old.dispose()


def test_a_broken_migration_target_is_a_clear_storage_error(tmp_path: Path) -> None:
    from sqlalchemy import text

    from app import schema

    db = Database(f"sqlite:///{tmp_path / 'odd.sqlite3'}")
    db.open()
    with db.engine.begin() as conn:
        conn.execute(text("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL)"))
        conn.execute(text("INSERT INTO alembic_version VALUES ('no-such-revision')"))
    with pytest.raises(StorageError, match="cannot migrate the app database"):
        schema.upgrade(db)
    db.dispose()


def test_migrations_run_on_postgresql() -> None:
    """The same migrations on a real PostgreSQL server: every table, nothing left to add."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from app.tables import metadata
    from tests.support.postgres import postgres_server

    with postgres_server() as url:
        db = open_database(url)
        with db.engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn), metadata)
        db.dispose()
    assert diff == []
