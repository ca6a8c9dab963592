from __future__ import annotations

from pathlib import Path

import pytest

from app.db import Database, StorageError


def test_sqlite_file_is_created_and_tables_exist(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'sub' / 'app.sqlite3'}")
    db.open()
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
