"""Hooks given to the ``WeChatChannel`` constructor, and their per-request overrides."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI

from channels.wechat.deps import build_channel
from channels.wechat.replay import ReplayGuard
from channels.wechat.router import router
from channels.wechat.service import WeChatChannel
from core.limits import ChatLimiter
from core.settings import Settings
from tests.channels.wechat.conftest import FakeClock, FakeConversation, HookCalls
from tests.channels.wechat.peer import WeChatPeer, event_xml, reply_fields, text_xml

OPENID = "oHooks_1"
SENDER = f"wechat:{OPENID}"


def msg_id() -> str:
    return str(secrets.randbelow(10**18))


class Seen:
    def __init__(self) -> None:
        self.senders: list[str] = []

    def __call__(self, sender_id: str) -> None:  # a sync hook
        self.senders.append(sender_id)


@pytest.fixture
async def hooked(
    settings: Settings, guard: ReplayGuard, clock: FakeClock
) -> AsyncIterator[tuple[WeChatChannel, Seen, HookCalls]]:
    seen, subscriptions = Seen(), HookCalls()
    channel = build_channel(
        settings,
        guard,
        clock=clock,
        on_inbound=seen,
        on_subscription=subscriptions,
        limiter=ChatLimiter(rate_per_min=1, burst=1),
    )
    yield channel, seen, subscriptions
    await channel.drain()
    await channel.aclose()


def _client(
    channel: WeChatChannel, conversation: FakeConversation, **state: object
) -> httpx.AsyncClient:
    app = FastAPI()
    app.include_router(router)
    app.state.conversation = conversation
    app.state.wechat_channel = channel
    for name, value in state.items():
        setattr(app.state, name, value)
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t")


async def test_constructor_hooks_are_used_when_the_request_brings_none(
    hooked: tuple[WeChatChannel, Seen, HookCalls], peer: WeChatPeer, conversation: FakeConversation
) -> None:
    channel, seen, subscriptions = hooked
    now = int(peer.clock())
    async with _client(channel, conversation) as client:
        for xml in (event_xml(OPENID, "subscribe", now), text_xml(OPENID, "你好", msg_id(), now)):
            signed = peer.plaintext(xml)
            assert (
                await client.post("/wechat", params=signed.params, content=signed.body)
            ).status_code == 200
        signed = peer.plaintext(text_xml(OPENID, "二", msg_id(), now))
        resp = await client.post("/wechat", params=signed.params, content=signed.body)
    assert seen.senders == [SENDER] * 3
    assert subscriptions.calls == [(SENDER, True)]
    assert "太快" in reply_fields(resp.text)["Content"]  # the constructor's limiter (burst 1)
    assert [t for _, t in conversation.calls] == ["你好"]


async def test_request_hooks_take_precedence_over_constructor_hooks(
    hooked: tuple[WeChatChannel, Seen, HookCalls], peer: WeChatPeer, conversation: FakeConversation
) -> None:
    channel, _, constructor_subscriptions = hooked
    request_subscriptions = HookCalls()
    state = {
        "wechat_subscription_hook": request_subscriptions,
        "chat_limiter": ChatLimiter(rate_per_min=1, burst=5),
    }
    now = int(peer.clock())
    async with _client(channel, conversation, **state) as client:
        for xml in (
            event_xml(OPENID, "unsubscribe", now),
            text_xml(OPENID, "一", msg_id(), now),
            text_xml(OPENID, "二", msg_id(), now),
        ):
            signed = peer.plaintext(xml)
            assert (
                await client.post("/wechat", params=signed.params, content=signed.body)
            ).status_code == 200
    assert request_subscriptions.calls == [(SENDER, False)]
    assert constructor_subscriptions.calls == []
    assert [t for _, t in conversation.calls] == ["一", "二"]  # burst 5, not 1


async def test_on_inbound_attribute_still_replaces_the_constructor_hook(
    hooked: tuple[WeChatChannel, Seen, HookCalls], peer: WeChatPeer, conversation: FakeConversation
) -> None:
    channel, constructor_seen, _ = hooked
    later = Seen()
    channel.on_inbound = later
    async with _client(channel, conversation) as client:
        signed = peer.plaintext(text_xml(OPENID, "你好", msg_id(), int(peer.clock())))
        assert (
            await client.post("/wechat", params=signed.params, content=signed.body)
        ).status_code == 200
    assert later.senders == [SENDER] and constructor_seen.senders == []
