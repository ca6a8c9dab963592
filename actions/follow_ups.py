"""Follow-ups: short questions that lean on the entry just discussed ("那要钱不", "去哪儿办").

A follow-up asks another *facet* (who, cost, where, how, age ...) of the same *subject*.
So it is searched as its own words plus the subject of the last entry (the entry's title
without its facet words: "谁能用老年助餐" -> "老年助餐"), first within the last entry's
topic, then over everything (one subject can span topic files: a family care bed is in
``care`` and ``family_bed``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from knowledge.documents import Hit
from textnorm.signals import is_question, names_no_subject

if TYPE_CHECKING:
    from knowledge.documents import Document
    from knowledge.retriever import Retriever, SearchResult

TOP_K = 5
# How many hits within the topic are looked at for one answering the follow-up's facet.
FACET_POOL = 8
# A follow-up is short: at most this many characters once filler is removed.
FOLLOW_UP_CHARS = 10
# The context makes a follow-up's search surer than its confidence says (the subject words
# dilute the coverage), so it may be this much below the threshold (tuned on dev).
FOLLOW_UP_RELAX = 0.3
# The search over every topic wins over the one within the last topic only when it is
# this much more confident (tuned on dev).
OTHER_TOPIC_MARGIN = 0.15
# Which number to call, asked with no subject ("那我打啥电话问"): the contact a source names
# for the topic just discussed (12333 for pensions, the 医保 office for long-term care, 110
# for scams), 12345 for any other topic, and the list of numbers when there is no topic.
CONTACT_ENTRIES = {"pension": "general-12333", "ltc": "ltc-which-dept", "scam": "scam-call-110"}
CONTACT_OTHER_TOPIC = "general-12345"
CONTACT_NO_TOPIC = "general-hotlines"
_WHICH_NUMBER_RE = re.compile(
    r"(啥|什么|哪个|哪)(个)?(电话|号码|号|热线)|(电话|号码|热线)(是)?多少|[打拨](啥|什么|哪个).{0,2}问"
)
FILLER_RE = re.compile(r"[那这就呢啊呀吧哦嗯，。？！?!,.、\s]")
# Words of a title that say which facet it answers rather than what it is about.
_FACET_RE = re.compile(
    r"谁能|谁来|谁出|谁管|多少钱|多少|几岁|多大年纪|年龄限制|怎么|咋|如何|哪里有|哪里|哪儿|"
    r"在哪|去哪|什么是|是什么|什么|啥|能不能|能否|有没有|花不花钱|要不要|免费|收费|费用|"
    # 能 and 带 alone, but not inside 失能, 智能, 功能, 技能, 能力 or 携带.
    r"(?<!携)带|材料|申请|报名|谁|吗|(?<![失智功技])能(?!力)|有"
)


# What a follow-up asks about its subject, and the words that say it (in the follow-up,
# and in the title of the entry that answers it).
FACETS: dict[str, re.Pattern[str]] = {
    name: re.compile(words)
    for name, words in {
        "cost": r"钱|收费|免费|费用|花不花|价格|贵|便宜|白给|掏",
        "subsidy": r"补|政府给|国家给|政府管|国家管",
        "who": r"谁能|谁可以|哪些人|什么人|条件|能不能去|能去|能用|能上|能住|能申请|低保|特困",
        "apply": r"申请|怎么办|咋办|办理|手续|报名|怎么弄|咋弄|流程|认证|弄|领|[去在]哪儿?办|能办",
        "where": r"去哪|在哪|哪里|哪儿|哪有|地方|地址",
        "age": r"岁数|多大|年龄|几岁|年纪",
        "materials": r"带啥|带什么|材料|证件|要啥",
        "contact": r"电话|打哪|打啥|号码|问谁|找谁问",
        "provider": r"谁来|谁装|谁做|谁干|找谁来|谁出",
        "complaint": r"不满意|投诉|不管|拒绝|不给|被逼|不退|说理|反映|坏了",
        "family": r"替|帮他|帮她|子女|家人|代办|代",
        "often": r"几回|几次|多久|每年|一年",
    }.items()
}


# An age said as a number ("我妈六十二能住不") asks about the age limit; in a title or an
# answer ("65岁以上免费体检") it is only a fact.
_AGE_SAID_RE = re.compile(r"[六七八九]十[一二三四五六七八九]?(?![年块元])|\d\d岁")


def facets_of(text: str) -> set[str]:
    """The facets a title or an answer names."""
    return {name for name, words in FACETS.items() if words.search(text)}


def facets_asked(text: str) -> set[str]:
    """The facets a message asks about."""
    return facets_of(text) | ({"age"} if _AGE_SAID_RE.search(text) else set())


def is_short(text: str) -> bool:
    """Whether ``text`` is short enough to be a follow-up."""
    return len(FILLER_RE.sub("", text)) <= FOLLOW_UP_CHARS


def subject_of(title: str) -> str:
    """The subject of an entry title: the title without its facet words (or the title,
    when nothing would be left). Words that merely contain a facet word ("智能", "失能")
    are kept whole."""
    subject = _FACET_RE.sub("", title).strip()
    return subject if len(subject) >= 2 else title


@dataclass
class FollowUps:
    """Chooses between a message's own search and its search as a follow-up.

    Args:
        retriever: The shared retriever.
        threshold: Calibrated confidence for a direct answer.
    """

    retriever: Retriever
    threshold: float

    def confident(self, result: SearchResult) -> bool:
        return bool(result.hits) and result.confidence >= self.threshold

    def contact(self, text: str, fresh: SearchResult, last: Document | None) -> SearchResult | None:
        """For "which number do I call" with no subject, ``fresh`` with the contact of the
        topic just discussed first (its own search finds whichever hotline entry says 电话
        most); ``None`` for any other message."""
        if not _WHICH_NUMBER_RE.search(text) or not names_no_subject(text):
            return None
        topic = last.topic if last is not None and last.topic != "general" else None
        entry_id = CONTACT_ENTRIES.get(
            topic or "", CONTACT_OTHER_TOPIC if topic else CONTACT_NO_TOPIC
        )
        entry = self.retriever.corpus.by_id.get(entry_id)
        if entry is None:
            return None
        rest = [h for h in fresh.hits if h.document.id != entry.id]
        hits = [Hit(document=entry, score=rest[0].score if rest else 1.0), *rest][:TOP_K]
        return replace(fresh, hits=hits, confidence=max(fresh.confidence, self.threshold))

    def search(self, text: str, last: Document, *, said: bool = True) -> SearchResult:
        """The follow-up search: within the last topic, unless the search over every topic
        is clearly surer. An entry that was said is left out: a follow-up asks something
        else about the subject ("那要钱不" after "谁能去吃"); the nearest entry of a
        referral was not said, and may be the answer now."""
        query = f"{text} {subject_of(last.title)}"
        # Asked again about what the entry just said answers ("去哪领" after "怎么领补贴"),
        # the entry is the answer again.
        wanted = facets_asked(text)
        again = bool(wanted & facets_of(last.title))
        exclude = {last.id} if said and not again else set()
        anywhere = self.retriever.search(query, top_k=TOP_K, exclude=exclude)
        if not last.topic:
            return anywhere
        within = self.retriever.search(
            query, top_k=FACET_POOL, topics={last.topic}, exclude=exclude
        )
        if not within.hits or anywhere.confidence - within.confidence > OTHER_TOPIC_MARGIN:
            return anywhere
        best = facet_position(within, wanted, subject_of(last.title))
        if said and best is None and wanted & facets_of(last.text):
            # No other entry of the topic names what is asked, and the answer just said
            # does ("一年来几回" after "…每年至少随访4次"): it is the answer again.
            again_hit = Hit(document=last, score=within.hits[0].score)
            return replace(within, hits=[again_hit, *within.hits][:TOP_K])
        return _first(within, best)

    def choose(
        self,
        text: str,
        fresh: SearchResult,
        fresh_entry: Document | None,
        last: Document,
        *,
        said: bool = True,
    ) -> SearchResult:
        """The fresh search, or the follow-up search when the message leans on ``last``
        (the entry just said, or when ``said`` is false the nearest entry of a referral)."""
        short = is_short(text)
        if _answers_in_topic(text, fresh_entry, last):
            # Its own words already find, in the topic just discussed, the entry that
            # answers what it asks ("去哪领" -> "怎么领以旧换新补贴" after another trade-in
            # entry), which the subject's words may push out of the follow-up search.
            return replace(fresh, confidence=max(fresh.confidence, self.threshold))
        fresh_sure = self.confident(fresh) and fresh_entry is not None
        same_topic = fresh_sure and fresh_entry is not None and fresh_entry.topic == last.topic
        if fresh_sure and not short and not same_topic:
            return fresh  # a new question of its own
        titled = fresh_entry is not None and _shares_run(text, fresh_entry.title, 3)
        if fresh_sure and titled and not names_no_subject(text):
            # It names its own subject, and the entry it finds is titled so ("配助听器给补不"
            # -> "助听器补贴" after how to check hearing): a new question of its own.
            return fresh
        follow = self.search(text, last, said=said)
        if not follow.hits:
            return fresh
        if names_no_subject(text):
            # Only the entry just discussed can give it a subject, however sure the search
            # of its own words looks ("政府给补不" alone finds some subsidy or other).
            return replace(follow, confidence=max(follow.confidence, self.threshold))
        if follow.confidence < self.threshold - FOLLOW_UP_RELAX:
            return fresh
        if not fresh_sure or follow.confidence >= fresh.confidence:
            return replace(follow, confidence=max(follow.confidence, self.threshold))
        return fresh


def _answers_in_topic(text: str, entry: Document | None, last: Document) -> bool:
    """Whether ``entry`` (a message's own best hit) is in the topic of ``last`` and its
    title names a facet the message asks about."""
    if entry is None or entry.kind != "entry" or not last.topic or entry.topic != last.topic:
        return False
    wanted = facets_asked(text)
    # What it asks of the subject, once the facet words are gone ("去哪查" -> "查"): a title
    # that says it ("怎么查听力") answers it, whichever facet word the title uses.
    own = FILLER_RE.sub("", _FACET_RE.sub("", text))
    named = bool(wanted & facets_of(entry.title)) or (0 < len(own) <= 2 and own in entry.title)
    return named and (entry.id != last.id or bool(wanted & facets_of(last.title)))


def _shares_run(text: str, title: str, n: int) -> bool:
    """Whether ``title`` holds ``n`` characters in a row of ``text``."""
    return any(text[i : i + n] in title for i in range(len(text) - n + 1))


def by_facet(result: SearchResult, wanted: set[str], subject: str = "") -> SearchResult:
    """``result`` with the hit whose title best answers the ``wanted`` facets first (the
    title says which facet an entry answers: "助餐免费吗", "申请家床带啥材料"): each wanted
    facet the title names counts two, each other facet it names costs one; ties keep the
    order of the search."""
    return _first(result, facet_position(result, wanted, subject))


def _first(result: SearchResult, best: int | None) -> SearchResult:
    """``result`` with the hit at ``best`` first (the order of the search when ``None``)."""
    if best is None:
        return replace(result, hits=result.hits[:TOP_K])
    hits = [result.hits[best], *result.hits[:best], *result.hits[best + 1 :]]
    return replace(result, hits=hits[:TOP_K])


def facet_position(result: SearchResult, wanted: set[str], subject: str = "") -> int | None:
    """The position of the hit whose title best answers the ``wanted`` facets, if any
    title names one (scored as in :func:`by_facet`). When some title shares a word of the
    ``subject`` just discussed, only those compete: "俺家不吃低保也给发不" after the
    old-age allowance asks who gets *that*, not who may join the residents' pension."""
    on_subject = {n for n, h in enumerate(result.hits) if _shares_run(subject, h.document.title, 2)}
    best, best_score = None, 0
    for n, hit in enumerate(result.hits):
        if hit.document.kind != "entry" or not wanted or (on_subject and n not in on_subject):
            continue
        named = facets_of(hit.document.title)
        score = 2 * len(named & wanted) - len(named - wanted)
        if named & wanted and score > best_score:
            best, best_score = n, score
    return best


def scam_follow_up(text: str, last: Document | None) -> bool:
    """A short question right after a scam answer ("那我该咋办")."""
    return last is not None and last.topic == "scam" and is_short(text) and is_question(text)
