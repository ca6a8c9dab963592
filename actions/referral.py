"""Honest referrals: what the plan says on the topic, who is responsible, where to ask.

Said when retrieval is not confident enough to answer (calibrated threshold). Messages
plainly outside the plan (weather, sports ...) get a short "not something I know" with the
hotline instead; the nearest entries are always offered as buttons.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rasa_sdk.executor import CollectingDispatcher

from actions.answers import clause_citation, contact_response, plain_clause_title, related_buttons
from textnorm.signals import out_of_plan

if TYPE_CHECKING:
    from knowledge.corpus import Corpus
    from knowledge.documents import Document
    from knowledge.retriever import SearchResult


def say_referral(
    dispatcher: CollectingDispatcher,
    text: str,
    result: SearchResult,
    domain: dict[str, Any],
    corpus: Corpus,
    hotline: str,
    threshold: float,
    intent: str = "",
) -> None:
    """An honest referral for ``text``, whose search ``result`` was not confident."""
    nearest = [h.document for h in result.hits]
    buttons = related_buttons(nearest, domain)
    weak = not result.hits or result.confidence < threshold / 2
    if out_of_plan(text) or (intent == "out_of_scope" and weak):
        dispatcher.utter_message(response="utter_out_of_plan", hotline=hotline)
        return
    clause = topic_clause(corpus, nearest)
    if clause is not None:
        dispatcher.utter_message(
            response="utter_referral_plan",
            clause_title=plain_clause_title(clause.title),
            json_message={"citations": clause_citation(clause)},
        )
        if clause.departments:
            dispatcher.utter_message(
                response="utter_referral_departments",
                departments="、".join(clause.departments[:3]),
            )
    else:
        dispatcher.utter_message(response="utter_referral_unknown")
    topic = next((d.topic for d in nearest if d.kind == "entry" and d.topic), None)
    contact = contact_response("utter_referral_contact", topic)
    dispatcher.utter_message(response=contact, hotline=hotline, buttons=buttons or None)


def topic_clause(corpus: Corpus, nearest: list[Document]) -> Document | None:
    """The plan clause on the subject of the nearest documents: a clause ranked above the
    nearest entry, or one that entries of that entry's topic cite. A clause of another
    subject further down ("老年助餐行动" for "以旧换新补贴是哪个部门管的", found by 管) is
    not said: naming the wrong part of the plan misleads more than naming none."""
    top = nearest[:3]
    first = next((d for d in top if d.kind == "entry"), None)
    allowed = topic_clause_ids(corpus, first.topic) if first is not None else set()
    for n, doc in enumerate(top):
        above = first is None or n < top.index(first)
        for cid in (doc.id,) if doc.kind == "clause" else doc.clause_ids:
            clause = corpus.by_id.get(cid)
            if clause is not None and clause.kind == "clause" and (above or cid in allowed):
                return clause
    return None


def topic_clause_ids(corpus: Corpus, topic: str | None) -> set[str]:
    """The clauses that the entries of ``topic`` cite."""
    return {
        cid
        for d in corpus.documents
        if d.kind == "entry" and d.topic == topic
        for cid in d.clause_ids
    }
