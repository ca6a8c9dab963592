"""FastAPI dependencies: the signed-in operator, and role checks."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, HTTPException, Request

from console import audit, sessions
from console.accounts import OperatorView


def client_ip(request: Request) -> str:
    return request.client.host if request.client else ""


def current_operator(request: Request) -> OperatorView:
    """The operator of the session cookie; 401 without a valid session."""
    op = sessions.resolve(
        request.app.state.database,
        request.cookies.get(sessions.COOKIE_NAME),
        request.app.state.settings.session_secret,
    )
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


ANY_ROLE = ("operator", "alert_officer", "admin")
Lookup = Annotated[OperatorView, Depends(require(*ANY_ROLE))]
Officer = Annotated[OperatorView, Depends(require("alert_officer"))]
Admin = Annotated[OperatorView, Depends(require("admin"))]
AlertViewer = Annotated[OperatorView, Depends(require("alert_officer", "admin"))]
