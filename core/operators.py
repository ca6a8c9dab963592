"""Signed-in operators and role checks, shared by the console and the alert desk.

Who is signed in is decided by the console (its session cookie); the composition root puts
that function at ``app.state.authenticate``. Features only see :class:`OperatorView` and the
role-checked dependencies below.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Protocol

from fastapi import Depends, HTTPException, Request

from core import audit

ROLES = ("operator", "alert_officer", "admin")


@dataclass(frozen=True)
class OperatorView:
    """What the rest of the app sees of an account (never the hash)."""

    id: int
    username: str
    role: str
    active: bool


class Authenticator(Protocol):
    """The operator of a request, or None (``console.deps.session_operator``)."""

    def __call__(self, request: Request) -> OperatorView | None: ...


def client_ip(request: Request) -> str:
    return request.client.host if request.client else ""


def current_operator(request: Request) -> OperatorView:
    """The signed-in operator; 401 without a valid session."""
    authenticate: Authenticator = request.app.state.authenticate
    op = authenticate(request)
    if op is None:
        raise HTTPException(status_code=401, detail="not signed in")
    return op


def require(*roles: str) -> Callable[..., OperatorView]:
    """A dependency that lets only these roles through (403 otherwise, and audited)."""

    def _check(
        request: Request, op: Annotated[OperatorView, Depends(current_operator)]
    ) -> OperatorView:
        if op.role not in roles:
            audit.write(
                request.app.state.database,
                op.username,
                op.role,
                "denied",
                f"{request.method} {request.url.path}",
                {"needs": list(roles)},
                client_ip(request),
            )
            raise HTTPException(status_code=403, detail="your role may not do this")
        return op

    return _check


Lookup = Annotated[OperatorView, Depends(require(*ROLES))]
Officer = Annotated[OperatorView, Depends(require("alert_officer"))]
Admin = Annotated[OperatorView, Depends(require("admin"))]
AlertViewer = Annotated[OperatorView, Depends(require("alert_officer", "admin"))]
