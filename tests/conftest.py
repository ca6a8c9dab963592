"""Shared fixtures. ``stack`` starts the real Rasa server and the real app once per session."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from core.database import Database
from tests.support.db import open_database
from tests.support.stack import Stack


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """The real stack on free ports with its own databases; stopped after the session."""
    s = Stack(tmp_path_factory.mktemp("stack"))
    try:
        s.start()
        yield s
    finally:
        s.stop()


@pytest.fixture
def app_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    """Settings isolated from the developer's environment and ``.env``."""
    from core.settings import Settings, get_settings

    for name in ("YINFA_ENV", "YINFA_DATABASE_URL", "YINFA_RASA_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    get_settings.cache_clear()
    settings = Settings(_env_file=None, var_dir=tmp_path / "var")  # type: ignore[call-arg]
    yield settings
    get_settings.cache_clear()


@pytest.fixture
def database(tmp_path: Path) -> Iterator[Database]:
    """A fresh app database, migrated as the app migrates it (SQLite in ``tmp_path``)."""
    db = open_database(f"sqlite:///{tmp_path / 'app.sqlite3'}")
    yield db
    db.dispose()
