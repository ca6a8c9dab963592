"""What the bot did in one turn: answered, referred, fell back, warned of a scam, guided.

Two kinds of evidence, both explicit, none guessed from Chinese wording:

* **Markers.** The Python actions put a small marker into their custom payload,
  ``{"outcome": {"kind": "referred", "confidence": 0.41, "topic": "meal"}}``
  (``actions/outcome.py``); :class:`core.messages.BotMessage` lifts it into ``markers``.
* **The domain's own responses.** Bubbles that Rasa utters from ``domain.yml`` without a
  Python action (the fallback ``utter_default``, the rule's ``utter_scam_warning``, a guide's
  start and its form questions ``utter_ask_<slot>``) are recognised by their configured
  texts, read from ``domain.yml`` when first needed (:func:`warm` at start-up), so a new
  wording in the domain is followed without a code change.

When a turn has several signals, the first kind of :data:`PRECEDENCE` wins: a scam warning
followed by an answer is a scam warning (with the answer's entry). Entry ids on bubbles
count as an answer only when no action marked the turn (a guide's result cites entries
but is a guide).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from core.messages import BotMessage

OutcomeKind = Literal["answered", "referred", "fallback", "scam_warning", "guide", "other"]
KINDS: tuple[OutcomeKind, ...] = (
    "answered",
    "referred",
    "fallback",
    "scam_warning",
    "guide",
    "other",
)
# The kinds the summary counts (``other`` is greetings, thanks, subscriptions ...).
COUNTED: tuple[OutcomeKind, ...] = KINDS[:5]
PRECEDENCE: tuple[OutcomeKind, ...] = (
    "scam_warning",
    "answered",
    "referred",
    "guide",
    "fallback",
    "other",
)
DOMAIN_FILE = Path(__file__).resolve().parent.parent / "domain.yml"
# Responses Rasa utters by itself (rules, the core fallback), by name.
FALLBACK_RESPONSES = ("utter_default",)
SCAM_WARNING_RESPONSES = ("utter_scam_warning",)
_GUIDE_START = re.compile(r"^utter_([a-z]+)_guide_start$")
_PLACEHOLDER = re.compile(r"\{[A-Za-z_][A-Za-z0-9_]*\}")


@dataclass(frozen=True)
class TurnOutcome:
    """What one resident turn ended in.

    Attributes:
        kind: answered, referred, fallback, scam_warning, guide or other.
        entry_id: the knowledge entry answered with (or the nearest one of a referral).
        confidence: retrieval confidence of the answer or referral, when retrieval decided.
        topic: the knowledge topic (meal, adaptation, scam ...), when known.
    """

    kind: OutcomeKind
    entry_id: str | None = None
    confidence: float | None = None
    topic: str | None = None


@dataclass(frozen=True)
class ResponseSignals:
    """The domain's own response texts that say what a turn did, as (pattern, kind, topic)."""

    patterns: tuple[tuple[re.Pattern[str], OutcomeKind, str | None], ...] = ()

    def match(self, text: str | None) -> TurnOutcome | None:
        """The outcome a bubble's text shows, or None."""
        if not text:
            return None
        text = text.strip()
        for pattern, kind, topic in self.patterns:
            if pattern.fullmatch(text):
                return TurnOutcome(kind, topic=topic)
        return None


def _template(text: str) -> re.Pattern[str]:
    """A response text as a pattern: ``{placeholders}`` match any filled-in value."""
    parts = _PLACEHOLDER.split(text.strip())
    return re.compile(".+?".join(re.escape(p) for p in parts), re.DOTALL)


def _variants(responses: Mapping[str, Any], name: str) -> Iterable[str]:
    for variant in responses.get(name) or []:
        if isinstance(variant, Mapping) and variant.get("text"):
            yield str(variant["text"])


def response_signals(domain: Mapping[str, Any]) -> ResponseSignals:
    """The signals of a loaded domain (``domain.yml`` as a dict)."""
    responses: Mapping[str, Any] = domain.get("responses") or {}
    named: list[tuple[str, OutcomeKind, str | None]] = []
    named += [(n, "fallback", None) for n in FALLBACK_RESPONSES]
    named += [(n, "scam_warning", "scam") for n in SCAM_WARNING_RESPONSES]
    for name in responses:
        start = _GUIDE_START.match(name)
        if start:
            named.append((name, "guide", start.group(1)))
    for form, spec in (domain.get("forms") or {}).items():
        topic = str(form).split("_")[0]
        for slot in (spec or {}).get("required_slots") or []:
            named.append((f"utter_ask_{slot}", "guide", topic))
    patterns = tuple(
        (_template(text), kind, topic)
        for name, kind, topic in named
        for text in _variants(responses, name)
    )
    return ResponseSignals(patterns)


@lru_cache(maxsize=4)
def load_signals(path: Path = DOMAIN_FILE) -> ResponseSignals:
    """The signals of ``domain.yml`` (read once per path)."""
    import yaml

    domain = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return response_signals(domain)


def warm() -> ResponseSignals:
    """Read the domain now (start-up), not on the first resident message."""
    return load_signals()


def _from_marker(marker: Mapping[str, Any]) -> TurnOutcome | None:
    kind = marker.get("kind")
    if kind not in KINDS:
        return None
    confidence = marker.get("confidence")
    entry_id = marker.get("entry_id")
    topic = marker.get("topic")
    return TurnOutcome(
        kind,
        entry_id=str(entry_id) if entry_id else None,
        confidence=float(confidence) if isinstance(confidence, int | float) else None,
        topic=str(topic) if topic else None,
    )


def classify(messages: Sequence[BotMessage], signals: ResponseSignals | None = None) -> TurnOutcome:
    """What the bot did in one turn, from the bubbles it answered with.

    Args:
        messages: the turn's bot messages (``core.conversation.Conversation.send``).
        signals: the domain's response signals; default: those of ``domain.yml``.
    """
    signals = signals if signals is not None else load_signals()
    marked = [o for m in messages for o in map(_from_marker, m.markers) if o is not None]
    found = list(marked)
    for message in messages:
        shown = signals.match(message.text)
        if shown is not None:
            found.append(shown)
        if not marked and message.entry_id:
            found.append(TurnOutcome("answered", entry_id=message.entry_id))
    if not found:
        return TurnOutcome("other")
    best = min(found, key=lambda o: PRECEDENCE.index(o.kind))
    same = [o for o in found if o.kind == best.kind]
    return TurnOutcome(
        best.kind,
        entry_id=next((o.entry_id for o in same if o.entry_id), None),
        confidence=next((o.confidence for o in same if o.confidence is not None), None),
        topic=next((o.topic for o in same if o.topic), None),
    )
