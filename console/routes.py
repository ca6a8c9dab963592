"""Console page (``/operator``) and operator API (``/api/operator``)."""

from __future__ import annotations

import asyncio
from pathlib import Path as FilePath
from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Query, Request, Response
from fastapi.responses import FileResponse, JSONResponse
from pydantic import BaseModel, Field

from console import accounts, sessions
from console.deps import LoginLimiterDep, RetrieverDep
from console.lookup import LookupResponse, lookup
from core import audit
from core.deps import DatabaseDep, ScamDeskDep, SettingsDep
from core.operators import Admin, Lookup, client_ip

STATIC = FilePath(__file__).with_name("static")
PAGE_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}

page = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api/operator", tags=["operator"])


# --- page -------------------------------------------------------------------------------


@page.get("/operator")
def console_page() -> FileResponse:
    return FileResponse(STATIC / "console.html", media_type="text/html", headers=PAGE_HEADERS)


@page.get("/operator/insights/weekly")
def weekly_page() -> FileResponse:
    """The printable weekly summary (its data: ``GET /api/operator/insights/weekly``)."""
    return FileResponse(STATIC / "weekly.html", media_type="text/html", headers=PAGE_HEADERS)


# Served name -> file under static/ (the chart library is vendored: ``console.vendor``).
STATIC_FILES = {
    "console.js": "console.js",
    "console.css": "console.css",
    "dashboard.js": "dashboard.js",
    "dom.js": "dom.js",
    "insights.js": "insights.js",
    "insights-queue.js": "insights-queue.js",
    "insights-topics.js": "insights-topics.js",
    "insights-weekly.js": "insights-weekly.js",
    "insights.css": "insights.css",
    "insights-weekly.css": "insights-weekly.css",
    "uPlot.iife.min.js": "vendor/uPlot.iife.min.js",
    "uPlot.min.css": "vendor/uPlot.min.css",
}
StaticName = Literal[
    "console.js",
    "console.css",
    "dashboard.js",
    "dom.js",
    "insights.js",
    "insights-queue.js",
    "insights-topics.js",
    "insights-weekly.js",
    "insights.css",
    "insights-weekly.css",
    "uPlot.iife.min.js",
    "uPlot.min.css",
]


@page.get("/operator/static/{name}")
def console_static(name: StaticName) -> FileResponse:
    kind = "text/javascript" if name.endswith(".js") else "text/css"
    return FileResponse(STATIC / STATIC_FILES[name], media_type=kind, headers=PAGE_HEADERS)


# --- auth -------------------------------------------------------------------------------


class LoginRequest(BaseModel):
    username: str = Field(min_length=3, max_length=64)
    password: str = Field(min_length=1, max_length=128)


class Me(BaseModel):
    username: str
    role: Literal["operator", "alert_officer", "admin", "editor"]


def _secure(request: Request) -> bool:
    proto = request.headers.get("x-forwarded-proto", request.url.scheme)
    return proto == "https"


@api.post(
    "/login",
    response_model=Me,
    responses={401: {"description": "wrong credentials"}, 429: {"description": "too many tries"}},
)
async def login(
    body: LoginRequest,
    request: Request,
    response: Response,
    database: DatabaseDep,
    settings: SettingsDep,
    limiter: LoginLimiterDep,
) -> Me | JSONResponse:
    """Sign in; sets an HttpOnly, SameSite=Strict session cookie (Secure over HTTPS)."""
    ip = client_ip(request)
    username = body.username.strip().lower()
    wait = limiter.retry_after(username, ip)
    if wait > 0:
        audit.write(database, username, "", "login.throttled", username, {}, ip)
        return JSONResponse(
            {"detail": "too many failed logins; try later"},
            status_code=429,
            headers={"Retry-After": str(int(wait) + 1)},
        )
    op = await asyncio.to_thread(accounts.authenticate, database, username, body.password)
    if op is None:
        limiter.failed(username, ip)
        audit.write(database, username, "", "login.failed", username, {}, ip)
        return JSONResponse({"detail": "wrong username or password"}, status_code=401)
    limiter.succeeded(username)
    cookie = sessions.start(database, op.id, settings.session_secret)
    response.set_cookie(
        sessions.COOKIE_NAME,
        cookie,
        max_age=int(sessions.SESSION_TTL.total_seconds()),
        httponly=True,
        samesite="strict",
        secure=_secure(request),
        path="/",
    )
    audit.write(database, op.username, op.role, "login", op.username, {}, ip)
    return Me(username=op.username, role=op.role)  # type: ignore[arg-type]


@api.post("/logout", status_code=204)
def logout(request: Request, op: Lookup, database: DatabaseDep, settings: SettingsDep) -> Response:
    """End this session."""
    sessions.end(
        database,
        request.cookies.get(sessions.COOKIE_NAME),
        settings.session_secret,
    )
    audit.write(database, op.username, op.role, "logout", op.username, {}, client_ip(request))
    response = Response(status_code=204)
    response.delete_cookie(sessions.COOKIE_NAME, path="/")
    return response


