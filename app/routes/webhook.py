"""The Rasa action endpoint: ``POST /webhook`` runs ``actions/`` through ActionExecutor.

Only Rasa may call it: every request must carry ``Authorization: Bearer <token>`` with the
app's ``action_token`` (or, during a rotation, ``action_token_previous``); Rasa sends it from
``endpoints.yml``. Anything else gets 401 before the body is read, and no action runs.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from rasa_sdk.executor import ActionExecutor
from rasa_sdk.interfaces import (
    ActionExecutionRejection,
    ActionMissingDomainException,
    ActionNotFoundException,
)

from app.bearer import bearer_matches
from app.deps import ActionExecutorDep
from core.deps import SettingsDep
from core.request_id import METADATA_KEY, accepted, current_request_id, request_id_scope
from core.settings import Settings

log = logging.getLogger(__name__)

router = APIRouter(tags=["rasa"])


def accepted_tokens(settings: Settings) -> list[str]:
    """The tokens ``/webhook`` accepts now (the current one, and the previous while rotating)."""
    return [t for t in (settings.action_token, settings.action_token_previous) if t]


def is_rasa(request: Request, settings: Settings) -> bool:
    """Whether the request carries an accepted action token (compared in constant time)."""
    return bearer_matches(request, accepted_tokens(settings))


@router.post("/webhook", include_in_schema=False)
async def action_webhook(
    request: Request, settings: SettingsDep, executor: ActionExecutorDep
) -> JSONResponse:
    """Same contract as rasa-sdk's Sanic endpoint, served by FastAPI."""
    if not is_rasa(request, settings):
        peer = request.client.host if request.client else "?"
        log.warning("action webhook: refused a call without Rasa's token from %s", peer)
        return JSONResponse(
            {"error": "not authorized"},
            status_code=401,
            headers={"WWW-Authenticate": 'Bearer realm="rasa-actions"'},
        )
    try:
        action_call: dict[str, Any] = await request.json()
    except ValueError:
        return JSONResponse({"error": "Invalid body request"}, status_code=400)
    with request_id_scope(message_request_id(action_call) or current_request_id() or "-"):
        return await _run(executor, action_call)


def message_request_id(action_call: Any) -> str | None:
    """The id of the request that sent the user message this action call answers: the
    app put it into the message's metadata (``core.rasa_client``), and Rasa hands the
    tracker's latest message to the action server."""
    try:
        metadata = action_call["tracker"]["latest_message"]["metadata"]
        return accepted(metadata.get(METADATA_KEY))
    except (KeyError, TypeError, AttributeError):
        return None


async def _run(executor: ActionExecutor, action_call: dict[str, Any]) -> JSONResponse:
    """Run the action; rasa-sdk's errors become the answers Rasa expects."""
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
