"""Liveness and readiness.

``/readyz`` (**contract**) says which database the app runs on (``"database": "sqlite"`` or
``"postgresql"``) and the state of every backend it needs: the database, Rasa, and Redis
when the limits are kept there (``YINFA_LIMITS_STORAGE_URL=redis://…``). Each state is
``"ok"`` or the reason it is not; any reason makes the answer 503 with a ``missing`` list.
"""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse

from app.deps import LoadedRetrieverDep
from core.database import Database
from core.deps import DatabaseDep, RasaDep, SettingsDep, service
from core.limits import ChatLimiter
from core.rasa_client import RasaClient, RasaUnavailable

router = APIRouter(tags=["health"])

OK = "ok"
MAX_REASON = 200  # a proxy's HTML error page is not a reason
REDIS_SCHEMES = ("redis://", "rediss://", "redis+sentinel://", "redis+cluster://", "redis+unix://")
LimiterDep = Annotated[ChatLimiter | None, Depends(service("chat_limiter", optional=True))]


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    """The process is alive."""
    return {"status": "ok"}


def _database_state(database: Database) -> str:
    try:
        database.open()  # one ``SELECT 1`` on a pooled connection
    except Exception as exc:  # StorageError names the database (password hidden)
        return f"not reachable: {exc}"
    return OK


async def _rasa_state(rasa: RasaClient) -> tuple[str, str | None]:
    """The state of Rasa (through its balancer in a cluster) and its model file."""
    try:
        status = await rasa.status()
    except RasaUnavailable as exc:
        return f"not reachable: {exc}", None
    model = status.get("model_file")
    return (OK, str(model)) if model else ("no model loaded", None)


def _redis_state(limiter: ChatLimiter | None) -> str:
    if limiter is None:
        return "not configured in this app"
    try:
        healthy = bool(limiter.limiter.storage.check())
    except Exception as exc:  # the redis client's own error says what failed
        return f"not reachable: {exc}"
    return OK if healthy else "not reachable: PING failed"


@router.get("/readyz")
async def readyz(
    retriever: LoadedRetrieverDep,
    rasa: RasaDep,
    database: DatabaseDep,
    settings: SettingsDep,
    limiter: LimiterDep,
) -> JSONResponse:
    """200 only when the knowledge index is loaded and every backend answers: the database,
    Rasa with a loaded model, and Redis when the limits live there."""
    checks: list[Any] = [asyncio.to_thread(_database_state, database), _rasa_state(rasa)]
    uses_redis = settings.limits_storage_url.startswith(REDIS_SCHEMES)
    if uses_redis:
        checks.append(asyncio.to_thread(_redis_state, limiter))
    states = await asyncio.gather(*checks)
    rasa_state, model = states[1]
    backends = {"database": states[0], "rasa": rasa_state}
    if uses_redis:
        backends["redis"] = states[2]
    missing = [] if retriever is not None else ["knowledge index not loaded"]
    backends = {name: " ".join(state.split())[:MAX_REASON] for name, state in backends.items()}
    missing += [f"{name}: {state}" for name, state in backends.items() if state != OK]
    body: dict[str, Any] = {"database": database.engine.dialect.name, "backends": backends}
    if missing:
        return JSONResponse({"status": "not ready", "missing": missing, **body}, status_code=503)
    return JSONResponse({"status": "ready", "rasa_model": model, **body})
