"""One WeChat exchange in safe mode through the real app and the real Rasa server.

wechatpy plays WeChat's side: it encrypts and signs the callback and decrypts the reply.
"""

from __future__ import annotations

import time

import httpx
import pytest

from tests.channels.wechat.peer import WeChatPeer, reply_fields, text_xml
from tests.support.stack import WECHAT_AES_KEY, WECHAT_APP_ID, WECHAT_TOKEN, Stack

pytestmark = pytest.mark.e2e


@pytest.fixture
def real_peer() -> WeChatPeer:
    return WeChatPeer(WECHAT_TOKEN, WECHAT_AES_KEY, WECHAT_APP_ID, time.time)


def test_safe_mode_text_gets_a_real_bot_answer(stack: Stack, real_peer: WeChatPeer) -> None:
    msg_id = str(int(time.time() * 1000))
    signed = real_peer.encrypted(text_xml("oE2eUser", "你好", msg_id, int(time.time())))
    r = httpx.post(stack.app_url + "/wechat", params=signed.params, content=signed.body, timeout=30)
    assert r.status_code == 200
    reply = reply_fields(real_peer.decrypt_reply(r.text))
    assert reply["ToUserName"] == "oE2eUser"
    assert reply["MsgType"] == "text"
    assert "您好" in reply["Content"]

    # WeChat retries the same message: no second bot turn is started.
    again = real_peer.encrypted(text_xml("oE2eUser", "你好", msg_id, int(time.time())))
    r2 = httpx.post(stack.app_url + "/wechat", params=again.params, content=again.body, timeout=30)
    assert r2.status_code == 200
    import sqlite3

    with sqlite3.connect(stack.tracker_db) as db:
        turns = db.execute(
            "select count(*) from events where sender_id='wechat:oE2eUser' and type_name='user'"
        ).fetchone()[0]
    assert turns == 1


def test_forged_signature_is_refused(stack: Stack, real_peer: WeChatPeer) -> None:
    signed = real_peer.encrypted(text_xml("oE2eUser", "你好", "42", int(time.time())))
    params = dict(signed.params, msg_signature="0" * 40)
    r = httpx.post(stack.app_url + "/wechat", params=params, content=signed.body, timeout=30)
    assert r.status_code == 403
