"""What the bot says to one inbound message, and the HTTP reply that carries it.

:class:`Answerer` turns a message or event into text parts (at most 2,048 bytes each, with
numbered choices for buttons), calling the inbound, subscription and rate-limit hooks on
the way; :func:`passive_reply` renders one part as the (possibly encrypted) XML reply.
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from channels.wechat.buttons import MenuStore
from channels.wechat.formatting import MAX_TEXT_BYTES, MessageLike, render
from channels.wechat.texts import Texts
from channels.wechat.xmlmsg import Inbound, text_reply
from core.messages import BotMessage, Button
from core.senders import sender_id

log = logging.getLogger(__name__)

SENDER_PREFIX = sender_id("wechat", "")  # "wechat:"
SUCCESS = "success"

SubscriptionHook = Callable[[str, bool], Awaitable[None] | None]
"""Called with (sender id, subscribed) on ``subscribe`` / ``unsubscribe`` events."""

InboundHook = Callable[[str], object]
"""Called with the sender id on every message or event; may be sync or async."""


class ConversationLike(Protocol):
    """The part of ``core.conversation.Conversation`` this channel uses."""

    async def send(self, sender_id: str, text: str) -> Sequence[MessageLike]: ...


class RateLimiterLike(Protocol):
    """The part of ``core.limits.RateLimiter`` this channel uses."""

    def allow(self, key: str) -> bool: ...


@dataclass(frozen=True)
class Reply:
    """The HTTP answer to a callback: ``success`` or a (possibly encrypted) XML reply."""

    body: str
    media_type: str = "text/plain"

    @property
    def is_success(self) -> bool:
        return self.body == SUCCESS


@dataclass(frozen=True)
class Hooks:
    """The callables one turn reports to; any may be absent. Their errors are logged."""

    on_inbound: InboundHook | None = None
    on_subscription: SubscriptionHook | None = None
    limiter: RateLimiterLike | None = None


def passive_reply(
    inbound: Inbound, content: str, now: int, seal: Callable[[str], str] | None
) -> Reply:
    """The XML reply carrying ``content``; ``seal`` encrypts it (safe mode) when given."""
    xml = text_reply(inbound.from_user, inbound.to_user, content, now)
    return Reply(xml if seal is None else seal(xml), "application/xml")


async def _call_hook(hook: Callable[..., object], what: str, sender: str, *args: object) -> None:
    try:
        result = hook(sender, *args)
        if inspect.isawaitable(result):
            await result
    except Exception:
        log.exception("%s hook failed for %s", what, sender)


class Answerer:
    """Answers inbound messages with text parts.

    Args:
        texts: the channel's own texts.
        menus: numbered-choice state.
        max_text_chars: longer user texts are refused politely.
        clock: wall-clock seconds.
    """

    def __init__(
        self, *, texts: Texts, menus: MenuStore, max_text_chars: int, clock: Callable[[], float]
    ) -> None:
        self.texts = texts
        self.menus = menus
        self.max_text_chars = max_text_chars
        self.clock = clock

    async def answer(
        self, inbound: Inbound, conversation: ConversationLike, hooks: Hooks
    ) -> list[str]:
        """The text parts answering one inbound message (empty: nothing to say)."""
        openid = inbound.from_user
        sender = SENDER_PREFIX + openid
        if hooks.on_inbound is not None:
            await _call_hook(hooks.on_inbound, "inbound", sender)
        if inbound.msg_type == "event":
            return await self._answer_event(inbound, sender, hooks.on_subscription)
        text = self._user_text(inbound)
        if isinstance(text, list):
            return text
        if hooks.limiter is not None and not hooks.limiter.allow(sender):
            return [self.texts.rate_limited]
        payload = self.menus.resolve(openid, text, self.clock(), self.texts.number_words)
        try:
            messages = await conversation.send(sender, payload or text)
        except Exception as exc:  # RasaUnavailable, or anything else from the core
            log.warning("conversation failed for %s: %s", sender, exc.__class__.__name__)
            return [self.texts.busy]
        return self.render(openid, messages)

    def _user_text(self, inbound: Inbound) -> str | list[str]:
        """What the user typed (or said), or the polite parts refusing the message."""
        if inbound.msg_type == "text":
            text = inbound.content.strip()
        elif inbound.msg_type == "voice":
            text = inbound.recognition.strip()
            if not text:
                return [self.texts.voice_not_recognized]
        else:
            return [self.texts.unsupported]
        if not text:
            return [self.texts.unsupported]
        if len(text) > self.max_text_chars:
            return [self.texts.too_long]
        return text

    def render(self, openid: str, messages: Sequence[MessageLike]) -> list[str]:
        """The text parts of ``messages``; their buttons become the user's menu."""
        rendered = render(messages, self.texts, MAX_TEXT_BYTES)
        self.menus.show(openid, rendered.payloads, self.clock())
        return rendered.parts

    async def _answer_event(
        self, inbound: Inbound, sender: str, on_subscription: SubscriptionHook | None
    ) -> list[str]:
        if inbound.event not in ("subscribe", "unsubscribe"):
            # Menu clicks, location reports, template-send receipts...: nothing to say; a
            # reply to each automatic location report would flood the chat.
            return []
        subscribed = inbound.event == "subscribe"
        if on_subscription is not None:
            await _call_hook(on_subscription, "subscription", sender, subscribed)
        if not subscribed:
            self.menus.show(inbound.from_user, [], self.clock())
            return []  # nobody to talk to any more
        welcome = BotMessage(
            text=self.texts.welcome,
            buttons=[Button(title=b.title, payload=b.payload) for b in self.texts.welcome_buttons],
        )
        return self.render(inbound.from_user, [welcome])
