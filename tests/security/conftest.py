"""Fixtures of the security tests: the real app (``create_app``) on a real SQLite database.

The app is built without its lifespan (no Rasa, no dense model): its state is filled here
with the real database, the real action executor, a retriever over the real knowledge data
with the fake embedder, a conversation that echoes instead of calling Rasa, and the limits,
stream gate and console services built the way ``app.bootstrap.app_services`` builds them.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from functools import partial
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from alerts.sent import sent_between
from core.messages import BotMessage
from core.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "correct horse battery"
ACTION_TOKEN = "test-action-token-0123456789"
ROLES = {
    "op1": "operator",
    "officer_a": "alert_officer",
    "officer_b": "alert_officer",
    "admin1": "admin",
    "editor1": "editor",
}


class EchoConversation:
    """Stands in for ``core.conversation.Conversation``; counts what reaches "Rasa"."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str]] = []
        self.rasa = self

    async def send(self, sender_id: str, text: str) -> list[BotMessage]:
        self.calls.append((sender_id, text))
        return [BotMessage(text=f"您问的是：{text}")]

    async def trigger(self, sender_id: str, intent: str, entities: Any = None) -> list[BotMessage]:
        return []

    async def status(self) -> dict[str, str]:
        return {"model_file": "test-model.tar.gz"}


@pytest.fixture(scope="session")
def real_retriever():  # type: ignore[no-untyped-def]
    """BM25 and query normalisation over the real knowledge data; fake dense embedder."""
    from knowledge.corpus import load_corpus
    from knowledge.embedding import FakeEmbedder
    from knowledge.retriever import Retriever

    corpus = load_corpus(ROOT / "knowledge" / "data", ROOT.parent / "shared" / "sources")
    return Retriever.from_corpus(corpus, FakeEmbedder())


def security_settings(tmp_path: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "env": "test",
        "var_dir": tmp_path / "var",
        "rasa_token": "test-rasa-token",
        "action_token": ACTION_TOKEN,
        "session_secret": "test-session-secret",
        "wechat_token": "test-wechat-token",
        "wechat_app_secret": "test-wechat-secret",
        "wechat_api_base": "http://127.0.0.1:9",
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


def build_app(settings: Settings, retriever: object) -> FastAPI:
    """``create_app`` with its state filled as the lifespan would, minus Rasa and the model."""
    from actions import scam_desk
    from actions.base import ActionServices, build_executor
    from alerts.desk import AlertDesk
    from app import bootstrap
    from app.main import create_app
    from channels.wechat.deps import build_channel
    from channels.wechat.replay import SqlReplayGuard
    from console import accounts
    from console.deps import session_operator
    from tests.support.db import open_database

    app = create_app(settings)
    database = open_database(settings.database_url)
    for name, role in ROLES.items():
        accounts.create(database, name, role, PASSWORD)
    services = ActionServices(
        settings=settings, retriever=retriever, database=database, alerts=AlertDesk(database)
    )  # type: ignore[arg-type]
    app.state.database = database
    app.state.retriever = retriever
    app.state.action_services = services
    app.state.action_executor = build_executor(services)
    app.state.conversation = EchoConversation()
    app.state.rasa = app.state.conversation.rasa  # readiness asks it for the model
    guard = SqlReplayGuard(database)
    guard.open()
    app.state.wechat_channel = build_channel(settings, guard)  # as app.bootstrap builds it
    # Built by app.bootstrap.app_services (create_app builds no service).
    app.state.chat_limiter = bootstrap.chat_limiter(settings)
    app.state.login_limiter = bootstrap.login_limiter(settings)
    app.state.stream_gate = bootstrap.stream_gate(settings)
    app.state.authenticate = session_operator
    app.state.scam_desk = scam_desk
    app.state.alerts_sent = partial(sent_between, database)  # the weekly summary's reach
    return app


@pytest.fixture
def app(tmp_path: Path, real_retriever: object) -> Iterator[FastAPI]:
    application = build_app(security_settings(tmp_path), real_retriever)
    yield application
    application.state.database.dispose()


def client_for(app: FastAPI, address: str = "203.0.113.10") -> httpx.AsyncClient:
    """A client whose requests reach the app from ``address`` (the socket peer)."""
    transport = httpx.ASGITransport(app=app, client=(address, 40000))
    return httpx.AsyncClient(transport=transport, base_url="http://testserver")


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with client_for(app) as c:
        yield c


async def chunked(total: int, chunk: int = 64 * 1024) -> AsyncIterator[bytes]:
    """A streamed body of ``total`` bytes with no Content-Length (chunked on the wire)."""
    sent = 0
    while sent < total:
        n = min(chunk, total - sent)
        yield b"a" * n
        sent += n
