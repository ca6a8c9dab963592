"""Meal assistance guide: district, for whom, situation -> services, priority, where to ask."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.answers import citations, related_buttons, retriever_of, say_entry
from actions.base import ServicedAction
from actions.choices import load_answers, load_questions
from actions.conversation import reset_form_slots
from actions.forms import GuideFormValidation, left_unfinished
from actions.outcome import mark


class ValidateMealGuideForm(GuideFormValidation):
    """Validation of ``meal_guide_form``."""

    form = "meal_guide_form"
    slot_prefix = "meal_"


class ActionMealGuideResult(ServicedAction):
    """What the plan and national policy provide, whether the person is a priority, where to ask."""

    def name(self) -> str:
        return "action_meal_guide_result"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        if left_unfinished(tracker, ValidateMealGuideForm):
            return []  # paused by a new question: nothing to sum up yet
        settings = self.services.settings
        corpus = retriever_of(self.services).corpus
        ids = load_answers()["meal_guide"]
        questions = load_questions()
        district = tracker.get_slot("meal_district") or ""
        who = tracker.get_slot("meal_for") or ""
        situation = questions["meal_situation"].option(tracker.get_slot("meal_situation"))

        dispatcher.utter_message(response="utter_meal_for_whom", who=who, district=district)
        priority = corpus.by_id[ids["priority"]]
        if situation is not None and situation.extra.get("priority"):
            dispatcher.utter_message(
                response="utter_meal_priority_yes",
                situation=situation.value,
                json_message={"citations": citations(priority, corpus)},
            )
        else:
            dispatcher.utter_message(
                response="utter_meal_priority_no",
                json_message={"citations": citations(corpus.by_id["meal-who-can-use"], corpus)},
            )
        say_entry(
            dispatcher,
            corpus.by_id[ids["services"]],
            corpus,
            hotline=settings.hotline,
            domain=domain,
        )
        place = questions["meal_district"].option(district)
        if place is not None and place.extra.get("rural"):
            say_entry(
                dispatcher,
                corpus.by_id[ids["rural"]],
                corpus,
                hotline=settings.hotline,
                domain=domain,
            )
        where = corpus.by_id[ids["where"]]
        dispatcher.utter_message(
            response="utter_meal_where_ask",
            district=district,
            hotline=settings.hotline,
            buttons=related_buttons((corpus.by_id[i] for i in ids["related"]), domain),
            json_message={"citations": citations(where, corpus)},
        )
        mark(dispatcher, "guide", topic="meal")
        return [
            *reset_form_slots(),
            SlotSet("last_entry_id", where.id),
            SlotSet("last_simple", "utter_meal_simple"),
        ]
