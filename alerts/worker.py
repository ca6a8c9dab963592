"""The delivery worker: claims outbox rows and delivers each through the bot.

For each row the worker takes the bot's answer to the alert and makes the alert part of
the subscriber's Rasa conversation (so follow-up questions work), in one of two ways:

* fan-out (the default, ``YINFA_ALERTS_FANOUT=true``): the alert is rendered once per
  (alert, kind, district) (alerts/fanout.py); the receipt names the render, and its turn is
  appended to the conversation before the subscriber's next message (alerts/context.py).
  Web receipts of one claimed batch are written in one transaction;
* per subscriber (``false``, kept for the benchmark's comparison): ``EXTERNAL_fraud_alert``
  is triggered in every subscriber's conversation, one full Rasa turn each.

Then it pushes the bot messages on the subscriber's channel:

* web: the receipt row *is* the push; ``GET /api/events`` streams it to the page;
* wechat: within 48 hours of the user's last message the customer-service message API
  (conversational, buttons as "回复 1 ..."); outside it a template message, until WeChat's
  daily template quota is spent (45009): then template rows wait, with the reason recorded,
  until the quota resets (``alerts.wechat_reach``).

Delivery is at least once; receivers are idempotent because every push is recorded as a
receipt under the row's idempotency key, in the same transaction that marks the row
delivered. A row whose receipt already exists is never pushed again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
from collections.abc import Sequence
from typing import Any

from sqlalchemy import select

from alerts.fanout import (
    EXTERNAL_INTENT,
    Renderer,
    TrackerEvents,
    Triggering,
    alert_entities,
)
from alerts.lifecycle import is_live, receipt_exists
from alerts.models import Alert, OutboxItem, OutboxStatus, Subscription
from alerts.notify import Notifier
from alerts.outbox import Delivery, claim, deliver, deliver_many, retry_later, settle
from alerts.subscriptions import within_window
from alerts.wechat_delivery import (
    WINDOW_CLOSED,
    Undeliverable,
    WeChatRenderer,
    WeChatSender,
    WindowClosed,
    wechat_errcode,
    wechat_final_reason,
)
from alerts.wechat_reach import TemplateRoute, TemplatesPaused, defer_until
from core.database import Database
from core.messages import BotMessage
from core.settings import AlertSettings

log = logging.getLogger(__name__)

__all__ = ["EXTERNAL_INTENT", "DeliveryWorker", "TrackerEvents", "Triggering"]


class DeliveryWorker:
    """Claims due outbox rows and delivers them.

    Args:
        database: the app database.
        conversation: triggers the external intent in Rasa.
        settings: batch size, concurrency, lease, backoff, fan-out or per subscriber.
        tracker: Rasa's tracker events API; needed for fan-out.
        wechat: WeChat customer-service sender; without it WeChat rows are retried.
        wechat_renderer: bot messages to WeChat text parts.
        wechat_templates: template messages for subscribers outside the window; without
            them those subscribers are "not deliverable".
        notifier: wakes this process's live streams after a web delivery.
        name: worker name for the logs.
    """

    def __init__(
        self,
        database: Database,
        conversation: Triggering,
        settings: AlertSettings,
        *,
        tracker: TrackerEvents | None = None,
        wechat: WeChatSender | None = None,
        wechat_renderer: WeChatRenderer | None = None,
        wechat_templates: TemplateRoute | None = None,
        notifier: Notifier | None = None,
        name: str | None = None,
    ) -> None:
        self.database = database
        self.conversation = conversation
        self.settings = settings
        if wechat is not None and wechat_renderer is None:
            raise ValueError("a WeChat sender needs its renderer (app.bootstrap.wechat_renderer)")
        self.wechat = wechat
        self.wechat_renderer = wechat_renderer
        self.wechat_templates = wechat_templates
        self.notifier = notifier
        self.renderer: Renderer | None = None
        if settings.fanout:
            if tracker is None:
                raise ValueError("fan-out needs Rasa's tracker events API (tracker=...)")
            self.renderer = Renderer(database, conversation, tracker)
        self.name = name or f"{socket.gethostname()}-{id(self):x}"
        self._semaphore = asyncio.Semaphore(settings.concurrency)
        self.delivered = 0

    async def run_once(self) -> int:
        """Claim one batch and deliver it; returns the number of rows claimed."""
        ids = await asyncio.to_thread(
            claim, self.database, self.settings.batch_size, self.settings.lease_s
        )
        if ids:
            batch: list[Delivery] = []
            await asyncio.gather(*(self._guarded(i, batch) for i in ids))
            await self._flush(batch)
        return len(ids)

    async def _flush(self, batch: list[Delivery]) -> None:
        """Write the batch's web receipts in one transaction, then wake their streams.

        If this fails (or the process dies first), no receipt of the batch exists and its
        rows are claimed again when their lease ends: nothing is lost or doubled.
        """
        if not batch:
            return
        await asyncio.to_thread(deliver_many, self.database, batch)
        for delivery in batch:
            self._delivered(delivery.item)

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

    async def _guarded(self, item_id: int, batch: list[Delivery]) -> None:
        async with self._semaphore:
            try:
                await self.deliver_one(item_id, batch)
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
                if first == OutboxStatus.IN_PROGRESS:
                    return "wait"  # the alert itself is still on its way
                if first != OutboxStatus.DELIVERED:
                    return OutboxStatus.CANCELLED
        if item.kind == "alert" and not is_live(alert):
            return OutboxStatus.CANCELLED
        if not sub.active:
            return OutboxStatus.CANCELLED
        return None

    async def deliver_one(self, item_id: int, batch: list[Delivery] | None = None) -> str:
        """Deliver one claimed row; returns its new status.

        With ``batch``, a web row's receipt is queued there for :meth:`_flush` (and the row
        stays claimed until then); other rows are written at once.
        """
        loaded = await asyncio.to_thread(self._load, item_id)
        if loaded is None:
            return "missing"
        item, alert, sub = loaded
        verdict = await asyncio.to_thread(self._precheck, item, alert, sub)
        if verdict == "done":
            await asyncio.to_thread(settle, self.database, item.id, OutboxStatus.DELIVERED)
            return OutboxStatus.DELIVERED
        if verdict == "wait":
            return await self._retry(item, "waiting for the alert itself", count=False)
        if verdict is not None:
            reason = "alert no longer live" if item.kind == "alert" else "alert never reached"
            if not sub.active:
                reason = "unsubscribed"
            await asyncio.to_thread(settle, self.database, item.id, OutboxStatus(verdict), reason)
            return verdict
        if item.channel == "wechat" and (held := await self._wechat_hold(item, sub)):
            return held
        try:
            messages, render_id = await self._bot_messages(item, alert, sub)
        except Exception as exc:  # RasaUnavailable and transport errors: try again later
            return await self._retry(item, f"bot: {exc}"[:300])
        payload: dict[str, Any] = {
            "kind": item.kind,
            "alert_code": alert.public_code,
            "messages": [m.model_dump(exclude_none=True) for m in messages],
        }
        if item.channel == "wechat":
            try:
                payload.update(await self._deliver_wechat(item, alert, sub, messages))
            except TemplatesPaused as exc:
                return await self._defer(item, exc)
            except Undeliverable as exc:
                await asyncio.to_thread(
                    settle, self.database, item.id, OutboxStatus.UNDELIVERABLE, str(exc)
                )
                return OutboxStatus.UNDELIVERABLE
            except Exception as exc:
                return await self._retry(item, f"wechat: {exc}"[:300])
        delivery = Delivery(item, payload, render_id)
        if batch is not None and item.channel == "web":
            batch.append(delivery)
            return OutboxStatus.DELIVERED
        await asyncio.to_thread(deliver, self.database, item, payload, render_id)
        self._delivered(item)
        return OutboxStatus.DELIVERED

    def _delivered(self, item: OutboxItem) -> None:
        self.delivered += 1
        if self.notifier is not None:
            self.notifier.notify(f"{item.channel}:{item.user_id}")

    async def _bot_messages(
        self, item: OutboxItem, alert: Alert, sub: Subscription
    ) -> tuple[Sequence[BotMessage], int | None]:
        """The bot's answer for this row, and the render it came from.

        Fan-out: the stored render (its turn enters the conversation before the
        subscriber's next message). Else one Rasa turn in this subscriber's conversation,
        which records the alert there at once (no render id).
        """
        if self.renderer is None:
            entities = alert_entities(alert, item.kind)
            messages = await self.conversation.trigger(sub.sender_id, EXTERNAL_INTENT, entities)
            return messages, None
        rendered = await self.renderer.get(alert, item.kind, sub.district)
        return rendered.messages, rendered.id

    def _in_window(self, sub: Subscription) -> bool:
        return self.wechat is not None and within_window(sub, self.settings.wechat_window_h)

    async def _wechat_hold(self, item: OutboxItem, sub: Subscription) -> str | None:
        """Before the bot is asked: ``None`` to go ahead, else the row's new status."""
        if self._in_window(sub):
            return None
        if self.wechat_templates is None:
            if self.wechat is None:
                return await self._retry(item, "no WeChat sender configured")
            reason = "outside WeChat 48-hour window (no message from the user)"
            await asyncio.to_thread(
                settle, self.database, item.id, OutboxStatus.UNDELIVERABLE, reason
            )
            return OutboxStatus.UNDELIVERABLE
        resumes = await self.wechat_templates.paused_until()
        if resumes is not None:
            return await self._defer(item, TemplatesPaused(resumes))
        return None

    async def _deliver_wechat(
        self, item: OutboxItem, alert: Alert, sub: Subscription, messages: Sequence[BotMessage]
    ) -> dict[str, Any]:
        """Customer-service message inside the window, else (or when WeChat says the window
        is closed) a template message; returns what goes into the receipt."""
        if self._in_window(sub):
            try:
                return {"parts": await self._send_wechat(sub.user_id, messages)}
            except WindowClosed:
                if self.wechat_templates is None:
                    raise
        route = self.wechat_templates
        if route is None:
            raise Undeliverable("outside WeChat 48-hour window (no message from the user)")
        body = alert.body if item.kind == "alert" else (alert.retract_note or "")
        try:
            return {
                "template": await route.send(
                    sub.user_id,
                    kind=item.kind,
                    code=alert.public_code,
                    title=alert.title,
                    body=body,
                )
            }
        except TemplatesPaused:
            raise
        except Exception as exc:
            reason = wechat_final_reason(exc)
            if reason is not None:
                raise Undeliverable(reason) from exc
            raise

    async def _defer(self, item: OutboxItem, paused: TemplatesPaused) -> str:
        log.debug("outbox row %s: %s", item.id, paused)  # 45009 itself: TemplateRoute.send
        await asyncio.to_thread(defer_until, self.database, item, paused.resumes_at, str(paused))
        return OutboxStatus.PENDING

    async def _send_wechat(self, openid: str, messages: Sequence[BotMessage]) -> list[str]:
        assert self.wechat is not None and self.wechat_renderer is not None
        parts = self.wechat_renderer(messages)
        for number, part in enumerate(parts):
            try:
                await self.wechat.send_text(openid, part)
            except Exception as exc:
                code = wechat_errcode(exc)
                reason = wechat_final_reason(exc)
                if code in WINDOW_CLOSED and not number:
                    raise WindowClosed(reason or f"WeChat {code}: customer-service limit") from exc
                if reason is not None:
                    raise Undeliverable(reason) from exc
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
