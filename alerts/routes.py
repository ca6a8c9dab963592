"""Alert API for officers (``/api/operator/alerts``) and the live stream (``/api/events``).

Every endpoint here except ``/api/events`` needs a signed-in operator with the right role;
every change is written to the audit log in the same transaction. The stream itself is
:mod:`alerts.stream`; its services and its place in the stream gate come from
:mod:`alerts.deps`.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request
from fastapi.sse import EventSourceResponse, ServerSentEvent
from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from alerts import lifecycle, report
from alerts.catalog import load_catalog
from alerts.deps import ReceiptWatcherDep, StreamStartDep
from alerts.models import Alert, AlertStatus, OutboxItem, OutboxStatus
from alerts.stream import live_events
from core import audit
from core.clock import as_utc
from core.database import Database
from core.deps import DatabaseDep, SettingsDep, service
from core.limits import refusals
from core.operators import AlertViewer, Officer, client_ip

log = logging.getLogger(__name__)


router = APIRouter()
api = APIRouter(prefix="/api/operator/alerts", tags=["alerts"])
live = APIRouter(prefix="/api", tags=["web chat"])

ScamType = Annotated[str, Field(min_length=1, max_length=32, pattern=r"^[a-z_]+$")]
District = Annotated[str, Field(min_length=1, max_length=16)]
AlertId = Annotated[int, Path(ge=1, le=2**31)]
# The remaining WeChat template quota of today (``alerts.report.RemainingQuota``), stored by
# the composition root as ``template_quota``; without one the quota is unknown.
TemplateQuotaDep = Annotated[
    report.RemainingQuota | None, Depends(service("template_quota", optional=True))
]


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
    status: AlertStatus
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
    status: OutboxStatus
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
        status=AlertStatus(alert.status),
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
    database: DatabaseDep,
    op: AlertViewer,
    status: Annotated[AlertStatus | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> list[AlertView]:
    """Newest alerts first, with delivery counts."""
    with database.session() as s:
        q = select(Alert).order_by(Alert.id.desc()).limit(limit)
        if status:
            q = q.where(Alert.status == status)
        return [_view(a, lifecycle.delivery_counts(s, a.id)) for a in s.scalars(q)]


@api.post("", response_model=AlertView, status_code=201)
def create_draft(
    body: DraftRequest, request: Request, op: Officer, database: DatabaseDep
) -> AlertView:
    """Draft an alert (alert officers)."""
    actor = lifecycle.Actor(op.username, op.role)
    with database.session() as s:
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


def _step(
    request: Request,
    database: Database,
    op: Officer,
    alert_id: int,
    step: str,
    note: str = "",
) -> AlertView:
    actor = lifecycle.Actor(op.username, op.role)
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
def approve(alert_id: AlertId, request: Request, op: Officer, database: DatabaseDep) -> AlertView:
    """Approve a draft; it must be a different officer from the one who drafted it."""
    return _step(request, database, op, alert_id, "approve")


@api.post("/{alert_id}/publish", response_model=AlertView)
def publish(alert_id: AlertId, request: Request, op: Officer, database: DatabaseDep) -> AlertView:
    """Publish an approved alert: one outbox row per matching subscriber."""
    return _step(request, database, op, alert_id, "publish")


@api.post("/{alert_id}/retract", response_model=AlertView)
def retract(
    alert_id: AlertId,
    body: RetractRequest,
    request: Request,
    op: Officer,
    database: DatabaseDep,
) -> AlertView:
    """Withdraw a published alert and send a correction to everyone who received it."""
    return _step(request, database, op, alert_id, "retract", body.note)


@api.get("/{alert_id}", response_model=AlertView)
def get_alert(alert_id: AlertId, database: DatabaseDep, op: AlertViewer) -> AlertView:
    """One alert with its delivery counts."""
    with database.session() as s:
        return _view(_alert(s, alert_id), lifecycle.delivery_counts(s, alert_id))


def _alert(s: Session, alert_id: int) -> Alert:
    alert = s.get(Alert, alert_id)
    if alert is None:
        raise HTTPException(status_code=404, detail="no such alert")
    return alert


def _quota(port: report.RemainingQuota | None) -> int | None:
    """Today's remaining template quota; unknown (None, logged) when the port fails."""
    try:
        return (port or report.unknown_quota)()
    except Exception:
        log.exception("the remaining WeChat template quota could not be read")
        return None


@api.get("/{alert_id}/reach", response_model=report.Reach)
def reach(
    alert_id: AlertId, database: DatabaseDep, op: AlertViewer, settings: SettingsDep,
    quota: TemplateQuotaDep,
) -> report.Reach:  # fmt: skip
    """Who the alert reaches if published now: web, WeChat inside and outside the window,
    and whether today's template quota covers the rest."""
    with database.session() as s:
        return report.reach(
            s,
            _alert(s, alert_id),
            window_h=settings.alerts.wechat_window_h,
            template_quota=_quota(quota),
        )


@api.get("/{alert_id}/report", response_model=report.DeliveryReport)
def delivery_report(
    alert_id: AlertId, database: DatabaseDep, op: AlertViewer, quota: TemplateQuotaDep
) -> report.DeliveryReport:
    """The delivery dashboard: counts, reasons, retries, 50/90/100 % times, timeline."""
    with database.session() as s:
        alert = _alert(s, alert_id)
        return report.delivery_report(s, alert, template_quota=_quota(quota))


@api.get("/{alert_id}/deliveries", response_model=list[DeliveryView])
def deliveries(
    alert_id: AlertId,
    database: DatabaseDep,
    op: AlertViewer,
    status: Annotated[OutboxStatus | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> list[DeliveryView]:
    """Delivery status per subscriber."""
    with database.session() as s:
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
                status=OutboxStatus(i.status),
                attempts=i.attempts,
                last_error=i.last_error,
                delivered_at=_iso(i.delivered_at),
                next_attempt_at=_iso(i.next_attempt_at),
            )
            for i in s.scalars(q)
        ]


@live.get(
    "/events",
    response_class=EventSourceResponse,
    responses=refusals(
        "too many streams from this address (Retry-After)", "too many streams in all (Retry-After)"
    ),
)
async def events(
    request: Request,
    start: StreamStartDep,
    database: DatabaseDep,
    watcher: ReceiptWatcherDep,
    settings: SettingsDep,
) -> AsyncIterator[ServerSentEvent]:
    """Live fraud alerts for this web user (Server-Sent Events)."""
    notifier = watcher.notifier if watcher is not None else None
    stream = live_events(
        request,
        database,
        notifier,
        start.user_id,
        start.after,
        watcher,
        poll_s=settings.alerts.poll_s,
    )
    async with contextlib.aclosing(stream):
        async for event in stream:
            yield event


router.include_router(api)
router.include_router(live)
