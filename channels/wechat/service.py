"""The WeChat channel: checks a callback, runs one bot turn per message, answers in time.

This facade wires the parts together; each does one job:

- :mod:`channels.wechat.verification`: timestamp, signature, nonce replay, safe-mode envelope;
- :mod:`channels.wechat.turns`: one turn per message shared by retries, the passive-reply
  deadline, late delivery through the customer-service API;
- :mod:`channels.wechat.replies`: the answer's text parts and the XML reply.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping

from channels.wechat.buttons import MenuStore
from channels.wechat.crypto import MessageCrypto
from channels.wechat.customer_service import CustomerServiceClient
from channels.wechat.replay import ReplayGuard
from channels.wechat.replies import (
    SENDER_PREFIX,
    SUCCESS,
    Answerer,
    ConversationLike,
    Hooks,
    InboundHook,
    RateLimiterLike,
    Reply,
    SubscriptionHook,
    passive_reply,
)
from channels.wechat.texts import Texts
from channels.wechat.turns import TURN_KEEP_S, TurnCoordinator
from channels.wechat.verification import TIMESTAMP_WINDOW_S, Refused, Verifier
from channels.wechat.xmlmsg import MAX_BODY_BYTES, Inbound

__all__ = [
    "SENDER_PREFIX",
    "SUCCESS",
    "TIMESTAMP_WINDOW_S",
    "TURN_KEEP_S",
    "ConversationLike",
    "InboundHook",
    "RateLimiterLike",
    "Refused",
    "Reply",
    "SubscriptionHook",
    "WeChatChannel",
]


class WeChatChannel:
    """Everything the ``/wechat`` endpoints need, built once per app.

    Args:
        token: the Token configured in the WeChat console.
        app_id: the account's AppID.
        encoding_aes_key: 43-character EncodingAESKey, or "" for plaintext mode only.
        texts: the channel's own texts.
        guard: where seen nonces and message keys are kept.
        customer_service: client for answers that miss the passive-reply deadline.
        deadline_s: time allowed for a passive reply, counted from the request's arrival.
        max_text_chars: longer user texts are refused politely.
        menus: numbered-choice state (a fresh in-process store if omitted).
        clock: wall-clock seconds (tests move it).
        max_body_bytes: larger bodies are refused with 413.
        on_inbound: called with the sender id on every message or event a user sends (e.g.
            to restart the 48-hour customer-service window); sync or async; errors are
            logged. Also settable later as the ``on_inbound`` attribute.
        on_subscription: told about ``subscribe`` / ``unsubscribe`` events; a hook passed
            to :meth:`handle` takes precedence.
        limiter: per-sender rate limit of new user messages (retries are not counted); a
            limiter passed to :meth:`handle` takes precedence.
    """

    def __init__(
        self,
        *,
        token: str,
        app_id: str,
        encoding_aes_key: str,
        texts: Texts,
        guard: ReplayGuard,
        customer_service: CustomerServiceClient,
        deadline_s: float = 4.5,
        max_text_chars: int = 500,
        menus: MenuStore | None = None,
        clock: Callable[[], float] = time.time,
        max_body_bytes: int = MAX_BODY_BYTES,
        on_inbound: InboundHook | None = None,
        on_subscription: SubscriptionHook | None = None,
        limiter: RateLimiterLike | None = None,
    ) -> None:
        if not token:
            raise ValueError("the WeChat token is required")
        if deadline_s <= 0:
            raise ValueError("deadline_s must be positive")
        self.token = token
        self.app_id = app_id
        self.crypto = MessageCrypto(encoding_aes_key, app_id) if encoding_aes_key else None
        self.texts = texts
        self.guard = guard
        self.customer_service = customer_service
        self.deadline_s = deadline_s
        self.max_text_chars = max_text_chars
        self.menus = menus or MenuStore()
        self.clock = clock
        self.max_body_bytes = max_body_bytes
        self.on_inbound = on_inbound
        self.on_subscription = on_subscription
        self.limiter = limiter
        self.verifier = Verifier(
            token=token,
            crypto=self.crypto,
            guard=guard,
            clock=clock,
            max_body_bytes=max_body_bytes,
        )
        self.turns = TurnCoordinator(
            guard=guard, customer_service=customer_service, busy_text=texts.busy, clock=clock
        )
        self.answerer = Answerer(
            texts=texts, menus=self.menus, max_text_chars=max_text_chars, clock=clock
        )

    async def aclose(self) -> None:
        """Wait briefly for answers still being delivered, then close the API client."""
        await self.turns.aclose()
        await self.customer_service.aclose()

    async def drain(self) -> None:
        """Wait until every started turn and delivery has finished (tests, shutdown)."""
        await self.turns.drain()

    async def verify_url(self, params: Mapping[str, str]) -> str:
        """Answer WeChat's URL verification (``GET /wechat``): the ``echostr``.

        Raises:
            Refused: bad signature, stale timestamp or reused nonce.
        """
        return await self.verifier.verify_url(params)

    async def handle(
        self,
        params: Mapping[str, str],
        body: bytes,
        conversation: ConversationLike,
        on_subscription: SubscriptionHook | None = None,
        limiter: RateLimiterLike | None = None,
    ) -> Reply:
        """Handle one message callback (``POST /wechat``).

        Args:
            params: the query parameters.
            body: the raw body (already capped by the router).
            conversation: the conversation core.
            on_subscription: overrides the constructor's subscription hook when given.
            limiter: overrides the constructor's rate limiter when given.

        Raises:
            Refused: forged, stale, replayed or malformed requests.
        """
        started = time.monotonic()
        inbound, encrypted = await self.verifier.open_callback(params, body)
        hooks = Hooks(
            on_inbound=self.on_inbound,
            on_subscription=on_subscription
            if on_subscription is not None
            else self.on_subscription,
            limiter=limiter if limiter is not None else self.limiter,
        )

        async def answer() -> list[str]:
            return await self.answerer.answer(inbound, conversation, hooks)

        part = await self.turns.passive_part(inbound, answer, started, self.deadline_s)
        if part is None:
            return Reply(SUCCESS)
        return self._passive(inbound, part, params["nonce"], encrypted)

    def _passive(self, inbound: Inbound, content: str, nonce: str, encrypted: bool) -> Reply:
        now = int(self.clock())
        if not encrypted or self.crypto is None:
            return passive_reply(inbound, content, now, None)
        return passive_reply(
            inbound, content, now, lambda xml: self.verifier.seal(xml, str(now), nonce)
        )
