"""The delivery worker: claims outbox rows and delivers each through the bot.

For each row the worker triggers ``EXTERNAL_fraud_alert`` in the subscriber's Rasa
conversation (so the alert becomes part of that conversation and follow-up questions work),
then pushes the returned bot messages on the subscriber's channel:

* web: the receipt row *is* the push; ``GET /api/events`` streams it to the page;
* wechat: the customer-service message API, only within 48 hours of the user's last message.

Delivery is at least once; receivers are idempotent because every push is recorded as a
receipt under the row's idempotency key, in the same transaction that marks the row
delivered. A row whose receipt already exists is never pushed again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
from collections.abc import Callable, Sequence
from typing import Any, Protocol

from sqlalchemy import select

from alerts.config import AlertSettings
from alerts.lifecycle import is_live, receipt_exists
from alerts.models import Alert, OutboxItem, Subscription
from alerts.notify import Notifier
from alerts.outbox import claim, deliver, retry_later, settle
from alerts.subscriptions import within_window
from app.db import Database
from channels.messages import BotMessage

log = logging.getLogger(__name__)

EXTERNAL_INTENT = "EXTERNAL_fraud_alert"
OUTSIDE_WINDOW = 45015


class Triggering(Protocol):
    """The part of ``app.conversation.Conversation`` the worker uses."""

    async def trigger(
        self, sender_id: str, intent: str, entities: dict[str, object] | None = None
    ) -> list[BotMessage]: ...


class WeChatSender(Protocol):
    """Sends one text to a WeChat user (``channels.wechat.customer_service``).

    ``send_text`` raises an exception with ``errcode`` 45015 when the 48-hour window is
    closed, 43004/40003 when the user is gone, another code for anything else.
    """

    async def send_text(self, openid: str, text: str) -> None: ...


WeChatRenderer = Callable[[Sequence[BotMessage]], list[str]]


def default_wechat_renderer(hotline: str) -> WeChatRenderer:
    """Bot messages to WeChat text parts, the way the WeChat channel renders answers."""
    from channels.wechat.formatting import render
    from channels.wechat.texts import load_texts

    texts = load_texts(hotline)

    def _render(messages: Sequence[BotMessage]) -> list[str]:
        return render(messages, texts).parts

    return _render


class Undeliverable(Exception):
    """This row can never be delivered; the reason is recorded."""


class DeliveryWorker:
    """Claims due outbox rows and delivers them.

    Args:
        database: the app database.
        conversation: triggers the external intent in Rasa.
        settings: batch size, concurrency, lease, backoff.
        wechat: WeChat customer-service sender; without it WeChat rows are retried.
        wechat_renderer: bot messages to WeChat text parts.
        notifier: wakes this process's live streams after a web delivery.
        name: worker name for the logs.
    """

    def __init__(
        self,
        database: Database,
        conversation: Triggering,
        settings: AlertSettings,
        *,
        wechat: WeChatSender | None = None,
        wechat_renderer: WeChatRenderer | None = None,
        notifier: Notifier | None = None,
        name: str | None = None,
    ) -> None:
        self.database = database
        self.conversation = conversation
        self.settings = settings
        self.wechat = wechat
        self.wechat_renderer = wechat_renderer
        self.notifier = notifier
        self.name = name or f"{socket.gethostname()}-{id(self):x}"
        self._semaphore = asyncio.Semaphore(settings.concurrency)
        self.delivered = 0

    async def run_once(self) -> int:
        """Claim one batch and deliver it; returns the number of rows claimed."""
        ids = await asyncio.to_thread(
            claim, self.database, self.settings.batch_size, self.settings.lease_s
        )
        if ids:
            await asyncio.gather(*(self._guarded(i) for i in ids))
        return len(ids)

    async def run_forever(self, stop: asyncio.Event) -> None:
        """Deliver until ``stop`` is set; sleeps ``poll_s`` when nothing is due."""
        log.info("delivery worker %s started", self.name)
        while not stop.is_set():
            try:
                claimed = await self.run_once()
            except Exception:
                log.exception("delivery worker %s: claim failed", self.name)
                claimed = 0
            if not claimed:
                with contextlib.suppress(asyncio.TimeoutError):
                    await asyncio.wait_for(stop.wait(), timeout=self.settings.poll_s)
        log.info("delivery worker %s stopped", self.name)

    async def _guarded(self, item_id: int) -> None:
        async with self._semaphore:
            try:
                await self.deliver_one(item_id)
            except Exception:
                log.exception("delivery of outbox row %s crashed", item_id)

    def _load(self, item_id: int) -> tuple[OutboxItem, Alert, Subscription] | None:
        with self.database.session() as s:
            row = s.execute(
                select(OutboxItem, Alert, Subscription)
                .join(Alert, Alert.id == OutboxItem.alert_id)
                .join(Subscription, Subscription.id == OutboxItem.subscription_id)
                .where(OutboxItem.id == item_id)
            ).one_or_none()
            if row is None:
                return None
            item, alert, sub = row
            s.expunge_all()
            return item, alert, sub

    def _precheck(self, item: OutboxItem, alert: Alert, sub: Subscription) -> str | None:
        """``None`` to go ahead, else what to do: ``done``, ``wait``, or a final status."""
        with self.database.session() as s:
            if receipt_exists(s, item.idempotency_key):
                return "done"
            if item.kind == "correction":
                first = s.scalar(
                    select(OutboxItem.status).where(
                        OutboxItem.alert_id == item.alert_id,
                        OutboxItem.subscription_id == item.subscription_id,
                        OutboxItem.kind == "alert",
                    )
                )
                if first == "in_progress":
                    return "wait"  # the alert itself is still on its way
                if first != "delivered":
                    return "cancelled"
        if item.kind == "alert" and not is_live(alert):
            return "cancelled"
        if not sub.active:
            return "cancelled"
        return None

    async def deliver_one(self, item_id: int) -> str:
        """Deliver one claimed row; returns its new status."""
        loaded = await asyncio.to_thread(self._load, item_id)
        if loaded is None:
            return "missing"
        item, alert, sub = loaded
        verdict = await asyncio.to_thread(self._precheck, item, alert, sub)
        if verdict == "done":
            await asyncio.to_thread(settle, self.database, item.id, "delivered")
            return "delivered"
        if verdict == "wait":
            return await self._retry(item, "waiting for the alert itself", count=False)
        if verdict is not None:
            reason = "alert no longer live" if item.kind == "alert" else "alert never reached"
            if not sub.active:
                reason = "unsubscribed"
            await asyncio.to_thread(settle, self.database, item.id, verdict, reason)
            return verdict
        if item.channel == "wechat":
            if not within_window(sub, self.settings.wechat_window_h):
                await asyncio.to_thread(
                    settle,
                    self.database,
                    item.id,
                    "undeliverable",
                    "outside WeChat 48-hour window (no message from the user)",
                )
                return "undeliverable"
            if self.wechat is None:
                return await self._retry(item, "no WeChat sender configured")
        entities: dict[str, object] = {
            "alert_code": alert.public_code,
            "alert_title": alert.title,
            "alert_body": alert.body if item.kind == "alert" else (alert.retract_note or ""),
            "alert_kind": item.kind,
        }
        try:
            messages = await self.conversation.trigger(sub.sender_id, EXTERNAL_INTENT, entities)
        except Exception as exc:  # RasaUnavailable and transport errors: try again later
            return await self._retry(item, f"bot: {exc}"[:300])
        payload: dict[str, Any] = {
            "kind": item.kind,
            "alert_code": alert.public_code,
            "messages": [m.model_dump(exclude_none=True) for m in messages],
        }
        if item.channel == "wechat":
            try:
                payload["parts"] = await self._send_wechat(sub.user_id, messages)
            except Undeliverable as exc:
                await asyncio.to_thread(settle, self.database, item.id, "undeliverable", str(exc))
                return "undeliverable"
            except Exception as exc:
                return await self._retry(item, f"wechat: {exc}"[:300])
        await asyncio.to_thread(deliver, self.database, item, payload)
        self.delivered += 1
        if self.notifier is not None:
            self.notifier.notify(f"{item.channel}:{item.user_id}")
        return "delivered"

    async def _send_wechat(self, openid: str, messages: Sequence[BotMessage]) -> list[str]:
        assert self.wechat is not None
        renderer = self.wechat_renderer or default_wechat_renderer("12345")
        parts = renderer(messages)
        for number, part in enumerate(parts):
            try:
                await self.wechat.send_text(openid, part)
            except Exception as exc:
                code = int(getattr(exc, "errcode", 0) or 0)
                if code == OUTSIDE_WINDOW:
                    raise Undeliverable("WeChat 45015: outside the 48-hour window") from exc
                if code in (43004, 40003):
                    raise Undeliverable(f"WeChat {code}: user unsubscribed or unknown") from exc
                if number:
                    # Part of the alert went out; resending would duplicate it.
                    raise Undeliverable(
                        f"WeChat {code}: sent {number} of {len(parts)} parts"
                    ) from exc
                raise
        return parts

    async def _retry(self, item: OutboxItem, error: str, count: bool = True) -> str:
        log.warning("outbox row %s: %s", item.id, error)
        return await asyncio.to_thread(
            retry_later,
            self.database,
            item,
            error,
            max_attempts=self.settings.max_attempts,
            base_s=self.settings.backoff_base_s,
            max_s=self.settings.backoff_max_s,
            count_attempt=count,
        )
