"""Alert API for officers (``/api/operator/alerts``), the live stream, and the inline worker.

Every endpoint here except ``/api/events`` needs a signed-in operator with the right role;
every change is written to the audit log in the same transaction.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, FastAPI, HTTPException, Path, Query, Request
from pydantic import BaseModel, Field
from sqlalchemy import select

from alerts import lifecycle, subscriptions
from alerts.catalog import load_catalog
from alerts.config import get_alert_settings
from alerts.models import Alert, OutboxItem, as_utc
from alerts.notify import Notifier
from alerts.stream import router as stream_router
from app.db import Database
from console import audit
from console.deps import AlertViewer, Officer, client_ip

log = logging.getLogger(__name__)


def _warm_retriever(app: FastAPI) -> None:
    """One search in the background at startup, so an operator's first search (and a
    caller's first question) does not pay for loading the tokenizer and the model."""
    retriever = getattr(app.state, "retriever", None)
    if retriever is None:
        return
    try:
        retriever.search("老年助餐 zc", top_k=1)
    except Exception:  # warm-up only; the real search reports its own errors
        log.warning("retriever warm-up failed", exc_info=True)


@asynccontextmanager
async def worker_lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Runs the delivery worker inside the app unless ``YINFA_ALERTS_WORKER=off``."""
    from alerts.worker import DeliveryWorker, default_wechat_renderer

    settings = get_alert_settings()
    app.state.alert_notifier = Notifier()
    warm_up = asyncio.create_task(asyncio.to_thread(_warm_retriever, app))
    if getattr(app.state, "wechat_subscription_hook", None) is None:
        app.state.wechat_subscription_hook = wechat_follow_hook(app.state.database)
    wechat_channel = getattr(app.state, "wechat_channel", None)
    if wechat_channel is not None and wechat_channel.on_inbound is None:
        wechat_channel.on_inbound = wechat_inbound_hook(app.state.database)
    stop = asyncio.Event()
    task: asyncio.Task[None] | None = None
    own_wechat = None
    if settings.worker == "inline":
        app_settings = app.state.settings
        wechat = None
        channel = getattr(app.state, "wechat_channel", None)
        if channel is not None:
            wechat = getattr(channel, "customer_service", None)
        if wechat is None and app_settings.wechat_app_secret != "change-me":
            from channels.wechat.customer_service import CustomerServiceClient

            own_wechat = wechat = CustomerServiceClient(
                app_settings.wechat_api_base,
                app_settings.wechat_app_id,
                app_settings.wechat_app_secret,
            )
        worker = DeliveryWorker(
            app.state.database,
            app.state.conversation,
            settings,
            wechat=wechat,
            wechat_renderer=default_wechat_renderer(app_settings.hotline),
            notifier=app.state.alert_notifier,
            name="inline",
        )
        app.state.alert_worker = worker
        task = asyncio.create_task(worker.run_forever(stop))
    try:
        yield
    finally:
        warm_up.cancel()
        stop.set()
        if task is not None:
            try:
                await asyncio.wait_for(task, timeout=10)
            except asyncio.TimeoutError:
                task.cancel()
        if own_wechat is not None:
            await own_wechat.aclose()


def wechat_follow_hook(database: Database) -> Callable[[str, bool], Awaitable[None]]:
    """Hook for WeChat ``subscribe``/``unsubscribe`` events.

    Following the account opens the 48-hour window (the welcome message offers the alert
    subscription); unfollowing ends any alert subscription, since nothing can reach them.
    """

    async def hook(sender_id: str, subscribed: bool) -> None:
        channel, user_id = subscriptions.split_sender(sender_id)
        if subscribed:
            await asyncio.to_thread(subscriptions.touch, database, channel, user_id)
        else:
            await asyncio.to_thread(subscriptions.unsubscribe, database, channel, user_id)

    return hook


def wechat_inbound_hook(database: Database) -> Callable[[str], Awaitable[None]]:
    """Hook for every WeChat message: restarts the subscriber's 48-hour window."""

    async def hook(sender_id: str) -> None:
        channel, user_id = subscriptions.split_sender(sender_id)
        await asyncio.to_thread(subscriptions.touch, database, channel, user_id)

    return hook


