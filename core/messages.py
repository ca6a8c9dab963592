"""The channel-neutral shape of a bot message (part of the ``/api/chat`` contract)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field, model_validator


class Button(BaseModel):
    """A choice the user can tap; ``payload`` is sent back as the next user message."""

    title: str
    payload: str


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

    @classmethod
    def from_rasa(cls, raw: dict[str, Any]) -> BotMessage:
        """Convert one message of Rasa's REST channel output.

        Citations travel in the custom payload as ``{"citations": [...]}``; any other custom
        keys are kept in ``custom``.
        """
        custom = dict(raw.get("custom") or {})
        citations = [Citation(**c) for c in custom.pop("citations", [])]
        entry_id = custom.pop("entry_id", None)
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
        )


def attach_citations(messages: list[BotMessage]) -> list[BotMessage]:
    """Fold citation-only bubbles into the bubble before them.

    Rasa's REST channel sends an action's custom payload as a message of its own, so an
    answer and its citations arrive as two messages; users should see "依据" under the answer.
    """
    out: list[BotMessage] = []
    for message in messages:
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
                }
            )
        else:
            out.append(message)
    return out
