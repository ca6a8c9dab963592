"""Policy answers: ask the knowledge retriever, answer with the best entry, cite it."""

from __future__ import annotations

import logging
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.answers import decode_entry_id, related_buttons, retriever_of, say_entry
from actions.base import ServicedAction
from actions.choices import load_answers
from actions.conversation import last_bot_turn

log = logging.getLogger(__name__)

TOP_K = 5


class ActionAnswerPolicy(ServicedAction):
    """Answers a question from the knowledge base.

    * A button payload with ``entry_id`` answers that entry directly.
    * A topic button without a question answers the topic's overview entry.
    * Otherwise the retriever searches the user's text. When it is not confident, the
      user is asked to say it another way (with topic buttons); the second time in a
      row, the hotline is offered.
    """

    def name(self) -> str:
        return "action_answer_policy"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        retriever = retriever_of(self.services)
        settings = self.services.settings
        corpus = retriever.corpus
        answers = load_answers()
        events: list[dict[str, Any]] = [SlotSet("entry_id", None), SlotSet("topic", None)]

        entry_id = decode_entry_id(_latest_entity(tracker, "entry_id") or "")
        text = (tracker.latest_message or {}).get("text") or ""
        topic = _latest_entity(tracker, "topic")
        doc = None
        related: list[Any] = []
        if entry_id and entry_id in corpus.by_id:
            doc = corpus.by_id[entry_id]
            related = [h.document for h in retriever.search(doc.title, top_k=TOP_K + 1).hits]
        elif text.startswith("/"):
            intent = (tracker.latest_message.get("intent") or {}).get("name", "")
            topic = topic or answers["intent_topic"].get(intent)
            default = answers["topic_default"].get(topic or "")
            if default in corpus.by_id:
                doc = corpus.by_id[default]
                topics = {topic} if topic else None
                related = [
                    h.document
                    for h in retriever.search(doc.title, top_k=TOP_K + 1, topics=topics).hits
                ]
        else:
            result = retriever.search(text, top_k=TOP_K)
            entries = [h.document for h in result.hits if h.document.kind == "entry"]
            log.info(
                "policy answer: confidence %.2f, top %s",
                result.confidence,
                entries[0].id if entries else None,
            )
            if result.confident and entries:
                doc = entries[0]
                related = entries[1:]

        if doc is None:
            return events + self._not_sure(dispatcher, tracker, settings.hotline)

        say_entry(
            dispatcher,
            doc,
            corpus,
            hotline=settings.hotline,
            buttons=related_buttons(related, domain, exclude=[doc.id]),
            question=text,
        )
        return events + [
            SlotSet("last_entry_id", doc.id),
            SlotSet("last_simple", None),
            SlotSet("low_confidence_count", 0.0),
        ]

    @staticmethod
    def _not_sure(
        dispatcher: CollectingDispatcher, tracker: Tracker, hotline: str
    ) -> list[dict[str, Any]]:
        if previous_turn_uttered(tracker, "utter_rephrase"):
            dispatcher.utter_message(response="utter_offer_hotline", hotline=hotline)
            return [SlotSet("low_confidence_count", 2.0)]
        dispatcher.utter_message(response="utter_rephrase")
        return [SlotSet("low_confidence_count", 1.0)]


def previous_turn_uttered(tracker: Tracker, response: str) -> bool:
    """Whether the bot's answer to the previous user message included ``response``."""
    return any(
        (event.get("metadata") or {}).get("utter_action") == response
        for event in last_bot_turn(tracker)
    )


def _latest_entity(tracker: Tracker, name: str) -> str | None:
    for entity in (tracker.latest_message or {}).get("entities") or []:
        if entity.get("entity") == name and entity.get("value"):
            return str(entity["value"])
    return None
