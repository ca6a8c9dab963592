"""The channel-neutral shape of a bot message (part of the ``/api/chat`` contract)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field, model_validator


class Button(BaseModel):
    """A choice the user can tap; ``payload`` is sent back as the next user message."""

    title: str
    payload: str


MARKER_KEY = "outcome"  # custom payload key of the actions' outcome marker

Scope = Literal["yangquan", "shanxi", "national", "elsewhere"]


class Citation(BaseModel):
    """The policy clause (or source) an answer rests on, and how far its fact reaches.

    ``scope`` (**contract**): ``yangquan`` for a clause of the plan; a source's own scope
    (``shanxi``, ``national``, or ``elsewhere`` for another place's practice). ``title`` is
    what residents see (a source's plain title: issuer, short name, year).
    """

    clause_id: str
    title: str
    kind: Literal["clause", "source"] = "clause"  # plan clause, or source
    scope: Scope | None = None

    @model_validator(mode="after")
    def _default_scope(self) -> Citation:
        # Older payloads (a replayed answer) have no scope: a clause is the plan's.
        if self.scope is None:
            self.scope = "yangquan" if self.kind == "clause" else "national"
        return self


class BotMessage(BaseModel):
    """One bubble from the bot."""

    text: str | None = None
    buttons: list[Button] = Field(default_factory=list)
    citations: list[Citation] = Field(default_factory=list)
    entry_id: str | None = None  # the knowledge entry this bubble answers with, if any
    custom: dict[str, Any] | None = None
    # What the turn did, as the actions marked it (custom payload key ``outcome``: kind,
    # entry_id, confidence, topic); read by ``insights.outcomes``, never sent to users.
    markers: list[dict[str, Any]] = Field(default_factory=list, exclude=True)

    @classmethod
    def from_rasa(cls, raw: dict[str, Any]) -> BotMessage:
        """Convert one message of Rasa's REST channel output.

        Citations travel in the custom payload as ``{"citations": [...]}``, the turn's
        outcome marker as ``{"outcome": {...}}`` (:attr:`markers`); any other custom keys are
        kept in ``custom``.
        """
        custom = dict(raw.get("custom") or {})
        citations = [Citation(**c) for c in custom.pop("citations", [])]
        entry_id = custom.pop("entry_id", None)
        marker = custom.pop(MARKER_KEY, None)
        buttons = [
            Button(title=str(b.get("title", "")), payload=str(b.get("payload", "")))
            for b in raw.get("buttons") or []
        ]
        text = raw.get("text")
        if text is None and "text" in custom:
            text = custom.pop("text")
        return cls(
            text=text,
            buttons=buttons,
            citations=citations,
            entry_id=str(entry_id) if entry_id else None,
            custom=custom or None,
            markers=[dict(marker)] if isinstance(marker, dict) else [],
        )

    def is_marker_only(self) -> bool:
        """Whether this message carries nothing but outcome markers (nothing to show)."""
        return bool(self.markers) and not (
            self.text or self.buttons or self.citations or self.entry_id or self.custom
        )


def attach_citations(messages: list[BotMessage]) -> list[BotMessage]:
    """Fold citation-only bubbles into the bubble before them, and outcome markers into a
    bubble of the turn (the one before them, else the next one).

    Rasa's REST channel sends an action's custom payload as a message of its own, so an
    answer and its citations arrive as two messages; users should see "依据" under the answer.
    A marker with no bubble in its turn to ride on is dropped.
    """
    out: list[BotMessage] = []
    waiting: list[dict[str, Any]] = []  # markers seen before any bubble
    for message in messages:
        if message.is_marker_only():
            if out:
                out[-1] = _with_markers(out[-1], message.markers)
            else:
                waiting += message.markers
            continue
        if waiting:
            message, waiting = _with_markers(message, waiting, first=True), []
        citation_only = (
            (message.citations or message.entry_id)
            and message.text is None
            and not message.buttons
            and not message.custom
        )
        if citation_only and out:
            previous = out[-1]
            known = {(c.clause_id, c.title) for c in previous.citations}
            extra = [c for c in message.citations if (c.clause_id, c.title) not in known]
            out[-1] = previous.model_copy(
                update={
                    "citations": previous.citations + extra,
                    "entry_id": previous.entry_id or message.entry_id,
                    "markers": previous.markers + message.markers,
                }
            )
        else:
            out.append(message)
    return out


def _with_markers(
    message: BotMessage, markers: list[dict[str, Any]], *, first: bool = False
) -> BotMessage:
    joined = [*markers, *message.markers] if first else [*message.markers, *markers]
    return message.model_copy(update={"markers": joined})
