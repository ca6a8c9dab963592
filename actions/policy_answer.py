"""Policy answers: every message that is not small talk is answered from the knowledge base.

Routing (bot/data/rules/policy.yml) sends the ``ask_*`` intents, ``nlu_fallback``,
``out_of_scope``, ``switch_topic`` and, outside a form, ``inform``/``affirm``/``deny`` here.
"""

from __future__ import annotations

import logging
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.answers import (
    decode_entry_id,
    related_buttons,
    retriever_of,
    say_entry,
    say_entry_part,
)
from actions.base import ActionServices, ServicedAction
from actions.choices import load_answers
from actions.knowledge_answer import TOP_K, KnowledgeAnswer
from actions.offload import off_loop
from actions.outcome import mark, mark_reply

log = logging.getLogger(__name__)


def knowledge_answer(services: ActionServices) -> KnowledgeAnswer:
    """The knowledge responder of these services, made once from their retriever."""
    responder = services.responder
    if not isinstance(responder, KnowledgeAnswer):
        retriever = retriever_of(services)
        responder = KnowledgeAnswer(retriever, services.settings.hotline, retriever.threshold)
        services.responder = responder
    return responder


class ActionAnswerPolicy(ServicedAction):
    """Answers a question from the knowledge base.

    * A button payload with ``entry_id`` answers that entry directly (``part`` asks for
      its longer explanation or its steps).
    * A topic button without a question answers the topic's overview entry.
    * Otherwise :class:`~actions.knowledge_answer.KnowledgeAnswer` answers the text:
      scam warning first, other places, follow-ups, calibrated answer or honest referral.
    """

    def name(self) -> str:
        return "action_answer_policy"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        events: list[dict[str, Any]] = [SlotSet("entry_id", None), SlotSet("topic", None)]
        message = tracker.latest_message or {}
        text = str(message.get("text") or "")
        intent = str((message.get("intent") or {}).get("name") or "")

        if text.startswith("/"):
            return events + await self._answer_payload(dispatcher, tracker, domain, intent)

        # The whole answer (up to three searches, then the bubbles) runs in the retrieval
        # pool; the dispatcher is this call's own, so nothing else touches it meanwhile.
        reply = await off_loop(
            knowledge_answer(self.services).respond,
            dispatcher,
            tracker,
            text,
            domain,
            intent=intent,
        )
        mark_reply(dispatcher, reply)
        log.info(
            "knowledge answer: entry %s, referred %s, scam warning %s, place %s",
            reply.entry.id if reply.entry else None,
            reply.referred,
            reply.warned_scam,
            reply.place.name if reply.place else None,
        )
        return events + reply.events

    async def _answer_payload(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: dict[str, Any],
        intent: str,
    ) -> list[dict[str, Any]]:
        """A button payload: that entry (or its part), or the topic's overview entry."""
        retriever = retriever_of(self.services)
        corpus = retriever.corpus
        entry_id = decode_entry_id(_latest_entity(tracker, "entry_id") or "")
        doc = corpus.by_id.get(entry_id) if entry_id else None
        part = _latest_entity(tracker, "part")
        if doc is not None and part:
            return self._say_part(dispatcher, doc, part, domain)
        if doc is None:
            topic = _latest_entity(tracker, "topic") or load_answers()["intent_topic"].get(intent)
            default = load_answers()["topic_default"].get(topic or "")
            doc = corpus.by_id.get(default or "")
            topics = {topic} if topic else None
        else:
            topics = None
        if doc is None:
            dispatcher.utter_message(response="utter_switch_ask")
            return []
        found = await off_loop(retriever.search, doc.title, top_k=TOP_K + 1, topics=topics)
        related = [h.document for h in found.hits]
        say_entry(
            dispatcher,
            doc,
            corpus,
            hotline=self.services.settings.hotline,
            buttons=related_buttons(related, domain, exclude=[doc.id]),
            domain=domain,
        )
        mark(dispatcher, "answered", entry_id=doc.id, topic=doc.topic)
        return [
            SlotSet("last_entry_id", doc.id),
            SlotSet("last_simple", None),
            SlotSet("low_confidence_count", 0.0),
        ]

    def _say_part(
        self, dispatcher: CollectingDispatcher, doc: Any, part: str, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        corpus = retriever_of(self.services).corpus
        if not say_entry_part(dispatcher, doc, part, corpus, domain=domain):
            say_entry(
                dispatcher, doc, corpus, hotline=self.services.settings.hotline, domain=domain
            )
        mark(dispatcher, "answered", entry_id=doc.id, topic=doc.topic)
        return [SlotSet("last_entry_id", doc.id)]


def _latest_entity(tracker: Tracker, name: str) -> str | None:
    for entity in (tracker.latest_message or {}).get("entities") or []:
        if entity.get("entity") == name and entity.get("value"):
            return str(entity["value"])
    return None
