"""FastAPI dependencies of the console, and who is signed in (the session cookie's operator).

The services come from the composition root (``app.bootstrap.Services``) through
``core.deps.app_service``; routes name them (``limiter: LoginLimiterDep``).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from console import sessions
from console.lookup import RetrieverLike
from console.ratelimit import LoginLimiter
from core.deps import get_app_settings, get_database, service
from core.operators import OperatorView


def session_operator(request: Request) -> OperatorView | None:
    """The operator of the session cookie, or None (``core.ports.Authenticator``)."""
    return sessions.resolve(
        get_database(request),
        request.cookies.get(sessions.COOKIE_NAME),
        get_app_settings(request).session_secret,
    )


# The failed-login limits (per username and per client address).
LoginLimiterDep = Annotated[LoginLimiter, Depends(service("login_limiter"))]
# The knowledge index the console searches.
RetrieverDep = Annotated[RetrieverLike, Depends(service("retriever"))]
