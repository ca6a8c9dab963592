"""Replay state: in-process and in the app database (shared by replicas)."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from channels.wechat.deps import build_channel, get_wechat_channel
from channels.wechat.replay import MemoryReplayGuard, NonceVerdict, ReplayGuard, SqlReplayGuard
from channels.wechat.router import router
from core.database import Database
from tests.channels.wechat.conftest import FakeClock, FakeConversation
from tests.channels.wechat.peer import WeChatPeer, text_xml


@pytest.fixture(params=["memory", "sql"])
def any_guard(request: pytest.FixtureRequest, tmp_path: Path) -> ReplayGuard:
    if request.param == "memory":
        return MemoryReplayGuard(nonce_ttl=600, message_ttl=3600)
    db = Database(f"sqlite:///{tmp_path / 'guard.sqlite3'}")
    db.open()
    guard = SqlReplayGuard(db, nonce_ttl=600, message_ttl=3600, purge_every=0)
    guard.open()
    return guard


async def test_nonce_verdicts(any_guard: ReplayGuard) -> None:
    assert await any_guard.check_nonce("n1", "msg:1", 1000.0) is NonceVerdict.NEW
    assert await any_guard.check_nonce("n1", "msg:1", 1001.0) is NonceVerdict.SAME_MESSAGE
    assert await any_guard.check_nonce("n1", "msg:2", 1002.0) is NonceVerdict.REUSED
    assert await any_guard.check_nonce("n2", "msg:2", 1003.0) is NonceVerdict.NEW


async def test_nonce_expires(any_guard: ReplayGuard) -> None:
    assert await any_guard.check_nonce("n1", "msg:1", 1000.0) is NonceVerdict.NEW
    assert await any_guard.check_nonce("n1", "msg:2", 1599.0) is NonceVerdict.REUSED
    assert await any_guard.check_nonce("n1", "msg:2", 1601.0) is NonceVerdict.NEW


async def test_message_claims(any_guard: ReplayGuard) -> None:
    assert await any_guard.claim_message("msg:1", 1000.0)
    assert not await any_guard.claim_message("msg:1", 1001.0)
    assert await any_guard.claim_message("msg:2", 1001.0)
    assert await any_guard.claim_message("msg:1", 4601.0)  # expired


def test_memory_guard_is_bounded() -> None:
    import asyncio

    guard = MemoryReplayGuard(max_entries=10)

    async def fill() -> None:
        for i in range(100):
            await guard.claim_message(f"k{i}", 1000.0)

    asyncio.run(fill())
    assert len(guard._messages._items) == 10


async def test_sql_guard_survives_a_restart(database: Database) -> None:
    first = SqlReplayGuard(database)
    first.open()
    assert await first.claim_message("msg:9", 1000.0)
    assert await first.check_nonce("n9", "msg:9", 1000.0) is NonceVerdict.NEW
    second = SqlReplayGuard(Database(database.url))
    assert not await second.claim_message("msg:9", 1010.0)
    assert await second.check_nonce("n9", "msg:other", 1010.0) is NonceVerdict.REUSED


async def test_two_replicas_sharing_the_database_give_one_turn(
    settings, database: Database, peer: WeChatPeer, clock: FakeClock
) -> None:  # type: ignore[no-untyped-def]
    conversation = FakeConversation()
    clients, channels = [], []
    for _ in range(2):
        guard = SqlReplayGuard(database)
        guard.open()
        channel = build_channel(settings, guard, clock=clock)
        app = FastAPI()
        app.include_router(router)
        app.state.conversation = conversation
        app.state.wechat_channel = channel
        channels.append(channel)
        clients.append(
            httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://r")
        )
    xml = text_xml("oReplica", "你好", "5550001", int(clock()))
    statuses = []
    for c in clients + clients:
        signed = peer.encrypted(xml)
        resp = await c.post("/wechat", params=signed.params, content=signed.body)
        statuses.append(resp.status_code)
    assert statuses == [200] * 4
    assert len(conversation.calls) == 1
    for c in clients:
        await c.aclose()
    for ch in channels:
        await ch.aclose()


async def test_the_channel_dependency_serves_the_one_channel_the_app_built(
    settings, database: Database
) -> None:  # type: ignore[no-untyped-def]
    """The composition root builds the channel once (on the app database); the dependency
    hands out that one and never builds another (503 until it exists)."""
    from fastapi import HTTPException
    from starlette.requests import Request

    app = FastAPI()
    request = Request({"type": "http", "app": app, "headers": [], "query_string": b""})
    with pytest.raises(HTTPException) as refused:
        get_wechat_channel(request)
    assert refused.value.status_code == 503
    guard = SqlReplayGuard(database)
    guard.open()
    app.state.wechat_channel = build_channel(settings, guard)
    assert get_wechat_channel(request) is app.state.wechat_channel
    assert isinstance(get_wechat_channel(request).guard, SqlReplayGuard)
    await app.state.wechat_channel.aclose()
