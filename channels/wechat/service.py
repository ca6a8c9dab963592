"""The WeChat channel: checks a callback, runs one bot turn per message, answers in time.

One callback goes through these steps:

1. the timestamp must be within five minutes of our clock;
2. the signature must match (``msg_signature`` over the ciphertext in safe mode);
3. the body is parsed with defusedxml (and decrypted in safe mode);
4. the nonce must be unseen, unless it comes back with the same message (a WeChat retry);
5. the message is de-duplicated (MsgId, or sender + CreateTime for events): a retry shares
   the first attempt's turn instead of starting another;
6. the answer is sent as the passive XML reply if it is ready within the deadline and fits
   in one text message; otherwise ``success`` is answered at once and the answer goes out
   through the customer-service API when it is ready.
"""

from __future__ import annotations

import asyncio
import hashlib
import inspect
import logging
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from channels.messages import BotMessage, Button
from channels.wechat.buttons import MenuStore
from channels.wechat.crypto import CryptoError, MessageCrypto
from channels.wechat.customer_service import CustomerServiceClient, WeChatAPIError
from channels.wechat.formatting import MAX_TEXT_BYTES, MessageLike, render
from channels.wechat.replay import NonceVerdict, ReplayGuard
from channels.wechat.signature import sign, verify
from channels.wechat.texts import Texts
from channels.wechat.xmlmsg import (
    MAX_BODY_BYTES,
    Inbound,
    XMLRejected,
    encrypted_envelope,
    parse_xml,
    text_reply,
)

log = logging.getLogger(__name__)

SENDER_PREFIX = "wechat:"
TIMESTAMP_WINDOW_S = 300.0
TURN_KEEP_S = 120.0  # how long a finished turn answers retries from memory
SUCCESS = "success"

SubscriptionHook = Callable[[str, bool], Awaitable[None] | None]
"""Called with (sender id, subscribed) on ``subscribe`` / ``unsubscribe`` events."""


class ConversationLike(Protocol):
    """The part of ``app.conversation.Conversation`` this channel uses."""

    async def send(self, sender_id: str, text: str) -> Sequence[MessageLike]: ...


class RateLimiterLike(Protocol):
    """The part of ``app.limits.RateLimiter`` this channel uses."""

    def allow(self, key: str) -> bool: ...