@api.get("/me", response_model=Me)
def me(op: Lookup) -> Me:
    """Who is signed in."""
    return Me(username=op.username, role=op.role)  # type: ignore[arg-type]


# --- lookup -----------------------------------------------------------------------------


@api.get("/search", response_model=LookupResponse)
def search(
    request: Request,
    op: Lookup,
    database: DatabaseDep,
    retriever: RetrieverDep,
    q: Annotated[str, Query(min_length=1, max_length=100)],
    top_k: Annotated[int, Query(ge=1, le=20)] = 8,
) -> LookupResponse:
    """Chinese, full pinyin or pinyin initials; each hit has the script to read out, the
    clause text and id, the departments and the fact-sheet sources with dates."""
    result = lookup(retriever, q, top_k)
    audit.write(
        database,
        op.username,
        op.role,
        "search",
        "",
        {"q": audit.redacted(q), "hits": [h.id for h in result.hits[:3]]},
        client_ip(request),
    )
    return result


class CopyEvent(BaseModel):
    """The operator copied a script (recorded in the audit log)."""

    document_id: str = Field(min_length=1, max_length=80)


@api.post("/copied", status_code=204)
def copied(body: CopyEvent, request: Request, op: Lookup, database: DatabaseDep) -> Response:
    """Record that a script was copied to read to a caller."""
    audit.write(
        database,
        op.username,
        op.role,
        "copy",
        body.document_id,
        {},
        client_ip(request),
    )
    return Response(status_code=204)


class ScamCheckRequest(BaseModel):
    """What the caller describes: already paid? how contacted? what was asked for?"""

    paid: bool = False
    channel: str | None = Field(default=None, max_length=16)
    asked: list[Literal["money", "password", "code", "card"]] = Field(
        default_factory=list, max_length=4
    )


class ScamCheckResponse(BaseModel):
    level: Literal["paid", "high", "medium", "low"]
    texts: list[str]


class ScamOption(BaseModel):
    value: str
    label: str


class ScamOptions(BaseModel):
    channels: list[ScamOption]
    asked: list[ScamOption]


@api.get("/scam-check/options", response_model=ScamOptions)
def scam_check_options(op: Lookup, desk: ScamDeskDep) -> ScamOptions:
    """The choices of the bot's scam check."""
    return ScamOptions(**desk.options())  # type: ignore[arg-type]


@api.post("/scam-check", response_model=ScamCheckResponse)
def scam_check(
    body: ScamCheckRequest,
    request: Request,
    op: Lookup,
    database: DatabaseDep,
    settings: SettingsDep,
    desk: ScamDeskDep,
) -> ScamCheckResponse:
    """The bot's scam check (same logic and texts) for a caller on the line."""
    known = {o["value"] for o in desk.options()["channels"]}
    if body.channel is not None and body.channel not in known:
        raise HTTPException(status_code=422, detail="unknown channel")
    level, texts = desk.check(body.paid, body.channel, list(body.asked), settings.hotline)
    audit.write(
        database,
        op.username,
        op.role,
        "scam_check",
        "",
        {"paid": body.paid, "channel": body.channel, "asked": sorted(body.asked), "level": level},
        client_ip(request),
    )
    return ScamCheckResponse(level=level, texts=texts)  # type: ignore[arg-type]


# --- admin ------------------------------------------------------------------------------


class AuditView(BaseModel):
    id: int
    at: str | None
    actor: str
    role: str
    action: str
    target: str
    detail: dict[str, Any]
    ip: str


class AccountView(BaseModel):
    username: str
    role: str
    active: bool


@api.get("/audit", response_model=list[AuditView])
def audit_log(
    op: Admin,
    database: DatabaseDep,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    before_id: Annotated[int | None, Query(ge=1)] = None,
    actor: Annotated[str | None, Query(max_length=64)] = None,
    action: Annotated[str | None, Query(max_length=48)] = None,
    target: Annotated[str | None, Query(max_length=128)] = None,
) -> list[AuditView]:
    """The audit log, newest first (admins)."""
    rows = audit.entries(
        database,
        limit=limit,
        before_id=before_id,
        actor=actor,
        action_prefix=action,
        target=target,
    )
    return [
        AuditView(
            id=r.id,
            at=audit.iso(r.at),
            actor=r.actor,
            role=r.role,
            action=r.action,
            target=r.target,
            detail=dict(r.detail or {}),
            ip=r.ip,
        )
        for r in rows
    ]


@api.get("/accounts", response_model=list[AccountView])
def account_list(op: Admin, database: DatabaseDep) -> list[AccountView]:
    """Every console account (admins; accounts are created with ``python -m console``)."""
    return [
        AccountView(username=a.username, role=a.role, active=a.active)
        for a in accounts.list_accounts(database)
    ]


router = APIRouter()
router.include_router(page)
router.include_router(api)
