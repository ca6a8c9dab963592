"""``GET/POST /wechat`` end to end: wechatpy plays WeChat, the core is faked."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Callable

import httpx
import pytest

from channels.wechat.service import WeChatChannel
from core.messages import BotMessage, Button, Citation
from tests.channels.wechat.conftest import FakeClock, FakeConversation, HookCalls, eventually
from tests.channels.wechat.fake_wechat_api import FakeWeChatServer
from tests.channels.wechat.peer import (
    ACCOUNT,
    WeChatPeer,
    event_xml,
    image_xml,
    reply_fields,
    text_xml,
    voice_xml,
    wechat_signature,
)

OPENID = "oUser_abc123"


def msg_id() -> str:
    return str(secrets.randbelow(10**18))


async def post(client: httpx.AsyncClient, signed) -> httpx.Response:  # type: ignore[no-untyped-def]
    return await client.post("/wechat", params=signed.params, content=signed.body)


async def send_text(
    client: httpx.AsyncClient,
    peer: WeChatPeer,
    text: str,
    *,
    openid: str = OPENID,
    at: int | None = None,
) -> httpx.Response:
    """A new text message (fresh MsgId) from ``openid``, sent as WeChat would."""
    create_time = int(peer.clock()) if at is None else at
    return await post(client, peer.plaintext(text_xml(openid, text, msg_id(), create_time)))


# ---------------------------------------------------------------- URL verification


async def test_url_verification_echoes_echostr(client: httpx.AsyncClient, clock: FakeClock) -> None:
    ts, nonce = str(int(clock())), "4242"
    params = {
        "signature": wechat_signature("test-token-3f9a", ts, nonce),
        "timestamp": ts,
        "nonce": nonce,
        "echostr": "8812345678",
    }
    resp = await client.get("/wechat", params=params)
    assert resp.status_code == 200
    assert resp.text == "8812345678"


@pytest.mark.parametrize(
    "change",
    [
        {"signature": "0" * 40},
        {"timestamp": "1"},
        {"signature": ""},
    ],
)
async def test_url_verification_refuses_forgeries(
    client: httpx.AsyncClient, clock: FakeClock, change: dict[str, str]
) -> None:
    ts, nonce = str(int(clock())), "4243"
    params = {
        "signature": wechat_signature("test-token-3f9a", ts, nonce),
        "timestamp": ts,
        "nonce": nonce,
        "echostr": "e",
    }
    params.update(change)
    resp = await client.get("/wechat", params=params)
    assert resp.status_code == 403
    assert resp.text != "e"


async def test_url_verification_refuses_reused_nonce(
    client: httpx.AsyncClient, clock: FakeClock
) -> None:
    ts, nonce = str(int(clock())), "4244"
    params = {
        "signature": wechat_signature("test-token-3f9a", ts, nonce),
        "timestamp": ts,
        "nonce": nonce,
        "echostr": "first",
    }
    assert (await client.get("/wechat", params=params)).status_code == 200
    params["echostr"] = "<script>reflected</script>"
    assert (await client.get("/wechat", params=params)).status_code == 403


# ---------------------------------------------------------------- plaintext and safe mode


async def test_plaintext_text_gets_passive_reply(
    client: httpx.AsyncClient, peer: WeChatPeer, conversation: FakeConversation
) -> None:
    signed = peer.plaintext(text_xml(OPENID, "助餐怎么申请", msg_id(), int(peer.clock())))
    resp = await post(client, signed)
    assert resp.status_code == 200
    fields = reply_fields(resp.text)
    assert fields["ToUserName"] == OPENID
    assert fields["FromUserName"] == ACCOUNT
    assert fields["MsgType"] == "text"
    assert fields["Content"] == "您问的是：助餐怎么申请"
    assert conversation.calls == [(f"wechat:{OPENID}", "助餐怎么申请")]


async def test_safe_mode_round_trip_with_wechatpy(
    client: httpx.AsyncClient, peer: WeChatPeer, conversation: FakeConversation
) -> None:
    plain = text_xml(OPENID, "适老化改造有补贴吗", msg_id(), int(peer.clock()))
    signed = peer.encrypted(plain)
    assert b"Content" not in signed.body
    resp = await post(client, signed)
    assert resp.status_code == 200
    assert "Content" not in resp.text and "<Encrypt>" in resp.text
    decrypted = peer.decrypt_reply(resp.text)  # checks MsgSignature too
    fields = reply_fields(decrypted)
    assert fields["Content"] == "您问的是：适老化改造有补贴吗"
    assert fields["ToUserName"] == OPENID
    assert conversation.calls == [(f"wechat:{OPENID}", "适老化改造有补贴吗")]
    print("\n--- safe-mode exchange ---")
    print("request query:", signed.params)
    print("request body:", signed.body.decode())
    print("request decrypted:", plain)
    print("reply body:", resp.text)
    print("reply decrypted:", decrypted)


async def test_safe_mode_with_bad_msg_signature_is_refused(
    client: httpx.AsyncClient, peer: WeChatPeer, conversation: FakeConversation
) -> None:
    signed = peer.encrypted(text_xml(OPENID, "hi", msg_id(), int(peer.clock())))
    signed.params["msg_signature"] = "f" * 40
    assert (await post(client, signed)).status_code == 403
    assert conversation.calls == []


async def test_safe_mode_ciphertext_swapped_is_refused(
    client: httpx.AsyncClient, peer: WeChatPeer, conversation: FakeConversation
) -> None:
    """A valid msg_signature covers the ciphertext: another ciphertext fails."""
    first = peer.encrypted(text_xml(OPENID, "one", msg_id(), int(peer.clock())))
    second = peer.encrypted(text_xml(OPENID, "two", msg_id(), int(peer.clock())))
    first.body = second.body
    assert (await post(client, first)).status_code == 403
    assert conversation.calls == []


async def test_plaintext_with_bad_signature_is_refused(
    client: httpx.AsyncClient, peer: WeChatPeer, conversation: FakeConversation
) -> None:
    signed = peer.plaintext(text_xml(OPENID, "hi", msg_id(), int(peer.clock())))
    signed.params["signature"] = wechat_signature("wrong-token", "1", "2")
    assert (await post(client, signed)).status_code == 403
    del signed.params["signature"]
    assert (await post(client, signed)).status_code == 403
    assert conversation.calls == []


@pytest.mark.parametrize("skew", [-301, 301, -3600])
async def test_stale_or_future_timestamp_is_refused(
    client: httpx.AsyncClient, peer: WeChatPeer, conversation: FakeConversation, skew: int
) -> None:
    now = int(peer.clock())
    signed = peer.plaintext(text_xml(OPENID, "hi", msg_id(), now), timestamp=now + skew)
    assert (await post(client, signed)).status_code == 403
    assert conversation.calls == []


async def test_timestamp_within_five_minutes_is_accepted(
    client: httpx.AsyncClient, peer: WeChatPeer
) -> None:
    now = int(peer.clock())
    signed = peer.plaintext(text_xml(OPENID, "hi", msg_id(), now), timestamp=now - 290)
    assert (await post(client, signed)).status_code == 200


@pytest.mark.parametrize("missing", ["nonce", "timestamp"])
async def test_missing_timestamp_or_nonce_is_400(
    client: httpx.AsyncClient, peer: WeChatPeer, missing: str
) -> None:
    signed = peer.plaintext(text_xml(OPENID, "hi", msg_id(), int(peer.clock())))
    del signed.params[missing]
    assert (await post(client, signed)).status_code == 400


async def test_reused_nonce_with_another_message_is_refused(
    client: httpx.AsyncClient, peer: WeChatPeer, conversation: FakeConversation
) -> None:
    now = int(peer.clock())
    first = peer.plaintext(text_xml(OPENID, "one", msg_id(), now), nonce="777")
    assert (await post(client, first)).status_code == 200
    # Plaintext signatures do not cover the body: a captured (timestamp, nonce, signature)
    # must not carry a new message.
    forged = peer.plaintext(text_xml(OPENID, "forged", msg_id(), now), timestamp=now, nonce="777")
    assert forged.params == first.params
    assert (await post(client, forged)).status_code == 403
    assert [text for _, text in conversation.calls] == ["one"]


async def test_safe_mode_without_key_is_refused(
    settings, peer: WeChatPeer, conversation: FakeConversation, clock: FakeClock
) -> None:  # type: ignore[no-untyped-def]
    from fastapi import FastAPI

    from channels.wechat.deps import build_channel
    from channels.wechat.replay import MemoryReplayGuard
    from channels.wechat.router import router

    plain_only = settings.model_copy(update={"wechat_encoding_aes_key": ""})
    channel = build_channel(plain_only, MemoryReplayGuard(), clock=clock)
    app = FastAPI()
    app.include_router(router)
    app.state.conversation = conversation
    app.state.wechat_channel = channel
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
        signed = peer.encrypted(text_xml(OPENID, "hi", msg_id(), int(clock())))
        assert (await post(c, signed)).status_code == 400
        plain = peer.plaintext(text_xml(OPENID, "hi", msg_id(), int(clock())))
        assert (await post(c, plain)).status_code == 200
    await channel.aclose()


# ---------------------------------------------------------------- retries and the deadline


async def test_three_retries_give_one_turn(
    client: httpx.AsyncClient, peer: WeChatPeer, conversation: FakeConversation
) -> None:
    xml = text_xml(OPENID, "骗子让我转账", msg_id(), int(peer.clock()))
    replies = []
    for _ in range(4):  # the original and three retries, each with a fresh nonce
        resp = await post(client, peer.encrypted(xml))
        assert resp.status_code == 200
        replies.append(reply_fields(peer.decrypt_reply(resp.text))["Content"])
    assert len(conversation.calls) == 1
    assert set(replies) == {"您问的是：骗子让我转账"}


async def test_retry_with_the_same_nonce_is_not_refused(
    client: httpx.AsyncClient, peer: WeChatPeer, conversation: FakeConversation
) -> None:
    signed = peer.plaintext(text_xml(OPENID, "同一条", msg_id(), int(peer.clock())))
    first, second = await post(client, signed), await post(client, signed)
    assert first.status_code == second.status_code == 200
    assert reply_fields(second.text)["Content"] == reply_fields(first.text)["Content"]
    assert len(conversation.calls) == 1


async def test_retries_during_a_slow_turn_share_it_and_answer_via_api(
    client: httpx.AsyncClient,
    peer: WeChatPeer,
    conversation: FakeConversation,
    fake_wechat: FakeWeChatServer,
    channel: WeChatChannel,
) -> None:
    conversation.delay = 1.2  # deadline is 0.3 s in these tests
    xml = text_xml(OPENID, "慢慢说", msg_id(), int(peer.clock()))

    async def attempt(after: float) -> httpx.Response:
        await asyncio.sleep(after)
        return await post(client, peer.encrypted(xml))

    responses = await asyncio.gather(attempt(0), attempt(0.1), attempt(0.2), attempt(0.35))
    assert [r.text for r in responses] == ["success"] * 4
    await channel.drain()
    await eventually(lambda: len(fake_wechat.state.sent) >= 1)
    await asyncio.sleep(0.2)
    assert len(conversation.calls) == 1
    assert fake_wechat.state.texts() == ["您问的是：慢慢说"]
    assert fake_wechat.state.sent[0]["touser"] == OPENID


async def test_retry_in_flight_shares_the_passive_answer(
    client: httpx.AsyncClient,
    peer: WeChatPeer,
    conversation: FakeConversation,
    fake_wechat: FakeWeChatServer,
    channel: WeChatChannel,
) -> None:
    channel.deadline_s = 1.5
    conversation.delay = 0.5  # ready well before either attempt's deadline
    xml = text_xml(OPENID, "一起等", msg_id(), int(peer.clock()))

    async def attempt(after: float) -> httpx.Response:
        await asyncio.sleep(after)
        return await post(client, peer.encrypted(xml))

    first, retry = await asyncio.gather(attempt(0), attempt(0.2))
    for resp in (first, retry):
        assert reply_fields(peer.decrypt_reply(resp.text))["Content"] == "您问的是：一起等"
    await channel.drain()
    assert len(conversation.calls) == 1
    assert fake_wechat.state.sent == []


async def test_slow_backend_delivers_through_customer_service_api(
    client: httpx.AsyncClient,
    peer: WeChatPeer,
    conversation: FakeConversation,
    fake_wechat: FakeWeChatServer,
    channel: WeChatChannel,
) -> None:
    conversation.delay = 1.2
    xml = text_xml(OPENID, "补贴多少", msg_id(), int(peer.clock()))
    loop = asyncio.get_running_loop()
    started = loop.time()
    resp = await post(client, peer.plaintext(xml))
    elapsed = loop.time() - started
    assert resp.text == "success"
    assert 0.29 < elapsed < 1.0  # answered at the 0.3 s deadline, not when the core finished
    assert fake_wechat.state.sent == []
    await channel.drain()
    assert fake_wechat.state.texts() == ["您问的是：补贴多少"]
    assert fake_wechat.state.sent[0]["touser"] == OPENID
    assert "补贴多少".encode() in fake_wechat.state.raw_bodies[0]  # UTF-8, not \\u escapes
    # A late retry of the same message starts no turn and sends nothing more.
    assert (await post(client, peer.plaintext(xml))).text == "success"
    await channel.drain()
    assert len(conversation.calls) == 1
    assert len(fake_wechat.state.sent) == 1


async def test_token_is_cached_across_deliveries(
    client: httpx.AsyncClient,
    peer: WeChatPeer,
    conversation: FakeConversation,
    fake_wechat: FakeWeChatServer,
    channel: WeChatChannel,
) -> None:
    conversation.delay = 0.8
    for text in ("一", "二", "三"):
        xml = text_xml(OPENID, f"问题{text}", msg_id(), int(peer.clock()))
        assert (await post(client, peer.plaintext(xml))).text == "success"
    await channel.drain()
    assert sorted(fake_wechat.state.texts()) == sorted(
        ["您问的是：问题一", "您问的是：问题二", "您问的是：问题三"]
    )
    assert len(fake_wechat.state.token_requests) == 1


async def test_long_answer_is_split_and_sent_in_order(
    client: httpx.AsyncClient,
    peer: WeChatPeer,
    conversation: FakeConversation,
    fake_wechat: FakeWeChatServer,
    channel: WeChatChannel,
) -> None:
    paragraphs = [f"第{i}段。" + "老年助餐服务要方便老人。" * 40 for i in range(1, 6)]
    conversation.answer = lambda _text: [BotMessage(text="\n".join(paragraphs))]
    resp = await post(
        client, peer.plaintext(text_xml(OPENID, "详细说说", msg_id(), int(peer.clock())))
    )
    assert resp.text == "success"  # several parts keep their order only through the API
    await channel.drain()
    parts = fake_wechat.state.texts()
    assert len(parts) >= 3
    assert all(len(p.encode("utf-8")) <= 2048 for p in parts)
    assert "".join(parts).replace("\n", "") == "".join(paragraphs)


async def test_core_failure_gets_busy_text_with_hotline(
    client: httpx.AsyncClient, peer: WeChatPeer, conversation: FakeConversation
) -> None:
    conversation.fail = True
    resp = await send_text(client, peer, "在吗")
    content = reply_fields(resp.text)["Content"]
    assert "12345" in content and "忙" in content


# ---------------------------------------------------------------- message types


async def test_voice_recognition_is_treated_as_typed_text(
    client: httpx.AsyncClient, peer: WeChatPeer, conversation: FakeConversation
) -> None:
    xml = voice_xml(OPENID, "助餐点在哪里", msg_id(), int(peer.clock()))
    resp = await post(client, peer.encrypted(xml))
    assert reply_fields(peer.decrypt_reply(resp.text))["Content"] == "您问的是：助餐点在哪里"
    assert conversation.calls == [(f"wechat:{OPENID}", "助餐点在哪里")]


@pytest.mark.parametrize(
    ("make_xml", "expected"),
    [
        pytest.param(
            lambda now: voice_xml(OPENID, None, msg_id(), now), ["打字", "12345"], id="voice-none"
        ),
        pytest.param(
            lambda now: voice_xml(OPENID, "", msg_id(), now), ["打字", "12345"], id="voice-empty"
        ),
        pytest.param(
            lambda now: voice_xml(OPENID, "  ", msg_id(), now), ["打字", "12345"], id="voice-blank"
        ),
        pytest.param(lambda now: image_xml(OPENID, msg_id(), now), ["看不懂", "12345"], id="image"),
        pytest.param(
            lambda now: text_xml(OPENID, "长" * 501, msg_id(), now), ["一次问一件事"], id="too-long"
        ),
    ],
)
async def test_messages_the_bot_cannot_take_get_polite_text(
    client: httpx.AsyncClient,
    peer: WeChatPeer,
    conversation: FakeConversation,
    make_xml: Callable[[int], str],
    expected: list[str],
) -> None:
    """Voice without recognition asks to type or call; other types and over-long texts are
    refused politely; none reaches the core."""
    resp = await post(client, peer.plaintext(make_xml(int(peer.clock()))))
    content = reply_fields(resp.text)["Content"]
    for fragment in expected:
        assert fragment in content
    assert conversation.calls == []


async def test_subscribe_welcomes_offers_alerts_and_calls_hook(
    client: httpx.AsyncClient, peer: WeChatPeer, conversation: FakeConversation, hook: HookCalls
) -> None:
    now = int(peer.clock())
    resp = await post(client, peer.encrypted(event_xml(OPENID, "subscribe", now, "qrscene_1")))
    content = reply_fields(peer.decrypt_reply(resp.text))["Content"]
    assert "欢迎" in content
    assert "回复 1：订阅防诈骗提醒" in content
    assert hook.calls == [(f"wechat:{OPENID}", True)]
    # The same event retried (same FromUserName + CreateTime) is not handled twice.
    await post(client, peer.encrypted(event_xml(OPENID, "subscribe", now, "qrscene_1")))
    assert hook.calls == [(f"wechat:{OPENID}", True)]
    # Answering "1" sends the button's payload to the core.
    await send_text(client, peer, "1", at=now)
    assert conversation.calls == [(f"wechat:{OPENID}", "/subscribe_alerts")]


@pytest.mark.parametrize(
    ("event", "hook_calls"),
    [
        pytest.param("unsubscribe", [(f"wechat:{OPENID}", False)], id="unsubscribe-calls-hook"),
        pytest.param("LOCATION", [], id="other-events-silent"),
    ],
)
async def test_unsubscribe_and_other_events_answer_success(
    client: httpx.AsyncClient,
    peer: WeChatPeer,
    conversation: FakeConversation,
    hook: HookCalls,
    event: str,
    hook_calls: list[tuple[str, bool]],
) -> None:
    resp = await post(client, peer.plaintext(event_xml(OPENID, event, int(peer.clock()))))
    assert resp.text == "success"
    assert hook.calls == hook_calls
    assert conversation.calls == []


# ---------------------------------------------------------------- buttons


def _menu_answer(text: str) -> list[BotMessage]:
    if text.startswith("/"):
        return [BotMessage(text=f"收到 {text}")]
    return [
        BotMessage(
            text="您想了解哪一项？",
            buttons=[
                Button(title="助餐", payload="/ask_meal"),
                Button(title="适老化改造", payload="/ask_home"),
            ],
            citations=[Citation(clause_id="T3", title="老年助餐服务")],
        ),
        BotMessage(text="也可以问防骗。", buttons=[Button(title="防骗", payload="/ask_scam")]),
    ]


async def test_buttons_become_numbered_lines_and_numbers_map_back(
    client: httpx.AsyncClient, peer: WeChatPeer, conversation: FakeConversation
) -> None:
    conversation.answer = _menu_answer
    now = int(peer.clock())
    resp = await send_text(client, peer, "帮助", at=now)
    content = reply_fields(resp.text)["Content"]
    assert content == (
        "您想了解哪一项？\n依据：阳泉计划·老年助餐服务\n回复 1：助餐\n回复 2：适老化改造"
        "\n\n也可以问防骗。\n回复 3：防骗"
    )
    resp = await send_text(client, peer, "３", at=now)
    assert reply_fields(resp.text)["Content"] == "收到 /ask_scam"
    assert conversation.calls[-1] == (f"wechat:{OPENID}", "/ask_scam")
    # The menu was replaced by an answer without buttons: "1" is now just text.
    await send_text(client, peer, "1", at=now)
    assert conversation.calls[-1] == (f"wechat:{OPENID}", "1")


async def test_numbers_outside_the_menu_and_other_users_pass_through(
    client: httpx.AsyncClient, peer: WeChatPeer, conversation: FakeConversation
) -> None:
    conversation.answer = _menu_answer
    now = int(peer.clock())
    await send_text(client, peer, "帮助", at=now)
    await send_text(client, peer, "1", openid="oOther", at=now)
    assert conversation.calls[-1] == ("wechat:oOther", "1")
    await send_text(client, peer, "9", at=now)
    assert conversation.calls[-1] == (f"wechat:{OPENID}", "9")


async def test_chinese_number_word_chooses_too(
    client: httpx.AsyncClient, peer: WeChatPeer, conversation: FakeConversation
) -> None:
    conversation.answer = _menu_answer
    now = int(peer.clock())
    await send_text(client, peer, "帮助", at=now)
    await send_text(client, peer, "二", at=now)
    assert conversation.calls[-1] == (f"wechat:{OPENID}", "/ask_home")


async def test_menu_expires(
    client: httpx.AsyncClient, peer: WeChatPeer, conversation: FakeConversation, clock: FakeClock
) -> None:
    conversation.answer = _menu_answer
    await send_text(client, peer, "帮助", at=int(clock()))
    clock.advance(31 * 60)
    await send_text(client, peer, "1", at=int(clock()))
    assert conversation.calls[-1] == (f"wechat:{OPENID}", "1")


async def test_per_sender_rate_limit_counts_messages_not_retries(
    app, client: httpx.AsyncClient, peer: WeChatPeer, conversation: FakeConversation
) -> None:  # type: ignore[no-untyped-def]
    from core.limits import ChatLimiter

    app.state.chat_limiter = ChatLimiter(rate_per_min=1, burst=2)
    now = int(peer.clock())
    first = text_xml(OPENID, "第一", msg_id(), now)
    for xml in (first, first, first, text_xml(OPENID, "第二", msg_id(), now)):
        resp = await post(client, peer.plaintext(xml))
        assert reply_fields(resp.text)["Content"].startswith("您问的是")
    resp = await send_text(client, peer, "第三", at=now)
    assert "太快" in reply_fields(resp.text)["Content"]
    resp = await send_text(client, peer, "你好", openid="oSomeoneElse", at=now)
    assert reply_fields(resp.text)["Content"] == "您问的是：你好"
    assert [t for _, t in conversation.calls] == ["第一", "第二", "你好"]


async def test_every_inbound_message_calls_the_inbound_hook(
    client: httpx.AsyncClient, peer: WeChatPeer, channel: WeChatChannel
) -> None:
    seen: list[str] = []

    async def on_inbound(sender_id: str) -> None:
        seen.append(sender_id)

    channel.on_inbound = on_inbound
    for xml in (
        text_xml(OPENID, "你好", msg_id(), int(peer.clock())),
        voice_xml(OPENID, None, msg_id(), int(peer.clock())),
        event_xml(OPENID, "subscribe", int(peer.clock()) + 1),
    ):
        assert (await post(client, peer.plaintext(xml))).status_code == 200
    assert seen == [f"wechat:{OPENID}"] * 3
