"""``GET /metrics``: this process's figures in Prometheus's text format.

Open to a client on the same machine (loopback, reached directly, not through a proxy);
anyone else needs ``Authorization: Bearer <YINFA_METRICS_TOKEN>``: without that token or
with a wrong one the answer is 401, and while no token is set it is 403 (metrics are then
for this machine only). The client address is the one ``app.middleware`` resolved; a
request that carries a proxy's forwarding header counts as remote even from 127.0.0.1,
because a reverse proxy on the same host forwards public requests from there.

The route is a plain ``def``: FastAPI runs it in its thread pool, so the outbox count
never holds up the event loop.
"""

from __future__ import annotations

import logging
from ipaddress import ip_address
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST

from alerts.stream import StreamGate
from app.bearer import bearer_matches
from app.metrics import exposition
from core.database import Database
from core.deps import SettingsDep, service
from core.settings import Settings

log = logging.getLogger(__name__)

router = APIRouter(tags=["health"])

# Both are optional: an app assembled without them (tests) still serves its own metrics.
OptionalDatabaseDep = Annotated[Database | None, Depends(service("database", optional=True))]
OptionalStreamGateDep = Annotated[StreamGate | None, Depends(service("stream_gate", optional=True))]

FORWARDING_HEADERS = ("x-forwarded-for", "forwarded", "x-real-ip")


def is_local(request: Request) -> bool:
    """Whether the client is this machine and no proxy forwarded the request."""
    if any(request.headers.get(name) for name in FORWARDING_HEADERS):
        return False
    host = request.client.host if request.client else ""
    try:
        return ip_address(host).is_loopback
    except ValueError:
        return False


def refusal(request: Request, settings: Settings) -> JSONResponse | None:
    """The answer for a client that may not read the metrics, or None if it may."""
    if is_local(request):
        return None
    if not settings.metrics_token:
        return JSONResponse(
            {"detail": "metrics are served to this machine only; set YINFA_METRICS_TOKEN"},
            status_code=403,
        )
    if bearer_matches(request, [settings.metrics_token]):
        return None
    peer = request.client.host if request.client else "?"
    log.warning("metrics: refused a request without the metrics token from %s", peer)
    return JSONResponse(
        {"detail": "metrics need Authorization: Bearer <YINFA_METRICS_TOKEN>"},
        status_code=401,
        headers={"WWW-Authenticate": 'Bearer realm="metrics"'},
    )


@router.get("/metrics", include_in_schema=False)
def metrics(
    request: Request,
    settings: SettingsDep,
    database: OptionalDatabaseDep,
    gate: OptionalStreamGateDep,
) -> Response:
    """Prometheus's text format (version 0.0.4)."""
    refused = refusal(request, settings)
    if refused is not None:
        return refused
    return Response(exposition(database, gate), media_type=CONTENT_TYPE_LATEST)