router = APIRouter(lifespan=worker_lifespan)
api = APIRouter(prefix="/api/operator/alerts", tags=["alerts"])

ScamType = Annotated[str, Field(min_length=1, max_length=32, pattern=r"^[a-z_]+$")]
District = Annotated[str, Field(min_length=1, max_length=16)]
AlertId = Annotated[int, Path(ge=1, le=2**31)]


class DraftRequest(BaseModel):
    """A new alert. ``districts`` empty means every district."""

    title: str = Field(min_length=1, max_length=lifecycle.MAX_TITLE_CHARS)
    body: str = Field(min_length=1, max_length=lifecycle.MAX_BODY_CHARS)
    scam_type: ScamType
    districts: list[District] = Field(default_factory=list, max_length=10)
    expires_at: datetime


class RetractRequest(BaseModel):
    """Why the alert is withdrawn; sent to everyone who received it."""

    note: str = Field(default="", max_length=lifecycle.MAX_BODY_CHARS)


class AlertView(BaseModel):
    id: int
    public_code: str
    title: str
    body: str
    scam_type: str
    districts: list[str]
    status: Literal["draft", "approved", "published", "retracted"]
    expires_at: str | None
    created_by: str
    created_at: str | None
    approved_by: str | None
    approved_at: str | None
    published_by: str | None
    published_at: str | None
    retracted_by: str | None
    retracted_at: str | None
    retract_note: str | None
    deliveries: dict[str, dict[str, int]] = Field(default_factory=dict)


class DeliveryView(BaseModel):
    subscriber: str
    kind: str
    status: str
    attempts: int
    last_error: str | None
    delivered_at: str | None
    next_attempt_at: str | None


class MetaView(BaseModel):
    scam_types: dict[str, str]
    districts: list[str]
    max_body_chars: int


def _iso(value: datetime | None) -> str | None:
    value = as_utc(value)
    return value.isoformat() if value else None


def _view(alert: Alert, counts: dict[str, dict[str, int]] | None = None) -> AlertView:
    return AlertView(
        id=alert.id,
        public_code=alert.public_code,
        title=alert.title,
        body=alert.body,
        scam_type=alert.scam_type,
        districts=list(alert.districts or []),
        status=alert.status,  # type: ignore[arg-type]
        expires_at=_iso(alert.expires_at),
        created_by=alert.created_by,
        created_at=_iso(alert.created_at),
        approved_by=alert.approved_by,
        approved_at=_iso(alert.approved_at),
        published_by=alert.published_by,
        published_at=_iso(alert.published_at),
        retracted_by=alert.retracted_by,
        retracted_at=_iso(alert.retracted_at),
        retract_note=alert.retract_note,
        deliveries=counts or {},
    )


_HTTP = {
    "not_found": 404,
    "forbidden": 403,
    "same_officer": 409,
    "bad_state": 409,
    "expired": 409,
    "invalid": 422,
}


def _refuse(exc: lifecycle.LifecycleError) -> HTTPException:
    return HTTPException(status_code=_HTTP.get(exc.code, 400), detail=f"{exc.code}: {exc}")


@api.get("/meta", response_model=MetaView)
def meta(op: AlertViewer) -> MetaView:
    """Scam types and districts an alert can have."""
    catalog = load_catalog()
    return MetaView(
        scam_types={k: t.label for k, t in catalog.types.items()},
        districts=list(catalog.districts),
        max_body_chars=lifecycle.MAX_BODY_CHARS,
    )


