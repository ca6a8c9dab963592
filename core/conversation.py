"""The conversation core shared by every channel: redaction, then Rasa, then bot messages."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from core.messages import BotMessage, attach_citations
from core.rasa_client import RasaClient, RasaUnavailable
from core.redact import redact
from core.senders import split_sender

log = logging.getLogger(__name__)

__all__ = ["Conversation", "RasaUnavailable", "Turn"]


@dataclass(frozen=True)
class Turn:
    """One resident turn, as it went to Rasa and came back.

    Attributes:
        sender_id: the namespaced conversation id (``web:abc``, ``wechat:oXYZ``).
        channel: ``web`` or ``wechat``, from that namespace (``core.senders``).
        text: the redacted text exactly as sent to Rasa (never the raw text).
        messages: the bot's answer.
    """

    sender_id: str
    channel: str
    text: str
    messages: tuple[BotMessage, ...]


class Conversation:
    """Sends one user turn to Rasa and returns channel-neutral bot messages.

    Args:
        rasa: client of the Rasa server.
        max_chars: user text longer than this is refused by the channels before it gets here;
            the core cuts defensively as well.
        before_turn: awaited with the conversation id before each user turn goes to Rasa
            (fanned-out fraud alerts are attached to the conversation there); it must not
            raise.
        after_turn: called with each answered :class:`Turn` (the question log); it must
            return at once (it may schedule work) and its errors are logged, never raised.
    """

    def __init__(
        self,
        rasa: RasaClient,
        max_chars: int = 500,
        before_turn: Callable[[str], Awaitable[None]] | None = None,
        after_turn: Callable[[Turn], None] | None = None,
    ) -> None:
        self.rasa = rasa
        self.max_chars = max_chars
        self.before_turn = before_turn
        self.after_turn = after_turn

    async def send(self, sender_id: str, text: str) -> list[BotMessage]:
        """Redact personal numbers, send the text to Rasa, convert its answer.

        When numbers were redacted, the bot's answer is preceded by a warning (the
        ``EXTERNAL``-free way: the masked text itself tells the NLU what happened).

        Raises:
            RasaUnavailable: Rasa is down, failing, or too slow.
        """
        cleaned = redact(text[: self.max_chars])
        if cleaned.changed:
            log.info("redacted %s from message of %s", sorted(cleaned.kinds), sender_id)
        if self.before_turn is not None:
            await self.before_turn(sender_id)
        raw = await self.rasa.send_message(sender_id, cleaned.text)
        messages = attach_citations([BotMessage.from_rasa(m) for m in raw])
        if self.after_turn is not None:
            try:
                channel = split_sender(sender_id)[0]
                self.after_turn(Turn(sender_id, channel, cleaned.text, tuple(messages)))
            except Exception:  # the chat never fails because of what watches it
                log.exception("after-turn hook failed")
        return messages

    async def trigger(
        self, sender_id: str, intent: str, entities: dict[str, object] | None = None
    ) -> list[BotMessage]:
        """Trigger an external intent (e.g. ``EXTERNAL_fraud_alert``) in a conversation."""
        raw = await self.rasa.trigger_intent(sender_id, intent, dict(entities or {}))
        return attach_citations([BotMessage.from_rasa(m) for m in raw])
