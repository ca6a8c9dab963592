"""``/readyz``: the database in use and the state of every backend (contract)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from app.routes.health import router
from core.database import Database
from core.limits import ChatLimiter
from core.rasa_client import RasaUnavailable
from core.settings import Settings
from tests.support.postgres import postgres_server


class FakeRasa:
    def __init__(self, status: dict[str, Any] | Exception) -> None:
        self._status = status

    async def status(self) -> dict[str, Any]:
        if isinstance(self._status, Exception):
            raise self._status
        return self._status


class FakeStorage:
    """A ``limits`` storage whose health check says what the test wants."""

    def __init__(self, healthy: bool | Exception) -> None:
        self.healthy = healthy

    def check(self) -> bool:
        if isinstance(self.healthy, Exception):
            raise self.healthy
        return self.healthy


def _app(
    tmp_path: Path,
    database_url: str = "",
    rasa: FakeRasa | None = None,
    limits_url: str = "memory://",
    storage: FakeStorage | None = None,
) -> FastAPI:
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None,
        var_dir=tmp_path,
        database_url=database_url,
        limits_storage_url=limits_url,
    )
    app = FastAPI()
    app.include_router(router)
    app.state.settings = settings
    app.state.database = Database(settings.database_url)
    app.state.rasa = rasa or FakeRasa({"model_file": "bot-abc.tar.gz"})
    app.state.retriever = object()
    limiter = ChatLimiter(30, 15, 120, storage="memory://")
    if storage is not None:
        limiter.limiter.storage = storage  # type: ignore[assignment]
    app.state.chat_limiter = limiter
    return app


async def _ready(app: FastAPI) -> httpx.Response:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        return await client.get("/readyz")


async def test_ready_on_sqlite_names_the_database_and_each_backend(tmp_path: Path) -> None:
    r = await _ready(_app(tmp_path))
    assert r.status_code == 200
    body = r.json()
    assert body["status"] == "ready" and body["rasa_model"] == "bot-abc.tar.gz"
    assert body["database"] == "sqlite"
    assert body["backends"] == {"database": "ok", "rasa": "ok"}  # no Redis configured


async def test_rasa_down_or_without_model_is_not_ready(tmp_path: Path) -> None:
    down = await _ready(_app(tmp_path, rasa=FakeRasa(RasaUnavailable("connection refused"))))
    assert down.status_code == 503
    body = down.json()
    assert body["status"] == "not ready" and body["database"] == "sqlite"
    assert body["backends"]["rasa"].startswith("not reachable")
    assert any(m.startswith("rasa: not reachable") for m in body["missing"])
    empty = await _ready(_app(tmp_path, rasa=FakeRasa({"model_file": None})))
    assert empty.status_code == 503
    assert empty.json()["backends"]["rasa"] == "no model loaded"


async def test_unreachable_database_is_not_ready(tmp_path: Path) -> None:
    url = "postgresql+psycopg://u:secret-pw@127.0.0.1:9/nope?connect_timeout=2"
    r = await _ready(_app(tmp_path, database_url=url))
    assert r.status_code == 503
    body = r.json()
    assert body["database"] == "postgresql"
    assert body["backends"]["database"].startswith("not reachable")
    assert "secret-pw" not in r.text


@pytest.mark.parametrize(
    ("storage", "healthy"),
    [
        (FakeStorage(True), True),
        (FakeStorage(False), False),
        (FakeStorage(OSError("refused")), False),
    ],
)
async def test_redis_is_a_backend_when_the_limits_live_there(
    tmp_path: Path, storage: FakeStorage, healthy: bool
) -> None:
    app = _app(tmp_path, limits_url="redis://127.0.0.1:6390/0", storage=storage)
    r = await _ready(app)
    body = r.json()
    assert set(body["backends"]) == {"database", "rasa", "redis"}
    assert (r.status_code == 200) is healthy
    assert (body["backends"]["redis"] == "ok") is healthy


@pytest.mark.skipif(
    not list(Path("/usr/lib/postgresql").glob("*/bin/initdb")),
    reason="PostgreSQL is not installed (apt-get install postgresql; make test does it)",
)
async def test_ready_on_postgresql_says_postgresql(tmp_path: Path) -> None:
    with postgres_server() as url:
        app = _app(tmp_path, database_url=url)
        r = await _ready(app)
        app.state.database.dispose()
    assert r.status_code == 200
    assert r.json()["database"] == "postgresql"
    assert r.json()["backends"]["database"] == "ok"
