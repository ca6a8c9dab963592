"""Liveness and readiness."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from app.deps import LoadedRetrieverDep
from core.deps import RasaDep
from core.rasa_client import RasaUnavailable

router = APIRouter(tags=["health"])


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    """The process is alive."""
    return {"status": "ok"}


@router.get("/readyz")
async def readyz(retriever: LoadedRetrieverDep, rasa: RasaDep) -> JSONResponse:
    """200 only when Rasa answers with a loaded model and the knowledge index is loaded."""
    missing: list[str] = []
    if retriever is None:
        missing.append("knowledge index not loaded")
    try:
        status = await rasa.status()
        if not status.get("model_file"):
            missing.append("Rasa has no model loaded")
    except RasaUnavailable as exc:
        missing.append(f"Rasa not reachable: {exc}")
    if missing:
        return JSONResponse({"status": "not ready", "missing": missing}, status_code=503)
    return JSONResponse({"status": "ready", "rasa_model": status.get("model_file")})
