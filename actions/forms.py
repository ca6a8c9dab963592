"""A patient form validation base, in the spirit of financial-demo's CustomFormValidationAction.

Every question accepts free text and numbered choices. Answers that do not fit are
counted per slot; after ``settings.form_retry_limit`` of them the question is explained
in other words and the user is reminded they can stop. When the form starts, the
message that started it is read for answers already given ("我妈一个人住在矿区"), and
later answers may correct earlier ones ("不对，是郊区").
"""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import FormValidationAction

from actions.base import ServicedAction
from actions.choices import Option, Question, load_questions
from actions.outcome import is_marked, mark, mark_reply
from textnorm.signals import is_question, privacy_worry, scam_signal

FAILED_ANSWERS = "failed_answers"
# The form a new question inside it paused (its answers so far are kept for "接着看").
PAUSED_GUIDE = "paused_guide"


class GuideFormValidation(ServicedAction, FormValidationAction):
    """Validation of a guide form whose slots are questions in ``actions/data/guides.yml``.

    Subclasses set ``form``, ``slot_prefix`` and ``multi_slots`` and name themselves ``validate_<form>``.
    """

    __abstract__ = True
    form: str = ""
    slot_prefix: str = ""
    multi_slots: frozenset[str] = frozenset()
    # Whether a scam told as an answer is the answer (the scam check) or a new question.
    scams_are_answers: bool = False

    def name(self) -> str:
        return f"validate_{self.form}"

    def form_name(self) -> str:
        return self.form

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        """Validate as usual; a turn inside the guide is marked ``guide`` (with the guide's
        topic: ``meal_guide_form`` -> ``meal``) unless a question in it was answered."""
        events: list[dict[str, Any]] = list(await super().run(dispatcher, tracker, domain))
        if not is_marked(dispatcher):
            mark(dispatcher, "guide", topic=self.form.split("_")[0])
        return events

    @property
    def questions(self) -> dict[str, Question]:
        return load_questions()

    def __getattr__(self, attribute: str) -> Any:
        # validate_<slot> and extract_<slot> for every question of the form.
        for prefix, factory in (("validate_", self._validator), ("extract_", self._extractor)):
            if attribute.startswith(prefix):
                slot = attribute[len(prefix) :]
                if slot in load_questions():
                    return factory(slot)
        raise AttributeError(attribute)

    # ----- extraction at activation -----
    def _extractor(self, slot: str) -> Any:
        async def extract(
            dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
        ) -> dict[str, Any]:
            if tracker.get_slot("requested_slot") is not None:
                return {}
            trigger = self.trigger_text(tracker)
            if not trigger and tracker.get_slot(PAUSED_GUIDE) == self.form:
                return {}  # "接着看" (a button) resumes a paused form with its answers
            # The form is starting: forget stale answers, keep what this message says.
            value = self.parse(slot, trigger, requested=False)
            return {slot: value}

        return extract

    def trigger_text(self, tracker: Tracker) -> str:
        """Text read for answers when the form starts (the latest user message)."""
        return _message_text(tracker)

    # ----- validation -----
    def _validator(self, slot: str) -> Any:
        async def validate(
            value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
        ) -> dict[str, Any]:
            return self.validate_answer(slot, value, dispatcher, tracker, domain)

        return validate

    def validate_answer(
        self,
        slot: str,
        value: Any,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Map an answer to an option; count and explain answers that do not fit.

        An answer that is really a new question (a place, a privacy worry, a scam, "我妈能去吗")
        is answered from the knowledge base, and the form is paused rather than asked again:
        the person chooses to go on ("接着看", which keeps the answers so far) or not.
        """
        if value is None:
            return {slot: None}
        if isinstance(value, list) or tracker.get_slot("requested_slot") != slot:
            # Already understood (set at activation or as a correction).
            return {slot: value}
        text = _answer_text(value, tracker)
        parsed = self.parse(slot, text, requested=True)
        failures = dict(tracker.get_slot(FAILED_ANSWERS) or {})
        if parsed is None and self.is_new_question(text):
            from actions.policy_answer import knowledge_answer

            reply = knowledge_answer(self.services).respond(
                dispatcher, tracker, text, domain or {}, in_form=True
            )
            mark_reply(dispatcher, reply)
            dispatcher.utter_message(response=f"utter_{self.form}_paused")
            # The answer's slots too: its entry is the one a follow-up leans on ("装上有啥用"
            # after "算了，问问别的，反诈APP咋装").
            said = {e["name"]: e.get("value") for e in reply.events if e.get("event") == "slot"}
            return {**said, slot: None, "requested_slot": None, PAUSED_GUIDE: self.form}
        if parsed is None:
            failures[slot] = failures.get(slot, 0) + 1
            if failures[slot] >= self.services.settings.form_retry_limit:
                dispatcher.utter_message(response=f"utter_explain_{slot}")
                dispatcher.utter_message(response="utter_can_stop")
            else:
                dispatcher.utter_message(response="utter_not_understood_answer")
            return {slot: None, FAILED_ANSWERS: failures}
        failures.pop(slot, None)
        result: dict[str, Any] = {slot: parsed, FAILED_ANSWERS: failures or None}
        result.update(self.corrections(slot, text, tracker))
        return result

    def is_new_question(self, text: str) -> bool:
        """Whether a form answer that fits no option is a question of its own (a scam told
        inside another guide is one; inside the scam check it is the answer)."""
        from actions.places import other_place

        scam = not self.scams_are_answers and scam_signal(text).fired
        return is_question(text) or privacy_worry(text) or scam or other_place(text) is not None

    def corrections(self, slot: str, text: str, tracker: Tracker) -> dict[str, Any]:
        """Earlier answers of this form that the text names differently (a change of mind)."""
        changed: dict[str, Any] = {}
        for other in self.form_slots():
            if other == slot or other in self.multi_slots or tracker.get_slot(other) is None:
                continue
            option = self.questions[other].parse(text, requested=False)
            if option is None or option.extra.get("generic"):
                continue  # "没有" answers this question; it does not take back another one
            if option.value != tracker.get_slot(other):
                changed[other] = option.value
        return changed

    def form_slots(self) -> list[str]:
        return [s for s in load_questions() if s.startswith(self.slot_prefix)]

    def parse(self, slot: str, text: str, *, requested: bool) -> Any:
        """The slot value an answer gives: an option value, or a list for multi slots."""
        question = self.questions[slot]
        if slot in self.multi_slots:
            options: list[Option] = question.parse_many(text, requested=requested)
            return [o.value for o in options] or None
        option = question.parse(text, requested=requested)
        return option.value if option else None


def left_unfinished(tracker: Tracker, validation: type[GuideFormValidation]) -> bool:
    """Whether the form of ``validation`` ended because a new question paused it (its
    result is then not said: some answers are still missing)."""
    if tracker.get_slot(PAUSED_GUIDE) != validation.form:
        return False
    return any(
        tracker.get_slot(s) is None
        for s in load_questions()
        if s.startswith(validation.slot_prefix)
    )


def _message_text(tracker: Tracker) -> str:
    message = tracker.latest_message or {}
    text = str(message.get("text") or "")
    normalized = str(message.get("normalized_text") or "")
    if text.startswith("/"):
        return ""
    return f"{text} {normalized}" if normalized and normalized != text else text


def _answer_text(value: Any, tracker: Tracker) -> str:
    text = _message_text(tracker)
    return text or str(value)
