"""Builds the FastAPI app. Heavy work (database, index, model) happens in the lifespan."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import fields

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from app.middleware import BodyLimitMiddleware, ClientAddressMiddleware
from core.limits import ChatLimiter
from core.settings import Settings, get_settings
from core.texts import text

log = logging.getLogger(__name__)


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Build every service once (``app.bootstrap``) and hand them to the routes."""
    from app.bootstrap import app_services

    async with app_services(app.state.settings) as services:
        app.state.services = services
        # Routes read their piece by name (``request.app.state.database`` …): one object
        # each, built above, never rebuilt. ``dataclasses.fields`` keeps the names in step.
        for item in fields(services):
            setattr(app.state, item.name, getattr(services, item.name))
        yield


async def _validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
    """422 with a short Chinese explanation (and the machine-readable errors)."""
    fields = {str(err.get("loc", [""])[-1]) for err in exc.errors()}
    key = "invalid_sender" if fields == {"sender_id"} else "invalid_input"
    errors = [{"loc": list(e.get("loc", [])), "type": e.get("type")} for e in exc.errors()]
    return JSONResponse({"detail": text(key), "errors": errors}, status_code=422)


def create_app(settings: Settings | None = None) -> FastAPI:
    """The app with every router; state is filled by ``lifespan`` on startup."""
    from actions import scam_desk
    from alerts import banner
    from alerts import routes as alert_routes
    from alerts.stream import StreamGate
    from app.routes import health, webhook
    from channels import webchat
    from channels.web import router as web_router
    from channels.wechat import router as wechat
    from console import routes as console_routes
    from console.deps import session_operator
    from console.ratelimit import LoginLimiter

    app = FastAPI(title="银发助手 app", version="0.1.0", lifespan=lifespan)
    settings = app.state.settings = settings or get_settings()
    app.add_exception_handler(RequestValidationError, _validation_error)  # type: ignore[arg-type]
    # Added last = outermost: the client address is known before bodies are read.
    app.add_middleware(
        BodyLimitMiddleware,
        max_bytes=settings.max_body_bytes,
        per_path={"/webhook": settings.webhook_max_body_bytes},
    )
    app.add_middleware(ClientAddressMiddleware, trusted=settings.trusted_networks())
    app.state.chat_limiter = ChatLimiter(
        settings.chat_rate_per_min,
        settings.chat_burst,
        settings.chat_rate_per_address_per_min,
        storage=settings.limits_storage_url,
    )
    app.state.login_limiter = LoginLimiter(storage=settings.limits_storage_url)
    app.state.stream_gate = StreamGate(settings.events_max_per_address, settings.events_max_streams)
    app.state.authenticate = session_operator  # who is signed in: the console's sessions
    app.state.scam_desk = scam_desk  # the bot's scam check, for the console
    app.include_router(health.router)
    app.include_router(webhook.router)
    app.include_router(webchat.router)
    app.include_router(wechat.router)
    app.include_router(web_router.router)
    app.include_router(console_routes.router)
    app.include_router(alert_routes.router)
    app.include_router(banner.router)
    return app
