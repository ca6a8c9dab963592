"""Fixtures of the WeChat channel tests: a fake WeChat API server, a fake core, wechatpy."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field

import httpx
import pytest
from fastapi import FastAPI

from channels.wechat.deps import build_channel
from channels.wechat.replay import MemoryReplayGuard, ReplayGuard
from channels.wechat.router import router
from channels.wechat.service import WeChatChannel
from core.messages import BotMessage
from core.rasa_client import RasaUnavailable
from core.settings import Settings
from tests.channels.wechat.fake_wechat_api import FakeWeChatServer
from tests.channels.wechat.peer import WeChatPeer

TOKEN = "test-token-3f9a"
APP_ID = "wx0123456789abcdef"
APP_SECRET = "secret-for-tests"
AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"  # 43 characters


class FakeClock:
    """Wall clock that tests can move forward."""

    def __init__(self) -> None:
        self.offset = 0.0

    def __call__(self) -> float:
        return time.time() + self.offset

    def advance(self, seconds: float) -> None:
        self.offset += seconds


@dataclass
class FakeConversation:
    """Stands in for the conversation core (the real dialogue is tested elsewhere)."""

    delay: float = 0.0
    fail: bool = False
    answer: Callable[[str], list[BotMessage]] = field(
        default=lambda text: [BotMessage(text=f"您问的是：{text}")]
    )
    calls: list[tuple[str, str]] = field(default_factory=list)

    async def send(self, sender_id: str, text: str) -> list[BotMessage]:
        self.calls.append((sender_id, text))
        if self.delay:
            await asyncio.sleep(self.delay)
        if self.fail:
            raise RasaUnavailable("Rasa is down (test)")
        return self.answer(text)


@pytest.fixture(scope="session")
def fake_wechat_server() -> Iterator[FakeWeChatServer]:
    server = FakeWeChatServer(APP_ID, APP_SECRET)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def fake_wechat(fake_wechat_server: FakeWeChatServer) -> FakeWeChatServer:
    fake_wechat_server.state.reset()
    return fake_wechat_server


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def settings(fake_wechat: FakeWeChatServer) -> Settings:
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        env="test",
        rasa_token="t",
        action_token="a",
        session_secret="s",
        wechat_token=TOKEN,
        wechat_app_id=APP_ID,
        wechat_app_secret=APP_SECRET,
        wechat_encoding_aes_key=AES_KEY,
        wechat_api_base=fake_wechat.url,
        wechat_reply_deadline_s=0.3,
        hotline="12345",
        max_text_chars=500,
    )


@pytest.fixture
def guard() -> ReplayGuard:
    return MemoryReplayGuard()


@pytest.fixture
async def channel(
    settings: Settings, guard: ReplayGuard, clock: FakeClock
) -> AsyncIterator[WeChatChannel]:
    ch = build_channel(settings, guard, clock=clock)
    yield ch
    await ch.drain()
    await ch.aclose()


@pytest.fixture
def conversation() -> FakeConversation:
    return FakeConversation()


@dataclass
class HookCalls:
    calls: list[tuple[str, bool]] = field(default_factory=list)

    async def __call__(self, sender_id: str, subscribed: bool) -> None:
        self.calls.append((sender_id, subscribed))


@pytest.fixture
def hook() -> HookCalls:
    return HookCalls()


@pytest.fixture
def app(channel: WeChatChannel, conversation: FakeConversation, hook: HookCalls) -> FastAPI:
    app = FastAPI()
    app.include_router(router)
    app.state.conversation = conversation
    app.state.wechat_channel = channel
    app.state.wechat_subscription_hook = hook
    return app


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://wechat.test") as c:
        yield c


@pytest.fixture
def peer(clock: FakeClock) -> WeChatPeer:
    return WeChatPeer(TOKEN, AES_KEY, APP_ID, clock)


async def eventually(check: Callable[[], bool], timeout: float = 5.0) -> None:
    """Wait until ``check()`` is true (background deliveries), or fail."""
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.02)