class Refused(Exception):
    """The request is refused; ``status`` is the HTTP status to answer with."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


@dataclass(frozen=True)
class Reply:
    """The HTTP answer to a callback: ``success`` or a (possibly encrypted) XML reply."""

    body: str
    media_type: str = "text/plain"

    @property
    def is_success(self) -> bool:
        return self.body == SUCCESS


@dataclass
class _Turn:
    """One user message's bot turn, shared by WeChat's retries of that message."""

    inbound: Inbound
    parts: list[str] | None = None
    via_api: bool = False
    delivering: bool = False
    task: asyncio.Task[None] | None = None
    done: asyncio.Event = field(default_factory=asyncio.Event)


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
        self._turns: dict[str, _Turn] = {}
        # Called with the sender id on every message or event a user sends (e.g. to restart
        # the 48-hour customer-service window); may be sync or async; errors are logged.
        self.on_inbound: Callable[[str], object] | None = None
        self._background: set[asyncio.Task[None]] = set()

    async def aclose(self) -> None:
        """Wait briefly for answers still being delivered, then close the API client."""
        pending = [t for t in self._background if not t.done()]
        if pending:
            await asyncio.wait(pending, timeout=5.0)
        await self.customer_service.aclose()

    async def drain(self) -> None:
        """Wait until every started turn and delivery has finished (tests, shutdown)."""
        while pending := [t for t in self._background if not t.done()]:
            await asyncio.wait(pending)

    # ----------------------------------------------------------------- checks

    def _check_fresh(self, params: Mapping[str, str]) -> tuple[str, str]:
        timestamp, nonce = params.get("timestamp", ""), params.get("nonce", "")
        if not timestamp.isdigit() or len(timestamp) > 12 or not 0 < len(nonce) <= 64:
            raise Refused(400, "missing or malformed timestamp/nonce")
        if abs(self.clock() - int(timestamp)) > TIMESTAMP_WINDOW_S:
            raise Refused(403, "stale timestamp")
        return timestamp, nonce

    async def _check_nonce(self, nonce: str, fingerprint: str) -> None:
        verdict = await self.guard.check_nonce(nonce, fingerprint, self.clock())
        if verdict is NonceVerdict.REUSED:
            raise Refused(403, "reused nonce")

    async def verify_url(self, params: Mapping[str, str]) -> str:
        """Answer WeChat's URL verification (``GET /wechat``): the ``echostr``.

        Raises:
            Refused: bad signature, stale timestamp or reused nonce.
        """
        timestamp, nonce = self._check_fresh(params)
        if not verify(params.get("signature", ""), self.token, timestamp, nonce):
            raise Refused(403, "bad signature")
        echostr = params.get("echostr", "")
        if not echostr or len(echostr) > 128:
            raise Refused(400, "missing echostr")
        await self._check_nonce(nonce, "echo:" + hashlib.sha256(echostr.encode()).hexdigest())
        return echostr

    def _open(self, params: Mapping[str, str], body: bytes) -> tuple[Inbound, bool]:
        """Check the signature and read the message; returns it and whether it was encrypted."""
        timestamp, nonce = self._check_fresh(params)
        encrypted = params.get("encrypt_type", "").lower() == "aes"
        if not encrypted:
            if not verify(params.get("signature", ""), self.token, timestamp, nonce):
                raise Refused(403, "bad signature")
            return Inbound.from_fields(parse_xml(body, self.max_body_bytes)), False
        if self.crypto is None:
            raise Refused(400, "safe mode is not configured (no EncodingAESKey)")
        outer = parse_xml(body, self.max_body_bytes)
        ciphertext = outer.get("Encrypt", "")
        if not ciphertext:
            raise Refused(400, "no Encrypt element")
        if not verify(params.get("msg_signature", ""), self.token, timestamp, nonce, ciphertext):
            raise Refused(403, "bad msg_signature")
        try:
            inner = self.crypto.decrypt(ciphertext)
        except CryptoError as exc:
            raise Refused(400, f"cannot decrypt: {exc}") from exc
        return Inbound.from_fields(parse_xml(inner.encode("utf-8"), self.max_body_bytes)), True

    # ----------------------------------------------------------------- callback

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
            on_subscription: told about ``subscribe`` / ``unsubscribe`` events.
            limiter: per-sender rate limit of new user messages (retries are not counted).

        Raises:
            Refused: forged, stale, replayed or malformed requests.
        """
        started = time.monotonic()
        try:
            inbound, encrypted = self._open(params, body)
        except XMLRejected as exc:
            raise Refused(exc.status, str(exc)) from exc
        await self._check_nonce(params["nonce"], inbound.dedupe_key)

        key = inbound.dedupe_key
        turn = self._turns.get(key)
        if turn is None:
            # Registered before the (possibly slow) claim, so a concurrent retry shares it.
            turn = self._turns[key] = _Turn(inbound)
            try:
                claimed = await self.guard.claim_message(key, self.clock())
            except BaseException:
                self._finish(key, turn, [])
                self._forget(key, turn)
                raise
            if claimed:
                turn.task = self._spawn(
                    self._run_turn(key, turn, conversation, on_subscription, limiter)
                )
            else:
                log.info("%s from %s was handled before; answering success", key, inbound.from_user)
                self._finish(key, turn, [])
        else:
            log.info("retry of %s shares the turn in flight", key)

        remaining = self.deadline_s - (time.monotonic() - started)
        try:
            if remaining > 0 and not turn.done.is_set():
                await asyncio.wait_for(turn.done.wait(), timeout=remaining)
        except asyncio.TimeoutError:
            pass
        except asyncio.CancelledError:
            self._deliver_later(turn)
            raise
        if not turn.done.is_set() or turn.via_api or turn.parts is None:
            self._deliver_later(turn)
            return Reply(SUCCESS)
        if not turn.parts:
            return Reply(SUCCESS)
        if len(turn.parts) > 1:
            # Several messages keep their order only through the API.
            self._deliver_later(turn)
            return Reply(SUCCESS)
        return self._passive(inbound, turn.parts[0], params, encrypted)

    def _passive(
        self, inbound: Inbound, content: str, params: Mapping[str, str], encrypted: bool
    ) -> Reply:
        now = int(self.clock())
        xml = text_reply(inbound.from_user, inbound.to_user, content, now)
        if not encrypted or self.crypto is None:
            return Reply(xml, "application/xml")
        ciphertext = self.crypto.encrypt(xml)
        timestamp, nonce = str(now), params["nonce"]
        signature = sign(self.token, timestamp, nonce, ciphertext)
        return Reply(encrypted_envelope(ciphertext, signature, timestamp, nonce), "application/xml")

    # ----------------------------------------------------------------- turns

    def _spawn(self, coro: Awaitable[None]) -> asyncio.Task[None]:
        task: asyncio.Task[None] = asyncio.ensure_future(coro)
        self._background.add(task)
        task.add_done_callback(self._background.discard)
        return task

    async def _run_turn(
        self,
        key: str,
        turn: _Turn,
        conversation: ConversationLike,
        on_subscription: SubscriptionHook | None,
        limiter: RateLimiterLike | None,
    ) -> None:
        try:
            turn.parts = await self._answer(turn.inbound, conversation, on_subscription, limiter)
        except Exception:  # never leave a retry waiting on a crashed turn
            log.exception("WeChat turn %s failed", key)
            turn.parts = [self.texts.busy]
        finally:
            self._finish(key, turn, turn.parts if turn.parts is not None else [self.texts.busy])
        if turn.via_api:
            await self._deliver(turn)

    def _finish(self, key: str, turn: _Turn, parts: list[str]) -> None:
        """Record the turn's answer, wake its waiters, forget it after a while."""
        turn.parts = parts
        turn.done.set()
        asyncio.get_running_loop().call_later(TURN_KEEP_S, self._forget, key, turn)

    def _forget(self, key: str, turn: _Turn) -> None:
        if self._turns.get(key) is turn:
            del self._turns[key]

    def _deliver_later(self, turn: _Turn) -> None:
        """Send the turn's answer through the customer-service API (once)."""
        turn.via_api = True
        if turn.done.is_set() and not turn.delivering:
            self._spawn(self._deliver(turn))

    async def _deliver(self, turn: _Turn) -> None:
        if turn.delivering or not turn.parts:
            return
        turn.delivering = True
        openid = turn.inbound.from_user
        for number, part in enumerate(turn.parts, 1):
            try:
                await self.customer_service.send_text(openid, part)
            except WeChatAPIError as exc:
                log.warning(
                    "customer-service delivery to %s%s failed at part %d/%d: %s",
                    SENDER_PREFIX,
                    openid,
                    number,
                    len(turn.parts),
                    exc,
                )
                return

    async def _answer(
        self,
        inbound: Inbound,
        conversation: ConversationLike,
        on_subscription: SubscriptionHook | None,
        limiter: RateLimiterLike | None = None,
    ) -> list[str]:
        """The text parts answering one inbound message (empty: nothing to say)."""
        openid = inbound.from_user
        sender = SENDER_PREFIX + openid
        await self._notify_inbound(sender)
        if inbound.msg_type == "event":
            return await self._answer_event(inbound, sender, on_subscription)
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
        if limiter is not None and not limiter.allow(sender):
            return [self.texts.rate_limited]
        payload = self.menus.resolve(openid, text, self.clock(), self.texts.number_words)
        try:
            messages = await conversation.send(sender, payload or text)
        except Exception as exc:  # RasaUnavailable, or anything else from the core
            log.warning("conversation failed for %s: %s", sender, exc.__class__.__name__)
            return [self.texts.busy]
        return self._render(openid, messages)

    def _render(self, openid: str, messages: Sequence[MessageLike]) -> list[str]:
        rendered = render(messages, self.texts, MAX_TEXT_BYTES)
        self.menus.show(openid, rendered.payloads, self.clock())
        return rendered.parts

    async def _notify_inbound(self, sender: str) -> None:
        if self.on_inbound is None:
            return
        try:
            result = self.on_inbound(sender)
            if inspect.isawaitable(result):
                await result
        except Exception:
            log.exception("inbound hook failed for %s", sender)

    async def _answer_event(
        self, inbound: Inbound, sender: str, on_subscription: SubscriptionHook | None
    ) -> list[str]:
        if inbound.event in ("subscribe", "unsubscribe"):
            subscribed = inbound.event == "subscribe"
            if on_subscription is not None:
                try:
                    result = on_subscription(sender, subscribed)
                    if inspect.isawaitable(result):
                        await result
                except Exception:
                    log.exception("subscription hook failed for %s", sender)
            if not subscribed:
                self.menus.show(inbound.from_user, [], self.clock())
                return []  # nobody to talk to any more
            welcome = BotMessage(
                text=self.texts.welcome,
                buttons=[
                    Button(title=b.title, payload=b.payload) for b in self.texts.welcome_buttons
                ],
            )
            return self._render(inbound.from_user, [welcome])
        # Menu clicks, location reports, template-send receipts...: nothing to say; a
        # reply to each automatic location report would flood the chat.
        return []
