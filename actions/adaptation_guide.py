"""Home adaptation guide: the problem and the household -> items, funding, trade-in, how to apply."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.answers import citations, related_buttons, retriever_of, say_entry, say_steps
from actions.base import ServicedAction
from actions.choices import load_answers, load_questions
from actions.conversation import reset_form_slots
from actions.forms import GuideFormValidation


class ValidateAdaptationGuideForm(GuideFormValidation):
    """Validation of ``adaptation_guide_form``."""

    form = "adaptation_guide_form"
    slot_prefix = "adapt_"


class ActionAdaptationGuideResult(ServicedAction):
    """Matching items of the 2020 national list, funding, the trade-in rounds with years, applying."""

    def name(self) -> str:
        return "action_adaptation_guide_result"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        hotline = self.services.settings.hotline
        corpus = retriever_of(self.services).corpus
        ids = load_answers()["adaptation_guide"]
        questions = load_questions()
        problem = questions["adapt_problem"].option(tracker.get_slot("adapt_problem"))
        household = questions["adapt_household"].option(tracker.get_slot("adapt_household"))

        items = [corpus.by_id[i] for i in (problem.extra.get("entries") if problem else []) or []]
        if problem is not None and items:
            dispatcher.utter_message(response="utter_adapt_items_intro", problem=problem.value)
            say_entry(
                dispatcher,
                items[0],
                corpus,
                hotline=hotline,
                buttons=related_buttons(items[1:], domain),
            )
        funding = corpus.by_id[ids["funding"]]
        funding_response = (household.extra.get("funding") if household else None) or (
            "utter_adapt_funding_unknown"
        )
        dispatcher.utter_message(
            response=funding_response,
            hotline=hotline,
            json_message={"citations": citations(funding, corpus)},
        )
        dispatcher.utter_message(response="utter_adapt_trade_in_intro")
        for entry_id in ids["trade_in"]:
            say_entry(dispatcher, corpus.by_id[entry_id], corpus, hotline=hotline)
        apply = corpus.by_id[ids["apply"]]
        say_entry(dispatcher, apply, corpus, hotline=hotline)
        say_steps(dispatcher, apply)
        return [
            *reset_form_slots(),
            SlotSet("last_entry_id", apply.id),
            SlotSet("last_simple", "utter_adapt_simple"),
        ]
