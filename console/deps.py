"""Who is signed in to the console: the session cookie's operator."""

from __future__ import annotations

from fastapi import Request

from console import sessions
from core.operators import OperatorView


def session_operator(request: Request) -> OperatorView | None:
    """The operator of the session cookie, or None (``core.operators.Authenticator``)."""
    return sessions.resolve(
        request.app.state.database,
        request.cookies.get(sessions.COOKIE_NAME),
        request.app.state.settings.session_secret,
    )
