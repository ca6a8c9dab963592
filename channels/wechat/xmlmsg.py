"""WeChat XML: safe parsing of callbacks (defusedxml) and building of replies."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from xml.etree.ElementTree import ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

MAX_BODY_BYTES = 64 * 1024  # a real callback is well under 4 KiB
MAX_FIELDS = 64

# Characters XML 1.0 does not allow; bot text must not break the reply document.
_INVALID_XML_CHARS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


class XMLRejected(ValueError):
    """The body is not an acceptable WeChat XML document.

    Attributes:
        status: the HTTP status to answer with (400, or 413 for an oversized body).
    """

    def __init__(self, reason: str, status: int = 400) -> None:
        super().__init__(reason)
        self.status = status


def parse_xml(body: bytes, max_bytes: int = MAX_BODY_BYTES) -> dict[str, str]:
    """Parse a flat ``<xml>`` document into ``{tag: text}``.

    DTDs are forbidden outright, so entity expansion (billion laughs) and external
    entities never run; the size is checked before the parser sees a byte.

    Raises:
        XMLRejected: oversized, malformed, DTD/entity, or not a flat ``<xml>`` document.
    """
    if len(body) > max_bytes:
        raise XMLRejected("body too large", status=413)
    try:
        root = fromstring(body, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as exc:
        raise XMLRejected(f"forbidden XML construct: {exc.__class__.__name__}") from exc
    except (ParseError, ValueError) as exc:
        raise XMLRejected("malformed XML") from exc
    if root.tag != "xml":
        raise XMLRejected("root element is not <xml>")
    fields: dict[str, str] = {}
    for child in root:
        if len(fields) >= MAX_FIELDS:
            raise XMLRejected("too many fields")
        if len(child):
            continue  # nested structures (e.g. ScanCodeInfo) are not used here
        fields[str(child.tag)] = (child.text or "").strip()
    return fields


@dataclass(frozen=True)
class Inbound:
    """One callback from WeChat, as far as this channel uses it."""

    to_user: str  # the official account's original id (gh_...)
    from_user: str  # the user's openid
    create_time: str
    msg_type: str
    msg_id: str = ""
    content: str = ""
    recognition: str = ""
    event: str = ""
    event_key: str = ""

    @classmethod
    def from_fields(cls, fields: dict[str, str]) -> Inbound:
        """Build from parsed fields.

        Raises:
            XMLRejected: a required field is missing.
        """
        missing = [
            k for k in ("ToUserName", "FromUserName", "CreateTime", "MsgType") if not fields.get(k)
        ]
        if missing:
            raise XMLRejected(f"missing fields: {', '.join(missing)}")
        return cls(
            to_user=fields["ToUserName"],
            from_user=fields["FromUserName"],
            create_time=fields["CreateTime"],
            msg_type=fields["MsgType"].lower(),
            msg_id=fields.get("MsgId", ""),
            content=fields.get("Content", ""),
            recognition=fields.get("Recognition", ""),
            event=fields.get("Event", "").lower(),
            event_key=fields.get("EventKey", ""),
        )

    @property
    def dedupe_key(self) -> str:
        """MsgId for messages; FromUserName + CreateTime (+ Event) for events."""
        if self.msg_id:
            return f"msg:{self.msg_id}"
        return f"evt:{self.from_user}:{self.create_time}:{self.event}"


def cdata(text: str) -> str:
    """Wrap ``text`` in CDATA, splitting any ``]]>`` and dropping invalid characters."""
    text = _INVALID_XML_CHARS.sub("", text)
    return "<![CDATA[" + text.replace("]]>", "]]]]><![CDATA[>") + "]]>"


def text_reply(to_user: str, from_user: str, content: str, create_time: int | None = None) -> str:
    """The passive reply XML for one text message."""
    ts = int(time.time()) if create_time is None else create_time
    return (
        "<xml>"
        f"<ToUserName>{cdata(to_user)}</ToUserName>"
        f"<FromUserName>{cdata(from_user)}</FromUserName>"
        f"<CreateTime>{ts}</CreateTime>"
        "<MsgType><![CDATA[text]]></MsgType>"
        f"<Content>{cdata(content)}</Content>"
        "</xml>"
    )


def encrypted_envelope(encrypt: str, msg_signature: str, timestamp: str, nonce: str) -> str:
    """The safe-mode reply document wrapping an encrypted reply."""
    return (
        "<xml>"
        f"<Encrypt>{cdata(encrypt)}</Encrypt>"
        f"<MsgSignature>{cdata(msg_signature)}</MsgSignature>"
        f"<TimeStamp>{int(timestamp)}</TimeStamp>"
        f"<Nonce>{cdata(nonce)}</Nonce>"
        "</xml>"
    )