@api.get("", response_model=list[AlertView])
def list_alerts(
    request: Request,
    op: AlertViewer,
    status: Annotated[
        Literal["draft", "approved", "published", "retracted"] | None, Query()
    ] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> list[AlertView]:
    """Newest alerts first, with delivery counts."""
    with request.app.state.database.session() as s:
        q = select(Alert).order_by(Alert.id.desc()).limit(limit)
        if status:
            q = q.where(Alert.status == status)
        return [_view(a, lifecycle.delivery_counts(s, a.id)) for a in s.scalars(q)]


@api.post("", response_model=AlertView, status_code=201)
def create_draft(body: DraftRequest, request: Request, op: Officer) -> AlertView:
    """Draft an alert (alert officers)."""
    actor = lifecycle.Actor(op.username, op.role)
    with request.app.state.database.session() as s:
        try:
            alert = lifecycle.draft(
                s,
                actor,
                title=body.title,
                body=body.body,
                scam_type=body.scam_type,
                districts=body.districts,
                expires_at=body.expires_at,
            )
        except lifecycle.LifecycleError as exc:
            raise _refuse(exc) from exc
        audit.record(
            s,
            op.username,
            op.role,
            "alert.draft",
            alert.public_code,
            {
                "alert_id": alert.id,
                "title": alert.title,
                "scam_type": alert.scam_type,
                "districts": alert.districts,
                "expires_at": _iso(alert.expires_at),
            },
            client_ip(request),
        )
        return _view(alert)


def _step(request: Request, op: Officer, alert_id: int, step: str, note: str = "") -> AlertView:
    actor = lifecycle.Actor(op.username, op.role)
    database = request.app.state.database
    try:
        with database.session() as s:
            detail: dict[str, object] = {"alert_id": alert_id}
            if step == "approve":
                alert = lifecycle.approve(s, actor, alert_id)
            elif step == "publish":
                alert, queued = lifecycle.publish(s, actor, alert_id)
                detail["queued"] = queued
            else:
                alert, queued = lifecycle.retract(s, actor, alert_id, note)
                detail.update(corrections=queued, note=note)
            audit.record(
                s,
                op.username,
                op.role,
                f"alert.{step}",
                alert.public_code,
                detail,
                client_ip(request),
            )
            s.flush()
            return _view(alert, lifecycle.delivery_counts(s, alert.id))
    except lifecycle.LifecycleError as exc:
        with database.session() as s:
            found = s.get(Alert, alert_id)
            target = found.public_code if found else str(alert_id)
            audit.record(
                s,
                op.username,
                op.role,
                f"alert.{step}.refused",
                target,
                {"alert_id": alert_id, "reason": exc.code},
                client_ip(request),
            )
        raise _refuse(exc) from exc


@api.post("/{alert_id}/approve", response_model=AlertView)
def approve(alert_id: AlertId, request: Request, op: Officer) -> AlertView:
    """Approve a draft; it must be a different officer from the one who drafted it."""
    return _step(request, op, alert_id, "approve")


@api.post("/{alert_id}/publish", response_model=AlertView)
def publish(alert_id: AlertId, request: Request, op: Officer) -> AlertView:
    """Publish an approved alert: one outbox row per matching subscriber."""
    return _step(request, op, alert_id, "publish")


@api.post("/{alert_id}/retract", response_model=AlertView)
def retract(alert_id: AlertId, body: RetractRequest, request: Request, op: Officer) -> AlertView:
    """Withdraw a published alert and send a correction to everyone who received it."""
    return _step(request, op, alert_id, "retract", body.note)


@api.get("/{alert_id}", response_model=AlertView)
def get_alert(alert_id: AlertId, request: Request, op: AlertViewer) -> AlertView:
    """One alert with its delivery counts."""
    with request.app.state.database.session() as s:
        alert = s.get(Alert, alert_id)
        if alert is None:
            raise HTTPException(status_code=404, detail="no such alert")
        return _view(alert, lifecycle.delivery_counts(s, alert.id))


@api.get("/{alert_id}/deliveries", response_model=list[DeliveryView])
def deliveries(
    alert_id: AlertId,
    request: Request,
    op: AlertViewer,
    status: Annotated[
        Literal["pending", "in_progress", "delivered", "failed", "undeliverable", "cancelled"]
        | None,
        Query(),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> list[DeliveryView]:
    """Delivery status per subscriber."""
    with request.app.state.database.session() as s:
        q = (
            select(OutboxItem)
            .where(OutboxItem.alert_id == alert_id)
            .order_by(OutboxItem.id)
            .limit(limit)
            .offset(offset)
        )
        if status:
            q = q.where(OutboxItem.status == status)
        return [
            DeliveryView(
                subscriber=f"{i.channel}:{i.user_id}",
                kind=i.kind,
                status=i.status,
                attempts=i.attempts,
                last_error=i.last_error,
                delivered_at=_iso(i.delivered_at),
                next_attempt_at=_iso(i.next_attempt_at),
            )
            for i in s.scalars(q)
        ]


router.include_router(api)
router.include_router(stream_router)
