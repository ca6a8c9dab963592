"""Builds the FastAPI app. Heavy work (database, index, model) happens in the lifespan."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import fields
from typing import TYPE_CHECKING

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from app.middleware import (
    BodyLimitMiddleware,
    ClientAddressMiddleware,
    RequestIdMiddleware,
    RequestMetricsMiddleware,
)
from core.settings import Settings, get_settings
from core.texts import text

if TYPE_CHECKING:
    from app.bootstrap import Services

log = logging.getLogger(__name__)


def install(app: FastAPI, services: Services) -> None:
    """Hand the services to the routes.

    ``app.state.services`` is the typed container; each field is also put on ``app.state``
    under its own name, because that is what the typed dependencies read
    (``core.deps.app_service``: ``DatabaseDep`` reads ``app.state.database``, and so on).
    The features' ``deps`` may not import ``Services`` (layer contract), and one attribute
    per service lets an app assembled without the lifespan (tests) set just the services it
    needs. ``dataclasses.fields`` keeps the names in step with ``Services``; routes and the
    other modules never read ``app.state`` themselves.
    """
    app.state.services = services
    for item in fields(services):
        setattr(app.state, item.name, getattr(services, item.name))


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Build every service once (``app.bootstrap``) and hand them to the routes."""
    from app.bootstrap import app_services

    async with app_services(app.state.settings) as services:
        install(app, services)
        yield


async def _validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
    """422 with a short Chinese explanation (and the machine-readable errors)."""
    fields = {str(err.get("loc", [""])[-1]) for err in exc.errors()}
    key = "invalid_sender" if fields == {"sender_id"} else "invalid_input"
    errors = [{"loc": list(e.get("loc", [])), "type": e.get("type")} for e in exc.errors()]
    return JSONResponse({"detail": text(key), "errors": errors}, status_code=422)


def create_app(settings: Settings | None = None) -> FastAPI:
    """The app with every router; its services are built by ``lifespan`` on startup
    (``app.state`` holds only the settings until then)."""
    from alerts import banner
    from alerts import routes as alert_routes
    from app.routes import health, metrics, webhook
    from channels import webchat
    from channels.web import router as web_router
    from channels.wechat import router as wechat
    from console import routes as console_routes
    from insights import routes as insights_routes
    from insights import weekly

    app = FastAPI(title="银发助手 app", version="0.1.0", lifespan=lifespan)
    settings = app.state.settings = settings or get_settings()
    app.add_exception_handler(RequestValidationError, _validation_error)  # type: ignore[arg-type]
    # Added last = outermost: the request id first (every log line has it), then the client
    # address, known before bodies are read. The metrics sit inside the address middleware,
    # which copies the scope: they read the route the router writes into it.
    app.add_middleware(
        BodyLimitMiddleware,
        max_bytes=settings.max_body_bytes,
        per_path={"/webhook": settings.webhook_max_body_bytes},
    )
    app.add_middleware(RequestMetricsMiddleware)
    app.add_middleware(ClientAddressMiddleware, trusted=settings.trusted_networks())
    app.add_middleware(RequestIdMiddleware)
    app.include_router(health.router)
    app.include_router(metrics.router)
    app.include_router(webhook.router)
    app.include_router(webchat.router)
    app.include_router(wechat.router)
    app.include_router(web_router.router)
    app.include_router(console_routes.router)
    app.include_router(alert_routes.router)
    app.include_router(banner.router)
    app.include_router(insights_routes.router)
    app.include_router(weekly.router)
    return app
