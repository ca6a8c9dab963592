"""The channel-neutral shape of a bot message (part of the ``/api/chat`` contract)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field


class Button(BaseModel):
    """A choice the user can tap; ``payload`` is sent back as the next user message."""

    title: str
    payload: str


class Citation(BaseModel):
    """The policy clause (or fact-sheet source) an answer rests on."""

    clause_id: str
    title: str


class BotMessage(BaseModel):
    """One bubble from the bot."""

    text: str | None = None
    buttons: list[Button] = Field(default_factory=list)
    citations: list[Citation] = Field(default_factory=list)
    custom: dict[str, Any] | None = None

    @classmethod
    def from_rasa(cls, raw: dict[str, Any]) -> BotMessage:
        """Convert one message of Rasa's REST channel output.

        Citations travel in the custom payload as ``{"citations": [...]}``; any other custom
        keys are kept in ``custom``.
        """
        custom = dict(raw.get("custom") or {})
        citations = [Citation(**c) for c in custom.pop("citations", [])]
        buttons = [
            Button(title=str(b.get("title", "")), payload=str(b.get("payload", "")))
            for b in raw.get("buttons") or []
        ]
        text = raw.get("text")
        if text is None and "text" in custom:
            text = custom.pop("text")
        return cls(text=text, buttons=buttons, citations=citations, custom=custom or None)
