"""The outcome marker the actions add to a turn (read by ``insights.outcomes``).

A marker is a key of the custom payload of the turn's last bubble (a payload of its own when
the action said nothing), ``{"outcome": {"kind": ..., "entry_id": ...,
"confidence": ..., "topic": ...}}`` (key :data:`core.messages.MARKER_KEY`). The app lifts it
out of the bubbles (``core.messages.BotMessage.markers``), so residents never see it, and
the question log records it. It lives in the action's payload, not in ``domain.yml``, so
changing it does not retrain Rasa.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rasa_sdk.executor import CollectingDispatcher

from core.messages import MARKER_KEY

if TYPE_CHECKING:
    from actions.knowledge_answer import Reply


def mark(
    dispatcher: CollectingDispatcher,
    kind: str,
    *,
    entry_id: str | None = None,
    confidence: float | None = None,
    topic: str | None = None,
) -> None:
    """Add the turn's outcome marker (kind: answered, referred, fallback, scam_warning,
    guide, other)."""
    body: dict[str, Any] = {"kind": kind}
    if entry_id:
        body["entry_id"] = entry_id
    if confidence is not None:
        body["confidence"] = round(float(confidence), 4)
    if topic:
        body["topic"] = topic
    if dispatcher.messages:
        # On the turn's last bubble, so the bubbles the user reads stay as they are.
        last = dispatcher.messages[-1]
        last["custom"] = {**(last.get("custom") or {}), MARKER_KEY: body}
    else:
        dispatcher.utter_message(json_message={MARKER_KEY: body})


def is_marked(dispatcher: CollectingDispatcher) -> bool:
    """Whether something already marked this turn's outcome in ``dispatcher``."""
    return any(MARKER_KEY in (m.get("custom") or {}) for m in dispatcher.messages)


def mark_reply(dispatcher: CollectingDispatcher, reply: Reply) -> None:
    """The marker of a knowledge answer (``KnowledgeAnswer.respond``)."""
    entry = reply.entry
    if reply.warned_scam:
        kind = "scam_warning"
    elif entry is not None:
        kind = "answered"
    elif reply.referred:
        kind = "referred"
    else:
        kind = "other"
    mark(
        dispatcher,
        kind,
        entry_id=entry.id if entry is not None else None,
        confidence=reply.confidence if kind != "other" else None,
        topic=(entry.topic if entry is not None else reply.topic) or None,
    )
