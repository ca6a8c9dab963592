"""Typed FastAPI dependencies on the core services the composition root built (``app.bootstrap``).

Routes name what they need (``database: DatabaseDep``); only the ``deps`` modules read
``app.state``. The app's lifespan puts each field of ``app.bootstrap.Services`` on ``app.state``
under the field's name (``app/main.py``), so a feature's deps read their own services without
importing the composition root. A service that is not there fails the request with a
:class:`MissingService` naming it, not with an ``AttributeError`` deep in a route.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import Depends, Request

from core.conversation import Conversation
from core.database import Database
from core.limits import ChatLimiter
from core.ports import AnswerFeedback, Authenticator, ScamDesk
from core.rasa_client import RasaClient
from core.settings import Settings


class MissingService(RuntimeError):
    """A route needs a service the app was started without."""

    def __init__(self, name: str) -> None:
        super().__init__(
            f"the app has no service {name!r}: it is built by app.bootstrap.app_services, "
            "which the app's lifespan enters (an app started without it must set it itself)"
        )
        self.name = name


def app_service(request: Request, name: str) -> Any:
    """The service the composition root stored as ``name``; :class:`MissingService` if none."""
    try:
        return getattr(request.app.state, name)
    except AttributeError:
        raise MissingService(name) from None


def optional_service(request: Request, name: str) -> Any | None:
    """The service stored as ``name``, or None, for the few routes that work without it."""
    return getattr(request.app.state, name, None)


def service(name: str, *, optional: bool = False) -> Callable[[Request], Any]:
    """A dependency that returns the service the composition root stored as ``name``
    (:func:`app_service`; with ``optional``, :func:`optional_service`)."""
    lookup = optional_service if optional else app_service

    def dependency(request: Request) -> Any:
        return lookup(request, name)

    dependency.__name__ = f"get_{name}"
    return dependency


# The app database, and the settings the app was built with.
get_database = service("database")
get_app_settings = service("settings")


DatabaseDep = Annotated[Database, Depends(get_database)]
SettingsDep = Annotated[Settings, Depends(get_app_settings)]
# The conversation core (Rasa behind redaction), shared by the channels.
ConversationDep = Annotated[Conversation, Depends(service("conversation"))]
# The client of the Rasa server.
RasaDep = Annotated[RasaClient, Depends(service("rasa"))]
# The per-sender and per-address message limits, shared by web chat and WeChat.
ChatLimiterDep = Annotated[ChatLimiter, Depends(service("chat_limiter"))]
# Who is signed in (the console's sessions), for ``core.operators``.
AuthenticatorDep = Annotated[Authenticator, Depends(service("authenticate"))]
# The bot's scam check, for the console.
ScamDeskDep = Annotated[ScamDesk, Depends(service("scam_desk"))]
# 有用/没用 noted in the question log (insights), when the app has one.
AnswerFeedbackDep = Annotated[
    AnswerFeedback | None, Depends(service("answer_feedback", optional=True))
]
