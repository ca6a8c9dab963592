"""The XML attack corpus: refused before any expansion, without memory blow-up."""

from __future__ import annotations

import tracemalloc

import httpx
import pytest

from channels.wechat.xmlmsg import MAX_BODY_BYTES, XMLRejected, cdata, parse_xml, text_reply
from tests.channels.wechat.conftest import FakeConversation
from tests.channels.wechat.peer import WeChatPeer

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE xml [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<xml><ToUserName>gh</ToUserName><FromUserName>o1</FromUserName><CreateTime>1</CreateTime>
<MsgType>text</MsgType><Content>&lol9;</Content><MsgId>1</MsgId></xml>"""

QUADRATIC = (
    b'<?xml version="1.0"?><!DOCTYPE xml [<!ENTITY a "'
    + b"A" * 20_000
    + b'">]><xml><Content>'
    + b"&a;" * 10_000
    + b"</Content></xml>"
)

EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE xml [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<xml><ToUserName>gh</ToUserName><FromUserName>o1</FromUserName><CreateTime>1</CreateTime>
<MsgType>text</MsgType><Content>&xxe;</Content><MsgId>2</MsgId></xml>"""

EXTERNAL_DTD = b"""<?xml version="1.0"?>
<!DOCTYPE xml SYSTEM "http://127.0.0.1:9/evil.dtd">
<xml><ToUserName>gh</ToUserName></xml>"""

PARAMETER_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE xml [<!ENTITY % remote SYSTEM "http://127.0.0.1:9/x.dtd"> %remote;]>
<xml><ToUserName>gh</ToUserName></xml>"""

XINCLUDE = b"""<xml xmlns:xi="http://www.w3.org/2001/XInclude"><ToUserName>gh</ToUserName>
<FromUserName>o1</FromUserName><CreateTime>1</CreateTime><MsgType>text</MsgType>
<Content><xi:include href="file:///etc/passwd" parse="text"/></Content><MsgId>3</MsgId></xml>"""

CORPUS = {
    "billion_laughs": BILLION_LAUGHS,
    "quadratic_blowup": QUADRATIC,
    "external_entity": EXTERNAL_ENTITY,
    "external_dtd": EXTERNAL_DTD,
    "parameter_entity": PARAMETER_ENTITY,
}


@pytest.mark.parametrize("name", sorted(CORPUS))
def test_dtd_based_attacks_are_refused_by_the_parser(name: str) -> None:
    tracemalloc.start()
    try:
        with pytest.raises(XMLRejected) as info:
            parse_xml(CORPUS[name], max_bytes=1_000_000)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert info.value.status == 400
    assert peak < 5_000_000, f"{name} used {peak} bytes"


def test_xinclude_is_not_processed() -> None:
    fields = parse_xml(XINCLUDE)
    assert "root:" not in fields.get("Content", "")


@pytest.mark.parametrize(
    "body",
    [b"", b"not xml", b"<xml><a>unclosed</xml>", b"<root><a>1</a></root>", b"\xff\xfe<xml/>"],
)
def test_malformed_documents_are_refused(body: bytes) -> None:
    with pytest.raises(XMLRejected) as info:
        parse_xml(body)
    assert info.value.status == 400


def test_oversized_body_is_refused_before_parsing() -> None:
    with pytest.raises(XMLRejected) as info:
        parse_xml(b"<xml>" + b"a" * (MAX_BODY_BYTES + 1) + b"</xml>")
    assert info.value.status == 413


def test_deep_nesting_within_the_cap_does_not_crash() -> None:
    depth = 5000
    body = b"<xml>" + b"<a>" * depth + b"</a>" * depth + b"<MsgType>text</MsgType></xml>"
    assert parse_xml(body) == {"MsgType": "text"}


def test_reply_text_cannot_break_out_of_cdata() -> None:
    evil = "]]><Injected>1</Injected><![CDATA[\x00\x07end"
    fields = parse_xml(text_reply("o1", "gh", evil, 1).encode())
    assert fields["Content"] == "]]><Injected>1</Injected><![CDATA[end"
    assert "Injected" not in fields
    assert cdata("a]]>b") == "<![CDATA[a]]]]><![CDATA[>b]]>"


# ---------------------------------------------------------------- over HTTP


@pytest.mark.parametrize("name", sorted(CORPUS))
async def test_attacks_over_http_get_400_and_no_turn(
    name: str, client: httpx.AsyncClient, peer: WeChatPeer, conversation: FakeConversation
) -> None:
    signed = peer.plaintext(CORPUS[name].decode())
    resp = await client.post("/wechat", params=signed.params, content=signed.body)
    assert resp.status_code == 400
    assert conversation.calls == []


async def test_attack_inside_the_encrypted_payload_is_refused(
    client: httpx.AsyncClient, peer: WeChatPeer, conversation: FakeConversation
) -> None:
    signed = peer.encrypted(BILLION_LAUGHS.decode())
    resp = await client.post("/wechat", params=signed.params, content=signed.body)
    assert resp.status_code == 400
    assert conversation.calls == []


async def test_oversized_body_gets_413(
    client: httpx.AsyncClient, peer: WeChatPeer, conversation: FakeConversation
) -> None:
    signed = peer.plaintext("<xml>" + "a" * 2_000_000 + "</xml>")
    resp = await client.post("/wechat", params=signed.params, content=signed.body)
    assert resp.status_code == 413
    assert conversation.calls == []


async def test_oversized_streamed_body_without_length_gets_413(
    client: httpx.AsyncClient, peer: WeChatPeer
) -> None:
    signed = peer.plaintext("<xml/>")
    sent = 0

    async def chunks():  # type: ignore[no-untyped-def]
        nonlocal sent
        for _ in range(10_000):  # up to 640 MB if the server kept reading
            sent += 65536
            yield b"a" * 65536

    resp = await client.post("/wechat", params=signed.params, content=chunks())
    assert resp.status_code == 413
    assert sent < 1_000_000
