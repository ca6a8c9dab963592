"""Home adaptation guide: the problem and the household -> items, funding, the current trade-in round, how to apply."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import answers
from actions.answers import citations, in_force, related_buttons, retriever_of, say_entry
from actions.base import ServicedAction
from actions.choices import load_answers, load_questions
from actions.conversation import reset_form_slots
from actions.forms import GuideFormValidation, left_unfinished
from actions.outcome import mark


class ValidateAdaptationGuideForm(GuideFormValidation):
    """Validation of ``adaptation_guide_form``."""

    form = "adaptation_guide_form"
    slot_prefix = "adapt_"


class ActionAdaptationGuideResult(ServicedAction):
    """Matching items, funding by household, the trade-in round in force today, applying.

    At most five bubbles: the items (intro and the first item, the others as buttons), the
    funding, one trade-in round (only a round in force today; an ended round is not
    offered unasked), how to apply (its steps behind the "怎么办" button).
    """

    def name(self) -> str:
        return "action_adaptation_guide_result"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        if left_unfinished(tracker, ValidateAdaptationGuideForm):
            return []  # paused by a new question: nothing to sum up yet
        hotline = self.services.settings.hotline
        corpus = retriever_of(self.services).corpus
        ids = load_answers()["adaptation_guide"]
        questions = load_questions()
        problem = questions["adapt_problem"].option(tracker.get_slot("adapt_problem"))
        household = questions["adapt_household"].option(tracker.get_slot("adapt_household"))
        on = answers.today()

        items = [corpus.by_id[i] for i in (problem.extra.get("entries") if problem else []) or []]
        if problem is not None and items:
            dispatcher.utter_message(response="utter_adapt_items_intro", problem=problem.value)
            say_entry(
                dispatcher,
                items[0],
                corpus,
                hotline=hotline,
                buttons=related_buttons(items[1:], domain),
                on=on,
                domain=domain,
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
        rounds = [corpus.by_id[i] for i in ids["trade_in"]]
        current = next((doc for doc in rounds if in_force(doc, on)), None)
        if current is not None:
            dispatcher.utter_message(
                response="utter_adapt_trade_in",
                answer=current.text,
                json_message={"citations": citations(current, corpus), "entry_id": current.id},
            )
        else:
            dispatcher.utter_message(
                response="utter_adapt_trade_in_none", this_year=on.year, hotline=hotline
            )
        apply = corpus.by_id[ids["apply"]]
        say_entry(dispatcher, apply, corpus, hotline=hotline, on=on, domain=domain)
        mark(dispatcher, "guide", topic="adaptation")
        return [
            *reset_form_slots(),
            SlotSet("last_entry_id", apply.id),
            SlotSet("last_simple", "utter_adapt_simple"),
        ]
