"""WeChat's side of the callback protocol, played by wechatpy (the reference peer)."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from xml.etree.ElementTree import fromstring  # our own replies only, never attacker input

from wechatpy.crypto import WeChatCrypto
from wechatpy.utils import WeChatSigner

ACCOUNT = "gh_yinfa_test"


def wechat_signature(*parts: str) -> str:
    signer = WeChatSigner()
    signer.add_data(*parts)
    return str(signer.signature)


def text_xml(openid: str, content: str, msg_id: str, create_time: int) -> str:
    return (
        f"<xml><ToUserName><![CDATA[{ACCOUNT}]]></ToUserName>"
        f"<FromUserName><![CDATA[{openid}]]></FromUserName>"
        f"<CreateTime>{create_time}</CreateTime><MsgType><![CDATA[text]]></MsgType>"
        f"<Content><![CDATA[{content}]]></Content><MsgId>{msg_id}</MsgId></xml>"
    )


def voice_xml(openid: str, recognition: str | None, msg_id: str, create_time: int) -> str:
    rec = "" if recognition is None else f"<Recognition><![CDATA[{recognition}]]></Recognition>"
    return (
        f"<xml><ToUserName><![CDATA[{ACCOUNT}]]></ToUserName>"
        f"<FromUserName><![CDATA[{openid}]]></FromUserName>"
        f"<CreateTime>{create_time}</CreateTime><MsgType><![CDATA[voice]]></MsgType>"
        f"<MediaId><![CDATA[media1]]></MediaId><Format><![CDATA[amr]]></Format>{rec}"
        f"<MsgId>{msg_id}</MsgId></xml>"
    )


def event_xml(openid: str, event: str, create_time: int, key: str = "") -> str:
    return (
        f"<xml><ToUserName><![CDATA[{ACCOUNT}]]></ToUserName>"
        f"<FromUserName><![CDATA[{openid}]]></FromUserName>"
        f"<CreateTime>{create_time}</CreateTime><MsgType><![CDATA[event]]></MsgType>"
        f"<Event><![CDATA[{event}]]></Event><EventKey><![CDATA[{key}]]></EventKey></xml>"
    )


def image_xml(openid: str, msg_id: str, create_time: int) -> str:
    return (
        f"<xml><ToUserName><![CDATA[{ACCOUNT}]]></ToUserName>"
        f"<FromUserName><![CDATA[{openid}]]></FromUserName>"
        f"<CreateTime>{create_time}</CreateTime><MsgType><![CDATA[image]]></MsgType>"
        f"<PicUrl><![CDATA[http://example.invalid/p.jpg]]></PicUrl>"
        f"<MediaId><![CDATA[m]]></MediaId><MsgId>{msg_id}</MsgId></xml>"
    )


@dataclass
class Signed:
    """One callback as WeChat would send it: query parameters and body."""

    params: dict[str, str]
    body: bytes


@dataclass
class WeChatPeer:
    """Signs and encrypts callbacks, and decrypts replies, with wechatpy."""

    token: str
    encoding_aes_key: str
    app_id: str
    clock: Callable[[], float]

    @property
    def crypto(self) -> WeChatCrypto:
        return WeChatCrypto(self.token, self.encoding_aes_key, self.app_id)

    def _stamp(self, timestamp: int | None, nonce: str | None) -> tuple[str, str]:
        ts = str(int(self.clock()) if timestamp is None else timestamp)
        return ts, nonce or str(secrets.randbelow(10**10))

    def plaintext(self, xml: str, timestamp: int | None = None, nonce: str | None = None) -> Signed:
        ts, nonce = self._stamp(timestamp, nonce)
        params = {
            "signature": wechat_signature(self.token, ts, nonce),
            "timestamp": ts,
            "nonce": nonce,
            "openid": "ignored",
        }
        return Signed(params, xml.encode("utf-8"))

    def encrypted(self, xml: str, timestamp: int | None = None, nonce: str | None = None) -> Signed:
        """Safe mode: the body carries only ToUserName and Encrypt."""
        ts, nonce = self._stamp(timestamp, nonce)
        envelope = fromstring(self.crypto.encrypt_message(xml, nonce, ts))
        encrypt = envelope.findtext("Encrypt") or ""
        params = {
            "signature": wechat_signature(self.token, ts, nonce),
            "timestamp": ts,
            "nonce": nonce,
            "openid": "ignored",
            "encrypt_type": "aes",
            "msg_signature": envelope.findtext("MsgSignature") or "",
        }
        body = (
            f"<xml><ToUserName><![CDATA[{ACCOUNT}]]></ToUserName>"
            f"<Encrypt><![CDATA[{encrypt}]]></Encrypt></xml>"
        )
        return Signed(params, body.encode("utf-8"))

    def decrypt_reply(self, reply: str) -> str:
        """Check the reply's signature and decrypt it, as WeChat does."""
        root = fromstring(reply)
        return str(
            self.crypto.decrypt_message(
                reply,
                root.findtext("MsgSignature"),
                root.findtext("TimeStamp"),
                root.findtext("Nonce"),
            )
        )


def reply_fields(xml: str) -> dict[str, str]:
    """Fields of a plaintext reply document."""
    return {child.tag: child.text or "" for child in fromstring(xml)}
