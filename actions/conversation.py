"""Conversation controls that work after any answer: repeat, simpler, stop, a person."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.answers import say_steps, summary
from actions.base import ServicedAction
from actions.outcome import mark
from core.messages import MARKER_KEY
from knowledge.corpus import load_numbers

# Slots of every guide form; cleared when a guide ends or is stopped.
FORM_SLOTS = (
    "meal_district",
    "meal_for",
    "meal_situation",
    "adapt_problem",
    "adapt_household",
    "scam_paid",
    "scam_channel",
    "scam_asked",
    "scam_story",
    "failed_answers",
)


def emergency_numbers() -> str:
    """What to call when it is urgent, in the table's order: 110, 120, 119, then 12345."""
    table = load_numbers()
    return "".join(table.by_number(n).say for n in ("110", "120", "119", "12345"))


def reset_form_slots() -> list[dict[str, Any]]:
    """Events that clear every guide form's answers."""
    return [SlotSet(name, None) for name in (*FORM_SLOTS, "paused_guide")]


def last_bot_turn(tracker: Tracker) -> list[dict[str, Any]]:
    """Bot messages of the answer before the latest user message, in order."""
    messages: list[dict[str, Any]] = []
    users_seen = 0
    for event in reversed(tracker.events):
        kind = event.get("event")
        if kind == "user":
            users_seen += 1
            if users_seen == 2:
                break
        elif kind == "bot" and users_seen == 1:
            messages.append(event)
    if users_seen < 2 and not messages:
        return []
    return list(reversed(messages))


class ActionRepeat(ServicedAction):
    """Says the previous answer again, bubble by bubble, buttons and citations included.

    Inside a form it says nothing: the form asks its question again right after.
    """

    def name(self) -> str:
        return "action_repeat"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        if tracker.active_loop_name:
            return []
        messages = last_bot_turn(tracker)
        if not messages:
            dispatcher.utter_message(response="utter_nothing_to_repeat")
            return []
        for event in messages:
            data = event.get("data") or {}
            custom = {k: v for k, v in (data.get("custom") or {}).items() if k != MARKER_KEY}
            if event.get("text") or data.get("buttons") or custom:
                dispatcher.utter_message(
                    text=event.get("text"),
                    buttons=data.get("buttons") or None,
                    json_message=custom or None,
                )
        mark(dispatcher, "other")  # said again: not a new answer
        return []


class ActionSimpler(ServicedAction):
    """Says the last thing more simply.

    * Inside a form: explains the question being asked in other words.
    * After a guide: that guide's one-line summary (slot ``last_simple``).
    * After a policy answer: the answer's first sentence with every qualifier that makes it
      true (:func:`actions.answers.summary`), then its steps.
    * Otherwise: the three things the assistant can do.
    """

    def name(self) -> str:
        return "action_simpler"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        hotline = self.services.settings.hotline
        requested = tracker.get_slot("requested_slot")
        if tracker.active_loop_name and requested:
            dispatcher.utter_message(response=f"utter_explain_{requested}")
            return []
        simple = tracker.get_slot("last_simple")
        if simple and simple in (domain.get("responses") or {}):
            dispatcher.utter_message(response=simple, hotline=hotline)
            return []
        entry_id = tracker.get_slot("last_entry_id")
        retriever = self.services.retriever
        doc = retriever.corpus.by_id.get(entry_id) if retriever and entry_id else None
        if doc is not None:
            dispatcher.utter_message(response="utter_simpler_entry", summary=summary(doc))
            say_steps(dispatcher, doc)
            return []
        dispatcher.utter_message(response="utter_simpler_generic")
        return []


class ActionStop(ServicedAction):
    """Confirms that the current topic is dropped and forgets the guide answers."""

    def name(self) -> str:
        return "action_stop"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        dispatcher.utter_message(response="utter_stopped")
        return [*reset_form_slots(), SlotSet("requested_slot", None)]


class ActionHumanHandoff(ServicedAction):
    """How to reach a person: the configured hotline; the emergency numbers from the table.

    The emergency bubble is built from ``knowledge/data/numbers.yml`` (110, 120, 119, and
    that 12345 is not an emergency line), so it cannot drift from the other texts.
    """

    def name(self) -> str:
        return "action_human_handoff"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        dispatcher.utter_message(response="utter_human", hotline=self.services.settings.hotline)
        dispatcher.utter_message(response="utter_human_emergency", emergency=emergency_numbers())
        return []
