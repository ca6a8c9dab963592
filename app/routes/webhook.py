"""The Rasa action endpoint: ``POST /webhook`` runs ``actions/`` through ActionExecutor."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from rasa_sdk.interfaces import (
    ActionExecutionRejection,
    ActionMissingDomainException,
    ActionNotFoundException,
)

log = logging.getLogger(__name__)

router = APIRouter(tags=["rasa"])


@router.post("/webhook", include_in_schema=False)
async def action_webhook(request: Request) -> JSONResponse:
    """Same contract as rasa-sdk's Sanic endpoint, served by FastAPI."""
    try:
        action_call: dict[str, Any] = await request.json()
    except ValueError:
        return JSONResponse({"error": "Invalid body request"}, status_code=400)
    executor = request.app.state.action_executor
    try:
        result = await executor.run(action_call)
    except ActionExecutionRejection as e:
        return JSONResponse({"error": e.message, "action_name": e.action_name}, status_code=400)
    except ActionNotFoundException as e:
        log.error("unknown action requested by Rasa: %s", e.action_name)
        return JSONResponse({"error": e.message, "action_name": e.action_name}, status_code=404)
    except ActionMissingDomainException as e:
        return JSONResponse({"error": e.message, "action_name": e.action_name}, status_code=449)
    return JSONResponse(result.model_dump() if result else None)
