"""What Rasa's REST channel makes of an action's messages, for the outcome tests.

Rasa fills a response's text from the domain, sends the text (with its buttons) as one
message and the custom payload as another; the app then converts them
(``core.messages``). This reproduces that for a ``CollectingDispatcher``'s messages.
"""

from __future__ import annotations

from typing import Any

from actions.answers import response_text
from core.messages import BotMessage, attach_citations

_NOT_VALUES = {"text", "buttons", "custom", "response", "template", "image", "attachment"}


def rest_messages(messages: list[dict[str, Any]], domain: dict[str, Any]) -> list[BotMessage]:
    """The bot messages the app receives for these dispatcher messages."""
    raw: list[dict[str, Any]] = []
    for message in messages:
        text = message.get("text")
        if not text and message.get("response"):
            values = {k: v for k, v in message.items() if k not in _NOT_VALUES}
            text = response_text(domain, message["response"], **values)
        if text or message.get("buttons"):
            raw.append({"recipient_id": "t", "text": text, "buttons": message.get("buttons")})
        if message.get("custom"):
            raw.append({"recipient_id": "t", "custom": message["custom"]})
    return attach_citations([BotMessage.from_rasa(r) for r in raw])


def template(domain: dict[str, Any], *names: str) -> list[BotMessage]:
    """The messages of responses Rasa utters itself (rules, the core fallback)."""
    return [BotMessage(text=response_text(domain, name)) for name in names]
