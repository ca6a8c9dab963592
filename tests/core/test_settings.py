from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from core.settings import Settings


@pytest.fixture(autouse=True)
def _no_yinfa_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """`make` exports local defaults (YINFA_PORT, YINFA_RASA_TOKEN ...); start from none."""
    import os

    for name in list(os.environ):
        if name.startswith("YINFA_"):
            monkeypatch.delenv(name)


def test_defaults_work_locally_without_configuration(tmp_path: Path) -> None:
    s = Settings(_env_file=None, var_dir=tmp_path)  # type: ignore[call-arg]
    assert s.env == "development"
    assert s.database_url == f"sqlite:///{tmp_path / 'app.sqlite3'}"
    assert s.index_dir == tmp_path / "index"
    assert (s.host, s.port) == ("127.0.0.1", 8000)
    assert s.rasa_timeout_s == 8.0


def test_placeholder_secrets_are_refused_outside_development(tmp_path: Path) -> None:
    with pytest.raises(ValidationError) as err:
        Settings(_env_file=None, env="production", var_dir=tmp_path)  # type: ignore[call-arg]
    assert "YINFA_RASA_TOKEN" in str(err.value)
    assert "YINFA_SESSION_SECRET" in str(err.value)


def test_environment_overrides(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("YINFA_RASA_TIMEOUT_S", "2.5")
    monkeypatch.setenv("YINFA_DATABASE_URL", "postgresql://u:p@db/yinfa")
    s = Settings(_env_file=None, var_dir=tmp_path)  # type: ignore[call-arg]
    assert s.rasa_timeout_s == 2.5
    assert s.database_url == "postgresql://u:p@db/yinfa"


def test_dotenv_file_is_read(tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text("YINFA_HOTLINE=12345\nYINFA_PORT=8123\n", encoding="utf-8")
    s = Settings(_env_file=env_file, var_dir=tmp_path)  # type: ignore[call-arg]
    assert s.port == 8123
