"""The customer-service API client against the local fake of WeChat's API server."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from channels.wechat.customer_service import (
    CustomerServiceClient,
    OutsideServiceWindow,
    UserUnreachable,
    WeChatAPIError,
)
from channels.wechat.service import WeChatChannel
from tests.channels.wechat.conftest import APP_ID, APP_SECRET, FakeConversation
from tests.channels.wechat.fake_wechat_api import FakeWeChatServer
from tests.channels.wechat.peer import WeChatPeer, text_xml


@pytest.fixture
async def cs(fake_wechat: FakeWeChatServer) -> AsyncIterator[CustomerServiceClient]:
    client = CustomerServiceClient(fake_wechat.url, APP_ID, APP_SECRET, timeout_s=5)
    yield client
    await client.aclose()


async def test_sends_text_with_one_cached_token(
    cs: CustomerServiceClient, fake_wechat: FakeWeChatServer
) -> None:
    await cs.send_text("o1", "第一条")
    await cs.send_text("o1", "第二条")
    assert fake_wechat.state.texts() == ["第一条", "第二条"]
    assert fake_wechat.state.sent[0] == {
        "touser": "o1",
        "msgtype": "text",
        "text": {"content": "第一条"},
    }
    assert len(fake_wechat.state.token_requests) == 1
    assert fake_wechat.state.token_requests[0]["grant_type"] == "client_credential"


@pytest.mark.parametrize("make_stale", ["expire_tokens", "revoke_tokens"])
async def test_expired_or_invalid_token_is_refreshed_once(
    cs: CustomerServiceClient, fake_wechat: FakeWeChatServer, make_stale: str
) -> None:
    await cs.send_text("o1", "before")
    getattr(fake_wechat.state, make_stale)()  # 42001 or 40001 on the next send
    await cs.send_text("o1", "after")
    assert fake_wechat.state.texts() == ["before", "after"]
    assert len(fake_wechat.state.token_requests) == 2
    assert fake_wechat.state.token_requests[1]["force_refresh"] is True


async def test_token_error_twice_gives_up(
    cs: CustomerServiceClient, fake_wechat: FakeWeChatServer
) -> None:
    await cs.send_text("o1", "warm up")
    fake_wechat.state.scripted_errors.extend([40001, 40001])
    with pytest.raises(WeChatAPIError) as info:
        await cs.send_text("o1", "x")
    assert info.value.errcode == 40001


async def test_outside_48_hour_window_raises_without_retry(
    cs: CustomerServiceClient, fake_wechat: FakeWeChatServer
) -> None:
    await cs.access_token()
    fake_wechat.state.scripted_errors.append(45015)
    with pytest.raises(OutsideServiceWindow):
        await cs.send_text("o1", "太晚了")
    assert len(fake_wechat.state.send_attempts) == 1
    assert fake_wechat.state.sent == []


async def test_unsubscribed_user_is_reported(
    cs: CustomerServiceClient, fake_wechat: FakeWeChatServer
) -> None:
    await cs.access_token()
    fake_wechat.state.scripted_errors.append(43004)
    with pytest.raises(UserUnreachable):
        await cs.send_text("o1", "x")


async def test_system_busy_is_retried_once(
    cs: CustomerServiceClient, fake_wechat: FakeWeChatServer
) -> None:
    await cs.access_token()
    fake_wechat.state.scripted_errors.append(-1)
    await cs.send_text("o1", "稍等")
    assert fake_wechat.state.texts() == ["稍等"]
    assert len(fake_wechat.state.send_attempts) == 2


async def test_wrong_secret_is_an_error(fake_wechat: FakeWeChatServer) -> None:
    client = CustomerServiceClient(fake_wechat.url, APP_ID, "wrong")
    with pytest.raises(WeChatAPIError) as info:
        await client.send_text("o1", "x")
    assert info.value.errcode == 40125
    await client.aclose()


async def test_unreachable_server_is_an_error() -> None:
    client = CustomerServiceClient("http://127.0.0.1:9", APP_ID, APP_SECRET, timeout_s=1)
    with pytest.raises(WeChatAPIError) as info:
        await client.send_text("o1", "x")
    assert info.value.errcode == 0
    await client.aclose()


async def test_delivery_outside_window_is_logged_not_raised(
    client: httpx.AsyncClient,
    peer: WeChatPeer,
    conversation: FakeConversation,
    fake_wechat: FakeWeChatServer,
    channel: WeChatChannel,
    caplog: pytest.LogCaptureFixture,
) -> None:
    conversation.delay = 0.9  # misses the 0.3 s deadline
    await channel.customer_service.access_token()
    fake_wechat.state.scripted_errors.append(45015)
    signed = peer.plaintext(text_xml("oLate", "还在吗", "9001", int(peer.clock())))
    resp = await client.post("/wechat", params=signed.params, content=signed.body)
    assert resp.text == "success"
    await channel.drain()
    assert fake_wechat.state.sent == []
    assert len(fake_wechat.state.send_attempts) == 1
    assert any("45015" in r.getMessage() for r in caplog.records)
