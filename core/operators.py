"""Signed-in operators and role checks, shared by the console and the alert desk.

Who is signed in is decided by the console (its session cookie); the composition root hands
that function to the routes as the ``Authenticator`` (``core.deps.AuthenticatorDep``).
Features only see :class:`OperatorView` and the role-checked dependencies below.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, HTTPException, Request

from core import audit
from core.deps import AuthenticatorDep, DatabaseDep
from core.ports import Authenticator, OperatorView

__all__ = [
    "ROLES",
    "Admin",
    "AlertViewer",
    "InsightReader",
    "Authenticator",
    "Lookup",
    "Officer",
    "OperatorView",
    "client_ip",
    "current_operator",
    "require",
]

# ``editor``: writes answers; reads the insights (issue 16), marks nothing, no alerts.
ROLES = ("operator", "alert_officer", "admin", "editor")


def client_ip(request: Request) -> str:
    return request.client.host if request.client else ""


def current_operator(request: Request, authenticate: AuthenticatorDep) -> OperatorView:
    """The signed-in operator; 401 without a valid session."""
    op = authenticate(request)
    if op is None:
        raise HTTPException(status_code=401, detail="not signed in")
    return op


def require(*roles: str) -> Callable[..., OperatorView]:
    """A dependency that lets only these roles through (403 otherwise, and audited)."""

    def _check(
        request: Request,
        op: Annotated[OperatorView, Depends(current_operator)],
        database: DatabaseDep,
    ) -> OperatorView:
        if op.role not in roles:
            audit.write(
                database,
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
InsightReader = Annotated[OperatorView, Depends(require("admin", "editor"))]
