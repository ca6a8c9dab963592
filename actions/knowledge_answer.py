"""Knowledge-first answering: every message that is not small talk is answered from the
knowledge base, or honestly referred.

Order of what the user sees in one turn:

1. a scam warning with 110 / 96110, first, whenever the message describes a possible scam
   or asks whether something is one (patterns of :mod:`textnorm.signals`, confirmed by
   retrieval over the scam entries when only a weak cue is present);
2. for another place (太原, 成都 ...): that the assistant knows Yangquan's policy, and to ask
   that place's 12345;
3. one kind word when the writer is unwell or alone;
4. the answer: the best entry when retrieval is confident (calibrated threshold), otherwise
   an honest referral (what the plan says on the topic, who is responsible, where to ask,
   and the nearest entries as buttons);
5. for a question about a topic that has a guide, an offer of the guide (never a silent
   start).

Short follow-ups ("那要钱不", "去哪儿办") are searched together with the subject of the
entry just discussed, within its topic (:mod:`actions.follow_ups`); the entry is carried in
the ``last_entry_id`` slot.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import TYPE_CHECKING, Any

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.answers import (
    contact_response,
    related_buttons,
    say_entry,
)
from actions.follow_ups import TOP_K, FollowUps, scam_follow_up
from actions.places import Place, names_only_place, other_place
from actions.referral import say_referral
from textnorm.need import NeedFinder
from textnorm.signals import (
    PRACTICE_CUES,
    ScamSignal,
    pressed_now,
    privacy_worry,
    scam_signal,
    stop_request,
)

if TYPE_CHECKING:
    from knowledge.documents import Document
    from knowledge.retriever import Retriever, SearchResult

log = logging.getLogger(__name__)

# With a weak scam cue, a scam entry this much below the threshold still warns.
SCAM_RELAX = 0.2
# The scam cue of a message only the intent classifier took for a scam.
HUNCH = "classifier"
# Topics with a step-by-step guide (offered by ``utter_offer_<topic>_guide``).
GUIDES = frozenset({"meal", "adaptation"})
# An answer that says Yangquan has published nothing must say who to ask.
_GAP_RE = re.compile(r"没有公开|没公开|没有找到|没找到|不清楚|没有资料|没有查到|没查到|没有写|没写")
_CONTACT_RE = re.compile(
    r"社区|村委会|居委会|12345|12333|医保|民政|人社|部门|窗口|医院|银行|卫健|公安|110"
)
_YES_NO_ONLY_RE = re.compile(
    r"^(好|好的|好吧|行|行吧|中|中吧|对|对的|是|是的|嗯|嗯嗯|可以|没问题|不|不是|不对|不用|不要|没有|没|不行|不中)"
    r"[啊呀吧呢哦的了，。！!\s]*$"
)


@dataclass
class Reply:
    """What one turn says, collected before it is uttered (so tests can read it)."""

    warned_scam: bool = False
    place: Place | None = None
    entry: Document | None = None
    referred: bool = False
    events: list[dict[str, Any]] = field(default_factory=list)
    confidence: float | None = None  # of the search answered (or referred) from
    topic: str | None = None  # of the entry said, or of the nearest one


class KnowledgeAnswer:
    """Answers one message from the knowledge base.

    Args:
        retriever: The shared retriever.
        hotline: The government hotline (12345).
        threshold: Calibrated confidence for a direct answer (settings).
    """

    def __init__(self, retriever: Retriever, hotline: str, threshold: float) -> None:
        self.retriever = retriever
        self.corpus = retriever.corpus
        self.hotline = hotline
        self.threshold = threshold

    @cached_property
    def needs(self) -> NeedFinder:
        return NeedFinder(self.retriever.analyzer)

    def warm(self) -> KnowledgeAnswer:
        """Load what the first message would otherwise wait for (the gazetteer, jieba's
        dictionary and TF-IDF table, about 1.5 s), so it happens at start-up."""
        other_place("阳泉市城区")
        self.needs.find("我想问问" * 12)
        return self

    # ----------------------------------------------------------------- searching
    def search(self, text: str, *, topics: set[str] | None = None) -> SearchResult:
        return self.retriever.search(text, top_k=TOP_K, topics=topics)

    def confident(self, result: SearchResult) -> bool:
        return bool(result.hits) and result.confidence >= self.threshold

    def best_entry(self, result: SearchResult) -> Document | None:
        return next((h.document for h in result.hits if h.document.kind == "entry"), None)

    def search_need(self, text: str, need_text: str) -> SearchResult:
        """The search of a message's main need, or of the whole message when that is surer
        (on dev's long messages the whole text was confidently right more often)."""
        result = self.search(need_text)
        whole = self.search(text) if need_text != text else result
        return whole if whole.confidence > result.confidence else result

    def scam_check(self, text: str, signal: ScamSignal, result: SearchResult | None) -> bool:
        """Whether to warn: the patterns fired, or one cue that retrieval confirms. The
        classifier's hunch alone gives way to a confident answer outside the scam entries
        ("我爸说养老院的护工推他骂他" is about care homes)."""
        top = self.best_entry(result) if result is not None and result.hits else None
        hunch_only = signal.strong == (HUNCH,) and not signal.weak and not pressed_now(text)
        if hunch_only and result is not None and top is not None and top.topic != "scam":
            return not self.confident(result)
        if signal.fired:
            return True
        if result is None or not result.hits:
            return False
        if top is None or top.topic != "scam":
            return False
        # Retrieval over the scam entries is a detector of its own: a confident scam entry
        # warns even with no pattern; one weak cue lowers the bar.
        bar = self.threshold - (SCAM_RELAX if signal.any else 0.0)
        return result.confidence >= bar

    def last_entry(self, tracker: Tracker) -> Document | None:
        return self._entry(tracker.get_slot("last_entry_id"))

    def near_entry(self, tracker: Tracker) -> Document | None:
        """The nearest entry of the last referral (offered as a button, not said)."""
        return self._entry(tracker.get_slot("near_entry_id"))

    def _entry(self, entry_id: str | None) -> Document | None:
        doc = self.corpus.by_id.get(entry_id or "")
        return doc if doc is not None and doc.kind == "entry" else None

    @cached_property
    def follow_ups(self) -> FollowUps:
        return FollowUps(self.retriever, self.threshold)

    def choose(self, text: str, fresh: SearchResult, tracker: Tracker) -> SearchResult:
        """The fresh search, or the follow-up search when the message leans on the last
        answer (:mod:`actions.follow_ups`)."""
        last = self.last_entry(tracker)
        said = last is not None
        last = last or self.near_entry(tracker)
        contact = self.follow_ups.contact(text, fresh, last)
        if contact is not None or last is None:
            return contact or fresh
        return self.follow_ups.choose(text, fresh, self.best_entry(fresh), last, said=said)

    # ----------------------------------------------------------------- answering
    def respond(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        text: str,
        domain: dict[str, Any],
        *,
        intent: str = "",
        in_form: bool = False,
    ) -> Reply:
        """Answer ``text``; return what was said (and the slot events to apply)."""
        reply = Reply()
        rest = self._before_search(dispatcher, text, intent)
        if rest is None:
            return reply
        text = rest
        normalized = self.retriever.normalize(text).text
        signal = self._scam_signal(tracker, normalized)
        need = self.needs.find(text)
        result = self.choose(text, self.search_need(text, need.text), tracker)
        last = self.last_entry(tracker)
        if privacy_worry(text):
            dispatcher.utter_message(response="utter_privacy_reassure")
            return replace(reply, events=[SlotSet("last_entry_id", None)])
        # 1. scam warning first (also for "那我该咋办" right after a scam answer)
        hunch = signal.strong == (HUNCH,)
        if scam_follow_up(text, last) or self.scam_check(normalized, signal, result):
            result = self._warn_scam(dispatcher, need.text, result, signal, text)
            reply.warned_scam = True
        # 2. another place (in a long story, only where the question is: "儿子在北京" is not one)
        place = reply.place = self._say_other_place(dispatcher, need.core)
        if last is not None and names_only_place(text, place):
            # Only a place ("我是问太原的", "那阳泉的呢"): the entry just discussed is
            # Yangquan's answer (the other place's bubble says "下面先说说阳泉的情况").
            self._answer(dispatcher, last, result, domain, reply, in_form=in_form)
            return reply
        # 3. a kind word
        if need.unwell or need.alone:
            dispatcher.utter_message(response=f"utter_kind_{'unwell' if need.unwell else 'alone'}")
        # 4. the answer, or an honest referral
        entry = self.best_entry(result)
        reply.confidence = result.confidence if result.hits else None
        reply.topic = entry.topic if entry is not None else None
        if self.confident(result) and entry is not None:
            self._answer(dispatcher, entry, result, domain, reply, in_form=in_form)
            return reply
        if reply.warned_scam and not hunch:
            # The warning already says what to do; the scam check (a form) follows when
            # the message described a scam; here just offer the nearest scam entries.
            dispatcher.utter_message(
                response="utter_scam_more",
                buttons=related_buttons([h.document for h in result.hits], domain),
            )
            return reply
        # After "下面先说说阳泉的情况", or right after an answer ("量出来高了咋办" after the
        # blood-pressure meter), never "这个我帮不上忙" for the classifier's out_of_scope.
        context = place is not None or last is not None
        self.refer(dispatcher, text, result, domain, intent="" if context else intent)
        self._referred(reply, result)
        return reply

    def _referred(self, reply: Reply, result: SearchResult) -> None:
        """Note a referral: nothing was said, but its nearest entry gives the next
        follow-up its subject."""
        reply.referred = True
        near = self.best_entry(result)
        reply.events += [
            SlotSet("low_confidence_count", 1.0),
            SlotSet("last_entry_id", None),
            SlotSet("near_entry_id", near.id if near is not None else None),
        ]

    def _before_search(
        self, dispatcher: CollectingDispatcher, text: str, intent: str
    ) -> str | None:
        """The text to answer, or ``None`` when the turn is already answered: a bare
        "换个话题" (asks what next) or a bare yes / no (noted)."""
        if intent == "switch_topic" or stop_request(text).kind == "switch":
            text = stop_request(text).rest
            if not text:
                dispatcher.utter_message(response="utter_switch_ask")
                return None
        if intent in {"affirm", "deny", "inform"} and _YES_NO_ONLY_RE.match(text.strip()):
            dispatcher.utter_message(
                response="utter_deny_noted" if intent == "deny" else "utter_affirm_noted"
            )
            return None
        return text

    @staticmethod
    def _scam_signal(tracker: Tracker, normalized: str) -> ScamSignal:
        """The scam patterns of the message, or a strong cue when only the classifier saw one."""
        signal = scam_signal(normalized)
        guard = (tracker.latest_message or {}).get("intent_guard") or {}
        if guard.get("from") == "describe_suspicious" and not signal.fired:
            # The classifier alone thought it a scam. A missed scam is the worst failure, so
            # the warning is still said first; the scam check's questions are not started,
            # and the question is answered as asked (``respond``): a false hunch on
            # "我爸癌症晚期了" costs one bubble, not the answer.
            signal = ScamSignal(strong=(HUNCH,), weak=signal.weak)
        return signal

    def _warn_scam(
        self,
        dispatcher: CollectingDispatcher,
        need: str,
        result: SearchResult,
        signal: ScamSignal,
        text: str,
    ) -> SearchResult:
        """Say the scam warning; answer from the scam entries unless the result is a confident
        scam entry, or a product or practice question's own ("个人养老金急用能取不"). Only
        the classifier's hunch: the warning, and the message's own result."""
        dispatcher.utter_message(response="utter_scam_warning")
        if signal.strong == (HUNCH,):
            return result
        cues = {*signal.strong, *signal.weak} - {"scam_word"}  # no contact cue, or practices
        practice = cues <= PRACTICE_CUES and (bool(cues) or not signal.strong)
        if practice and self.confident(result) and not pressed_now(text):
            return result
        if not self.confident(result) or (result.hits and result.hits[0].document.topic != "scam"):
            scam_result = self.search(need, topics={"scam"})
            if scam_result.hits:
                return scam_result
        return result

    @staticmethod
    def _say_other_place(dispatcher: CollectingDispatcher, core: str) -> Place | None:
        """Say that the assistant knows Yangquan when the question is about another place."""
        place = other_place(core)
        if place is not None:
            dispatcher.utter_message(
                response="utter_other_place_shanxi" if place.in_shanxi else "utter_other_place",
                place=place.name,
            )
        return place

    def _answer(
        self,
        dispatcher: CollectingDispatcher,
        entry: Document,
        result: SearchResult,
        domain: dict[str, Any],
        reply: Reply,
        *,
        in_form: bool,
    ) -> None:
        """Say a confident entry (with who to ask when it is a gap), then offer its guide."""
        related = [h.document for h in result.hits if h.document.id != entry.id]
        say_entry(
            dispatcher,
            entry,
            self.corpus,
            hotline=self.hotline,
            buttons=related_buttons(related, domain, exclude=[entry.id]),
            domain=domain,
        )
        reply.entry = entry
        if _GAP_RE.search(entry.text) and not _CONTACT_RE.search(entry.text):
            dispatcher.utter_message(
                response=contact_response("utter_gap_contact", entry.topic),
                hotline=self.hotline,
            )
        reply.events += [
            SlotSet("last_entry_id", entry.id),
            SlotSet("near_entry_id", None),
            SlotSet("last_simple", None),
            SlotSet("low_confidence_count", 0.0),
        ]
        # 5. offer the guide, never start it silently
        if not in_form and not reply.warned_scam and entry.topic in GUIDES:
            dispatcher.utter_message(
                response=f"utter_offer_{entry.topic}_guide",
            )

    def refer(
        self,
        dispatcher: CollectingDispatcher,
        text: str,
        result: SearchResult,
        domain: dict[str, Any],
        *,
        intent: str = "",
    ) -> None:
        """An honest referral (:func:`actions.referral.say_referral`)."""
        say_referral(
            dispatcher, text, result, domain, self.corpus, self.hotline, self.threshold, intent
        )
