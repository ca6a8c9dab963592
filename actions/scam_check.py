"""Scam check: what happened, what was asked, already paid? -> risk level and what to do now.

Already paid: 110 first, before anything else. High risk: stop, don't transfer, hang up,
tell family. 96110 is always explained.
"""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.answers import citations, related_buttons, retriever_of, say_entry, say_steps
from actions.base import ServicedAction
from actions.choices import load_answers, load_questions
from actions.conversation import reset_form_slots
from actions.forms import GuideFormValidation, left_unfinished
from actions.offload import off_loop
from actions.outcome import mark

PAID = "已经转了"
# A code or password already told (``scam_paid``): 110 at once, like money gone.
TOLD = "说了验证码"
ASKED_SECRETS = frozenset({"password", "code", "card"})


class ValidateScamCheckForm(GuideFormValidation):
    """Validation of ``scam_check_form``; when money is already gone, nothing else is asked."""

    form = "scam_check_form"
    slot_prefix = "scam_"
    scams_are_answers = True
    multi_slots = frozenset({"scam_asked"})

    def trigger_text(self, tracker: Tracker) -> str:
        return str(tracker.get_slot("scam_story") or "") or super().trigger_text(tracker)

    async def required_slots(
        self,
        domain_slots: list[str],
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: dict[str, Any],
    ) -> list[str]:
        if tracker.get_slot("scam_paid") in (PAID, TOLD):
            return ["scam_paid"]
        return domain_slots


def risk_level(paid: str | None, channel: str | None, asked: list[str] | None) -> str:
    """``paid``, ``told`` (a code or password), ``high``, ``medium`` or ``low``."""
    if paid == PAID:
        return "paid"
    if paid == TOLD:
        return "told"
    asked_set = set(asked or []) - {"none"}
    option = load_questions()["scam_channel"].option(channel)
    if asked_set or (option is not None and option.extra.get("high_risk")):
        return "high"
    if channel in {"上门", "讲座或活动", "网上认识的人"}:
        return "medium"
    return "low"


class ActionScamCheckResult(ServicedAction):
    """Says the risk level with short do/don't steps, the matching scam, and 96110."""

    def name(self) -> str:
        return "action_scam_check_result"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        if left_unfinished(tracker, ValidateScamCheckForm):
            return []  # paused by a new question: nothing to sum up yet
        hotline = self.services.settings.hotline
        retriever = retriever_of(self.services)
        corpus = retriever.corpus
        ids = load_answers()["scam_check"]
        channel = tracker.get_slot("scam_channel")
        asked = tracker.get_slot("scam_asked") or []
        level = risk_level(tracker.get_slot("scam_paid"), channel, asked)

        if level == "paid":
            call_110 = corpus.by_id[ids["paid"]]
            dispatcher.utter_message(
                response="utter_scam_call_110_now",
                json_message={"citations": citations(call_110, corpus)},
            )
            say_steps(dispatcher, call_110)
        elif level == "told":  # the code entry's steps, in one bubble: hang up, 110 now
            never = corpus.by_id[ids["never_share"]]
            dispatcher.utter_message(
                response="utter_scam_told_call_110",
                json_message={"citations": citations(never, corpus)},
            )
        else:
            dispatcher.utter_message(response=f"utter_scam_risk_{level}")
            if level == "high":
                dispatcher.utter_message(response="utter_scam_stop_steps")
            if ASKED_SECRETS & set(asked):
                never = corpus.by_id[ids["never_share"]]
                dispatcher.utter_message(
                    response="utter_scam_never_share",
                    json_message={"citations": citations(never, corpus)},
                )
            matched = await self._matching_scams(tracker, channel)
            if matched:
                say_entry(
                    dispatcher,
                    matched[0],
                    corpus,
                    hotline=hotline,
                    buttons=related_buttons(matched[1:], domain),
                )
        info = corpus.by_id[ids["hotline"]]
        dispatcher.utter_message(
            response="utter_scam_96110", json_message={"citations": citations(info, corpus)}
        )
        mark(dispatcher, "guide", topic="scam")
        return [
            *reset_form_slots(),
            SlotSet("last_entry_id", info.id),
            SlotSet(
                "last_simple",
                "utter_scam_paid_simple" if level in ("paid", "told") else "utter_scam_simple",
            ),
        ]

    async def _matching_scams(self, tracker: Tracker, channel: str | None) -> list[Any]:
        retriever = retriever_of(self.services)
        corpus = retriever.corpus
        story = str(tracker.get_slot("scam_story") or "")
        found: list[Any] = []
        if story:
            result = await off_loop(retriever.search, story, top_k=4, topics={"scam"})
            if result.confident:
                found = [h.document for h in result.hits if h.document.kind == "entry"]
        fallback = load_answers()["scam_check"]["by_channel"].get(channel or "")
        if not found and fallback in corpus.by_id:
            found = [corpus.by_id[fallback]]
        return found
