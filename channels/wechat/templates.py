"""Fraud alerts as WeChat template messages (服务号 模板消息), for subscribers outside the
48-hour customer-service window.

A template has fixed keys (``thing1``, ``character_string3`` ...; the settings name them) and
WeChat limits each value (20 characters for a ``thing`` field; a longer value is refused
with 47003), so every text is cut to ``field_max_chars``. The link opens the web chat at
``public_base_url``; it never carries anything about the subscriber.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

from channels.wechat.customer_service import CustomerServiceClient
from channels.wechat.texts import TEXTS_FILE
from core.settings import WeChatTemplateSettings

ELLIPSIS = "…"
_SPACES = re.compile(r"\s+")
_CLAUSE_END = re.compile(r"[。！？；，、,.!?;]")


@dataclass(frozen=True)
class TemplateTexts:
    """The channel's texts for template fields (``alert_template`` in ``texts.yml``)."""

    alert_title: str
    correction_title: str
    correction_body: str
    check: str
    unsubscribe: str


@lru_cache
def load_template_texts(path: Path = TEXTS_FILE) -> TemplateTexts:
    """Read the ``alert_template`` texts (cached per path).

    Raises:
        ValueError: a text is missing or empty.
    """
    raw = (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("alert_template") or {}
    names = ("alert_title", "correction_title", "correction_body", "check", "unsubscribe")
    missing = [n for n in names if not str(raw.get(n) or "").strip()]
    if missing:
        raise ValueError(f"texts.yml alert_template lacks: {', '.join(missing)}")
    return TemplateTexts(**{n: str(raw[n]).strip() for n in names})


def shorten(text: str, max_chars: int) -> str:
    """``text`` on one line, at most ``max_chars`` characters.

    A text that is too long is cut after the last clause that fits (when that keeps
    at least a third of the room), else between characters, and ends with "…".
    """
    flat = _SPACES.sub(" ", text).strip()
    if len(flat) <= max_chars:
        return flat
    room = flat[: max_chars - 1]
    ends = [m.start() for m in _CLAUSE_END.finditer(room)]
    if ends and ends[-1] >= max_chars // 3:
        room = room[: ends[-1]]
    return room.rstrip(" ，、,") + ELLIPSIS


def template_data(
    settings: WeChatTemplateSettings,
    texts: TemplateTexts,
    *,
    kind: str,
    code: str,
    title: str,
    body: str,
) -> dict[str, dict[str, str]]:
    """The ``data`` of one alert (``kind`` ``alert``) or correction template message."""
    if kind == "correction":
        values = {
            settings.title_field: texts.correction_title.format(title=title),
            settings.body_field: body or texts.correction_body,
        }
    else:
        values = {
            settings.title_field: texts.alert_title.format(title=title),
            settings.body_field: body,
        }
    values[settings.code_field] = code
    values[settings.check_field] = texts.check.format(code=code)
    values[settings.unsubscribe_field] = texts.unsubscribe
    return {
        field: {"value": shorten(value, settings.field_max_chars)}
        for field, value in values.items()
        if field and value.strip()
    }


class AlertTemplates:
    """Sends alerts as template messages (``alerts.worker.TemplateSender``).

    Args:
        client: the WeChat API client (tokens are shared with customer-service messages).
        settings: template id and field names.
        public_base_url: where the web chat is; the link of every message.
        texts: the field texts; read from ``texts.yml`` by default.
    """

    def __init__(
        self,
        client: CustomerServiceClient,
        settings: WeChatTemplateSettings,
        public_base_url: str = "",
        texts: TemplateTexts | None = None,
    ) -> None:
        if not settings.id:
            raise ValueError("a template id is required (YINFA_WECHAT_TEMPLATE_ID)")
        self.client = client
        self.settings = settings
        self.url = public_base_url.rstrip("/") + "/" if public_base_url else ""
        self.texts = texts or load_template_texts()

    async def send_alert(
        self, openid: str, *, kind: str, code: str, title: str, body: str
    ) -> dict[str, object]:
        """Send one alert or correction; returns what was sent (for the receipt).

        Raises:
            WeChatAPIError: with WeChat's ``errcode`` (45009 quota spent, 40037 unknown
                template, 43004 unsubscribed ...), as ``CustomerServiceClient`` raises it.
        """
        data = template_data(
            self.settings, self.texts, kind=kind, code=code, title=title, body=body
        )
        msgid = await self.client.send_template(openid, self.settings.id, data, self.url)
        return {"template_id": self.settings.id, "data": data, "url": self.url, "msgid": msgid}
