"""Liveness and readiness."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from core.rasa_client import RasaUnavailable

router = APIRouter(tags=["health"])


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    """The process is alive."""
    return {"status": "ok"}


@router.get("/readyz")
async def readyz(request: Request) -> JSONResponse:
    """200 only when Rasa answers with a loaded model and the knowledge index is loaded."""
    state = request.app.state
    missing: list[str] = []
    if getattr(state, "retriever", None) is None:
        missing.append("knowledge index not loaded")
    try:
        status = await state.conversation.rasa.status()
        if not status.get("model_file"):
            missing.append("Rasa has no model loaded")
    except RasaUnavailable as exc:
        missing.append(f"Rasa not reachable: {exc}")
    if missing:
        return JSONResponse({"status": "not ready", "missing": missing}, status_code=503)
    return JSONResponse({"status": "ready", "rasa_model": status.get("model_file")})
