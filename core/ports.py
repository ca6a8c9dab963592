"""Small interfaces through which one feature uses another; the composition root passes in
the implementation (features never import each other)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from fastapi import Request


@dataclass(frozen=True)
class OperatorView:
    """What the rest of the app sees of a console account (never the hash)."""

    id: int
    username: str
    role: str
    active: bool


class Authenticator(Protocol):
    """The operator of a request, or None (``console.deps.session_operator``)."""

    def __call__(self, request: Request) -> OperatorView | None: ...


class ScamDesk(Protocol):
    """The bot's scam check, for the console (the module ``actions.scam_desk``)."""

    def options(self) -> dict[str, list[dict[str, str]]]:
        """Channel and "what was asked" choices, as the bot offers them."""
        ...

    def check(
        self, paid: bool, channel: str | None, asked: list[str], hotline: str
    ) -> tuple[str, list[str]]:
        """Risk level (``paid``, ``high``, ``medium``, ``low``) and the advice texts."""
        ...


@dataclass(frozen=True)
class AlertNotice:
    """What a conversation may show of one fraud alert."""

    public_code: str
    title: str
    body: str
    status: str  # draft, approved, published, retracted
    retract_note: str
    live: bool  # published and not expired
    scam_label: str
    scam_meaning: str


class AlertDesk(Protocol):
    """Alert subscriptions and lookups, for the dialogue (``alerts.desk.AlertDesk``)."""

    def districts(self) -> frozenset[str]:
        """The districts a subscription may name."""
        ...

    def steps(self) -> tuple[str, ...]:
        """What to do about any scam, in order."""
        ...

    def subscribe(self, sender_id: str, district: str | None) -> bool:
        """Subscribe this conversation's user; whether anything changed."""
        ...

    def unsubscribe(self, sender_id: str) -> bool:
        """End the subscription; whether one was active."""
        ...

    def normalize_code(self, text: str) -> str | None:
        """The public code found in ``text``, or None."""
        ...

    def find(self, code: str) -> AlertNotice | None:
        """The alert with this public code (any status), or None."""
        ...


@dataclass(frozen=True)
class SentAlert:
    """A published fraud alert and whom it reached (``alerts.sent``): ``reach`` maps channel
    to outbox status (``delivered``, ``undeliverable``, ``pending`` ...) to subscribers."""

    public_code: str
    title: str
    published_at: datetime | None
    status: str  # published or retracted
    reach: dict[str, dict[str, int]]


class AlertsSent(Protocol):
    """The alerts published in ``[since, until)``, oldest first (``alerts.sent.sent_between``
    bound to the app database), for the insights' weekly summary."""

    def __call__(self, since: datetime, until: datetime) -> list[SentAlert]: ...


class AnswerFeedback(Protocol):
    """Notes 有用/没用 in the question log (``insights.recorder``), for the web channel."""

    def __call__(self, sender_id: str, entry_id: str | None, useful: bool) -> bool:
        """Set the feedback of the conversation's newest row for that entry; whether one was
        found. Must not raise."""
