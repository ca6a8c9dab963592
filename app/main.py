"""Builds the FastAPI app. Heavy work (database, index, model) happens in the lifespan."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from app.limits import ChatLimiter
from app.middleware import BodyLimitMiddleware, ClientAddressMiddleware
from app.settings import Settings, get_settings
from app.texts import text

log = logging.getLogger(__name__)


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Open storage, load the knowledge index, connect to Rasa; close them on shutdown."""
    from actions.base import ActionServices, build_executor
    from actions.policy_answer import knowledge_answer
    from app.conversation import Conversation
    from app.db import Database
    from app.rasa_client import RasaClient
    from channels.wechat.deps import build_channel
    from channels.wechat.replay import SqlReplayGuard
    from knowledge.retriever import Retriever

    settings: Settings = app.state.settings
    database = Database(settings.database_url)
    database.open()  # raises StorageError with the reason; the app then refuses to start
    log.info("app database open: %s", database.engine.url.render_as_string(hide_password=True))
    retriever = Retriever.load(settings)
    rasa = RasaClient(settings.rasa_url, settings.rasa_token, settings.rasa_timeout_s)
    services = ActionServices(settings=settings, retriever=retriever, database=database)
    knowledge_answer(services).warm()  # the gazetteer and jieba's tables, before the first message

    app.state.database = database
    app.state.retriever = retriever
    app.state.conversation = Conversation(rasa, max_chars=settings.max_text_chars)
    app.state.services = services
    app.state.action_executor = build_executor(services)
    guard = SqlReplayGuard(database)
    guard.open()
    app.state.wechat_channel = build_channel(settings, guard)
    try:
        yield
    finally:
        await app.state.wechat_channel.aclose()
        await rasa.aclose()
        database.dispose()


async def _validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
    """422 with a short Chinese explanation (and the machine-readable errors)."""
    fields = {str(err.get("loc", [""])[-1]) for err in exc.errors()}
    key = "invalid_sender" if fields == {"sender_id"} else "invalid_input"
    errors = [{"loc": list(e.get("loc", [])), "type": e.get("type")} for e in exc.errors()]
    return JSONResponse({"detail": text(key), "errors": errors}, status_code=422)


def create_app(settings: Settings | None = None) -> FastAPI:
    """The app with every router; state is filled by ``lifespan`` on startup."""
    from alerts import routes as alert_routes
    from alerts.stream import StreamGate
    from app.routes import health, webhook
    from channels import webchat
    from channels.web import router as web_router
    from channels.wechat import router as wechat
    from console import routes as console_routes
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
    app.include_router(health.router)
    app.include_router(webhook.router)
    app.include_router(webchat.router)
    app.include_router(wechat.router)
    app.include_router(web_router.router)
    app.include_router(console_routes.router)
    app.include_router(alert_routes.router)  # also runs the inline delivery worker
    return app
