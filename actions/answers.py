"""Saying a knowledge entry to the user: first bubble, citations, buttons, dated rules.

Every text comes from the entry (knowledge/data/entries) or from a domain response; this
module only chooses and assembles.

* The first bubble is the entry's ``answer``, the same after every phrasing of its
  questions (there is no yes/no opener to keep or drop).
* ``more`` and ``steps`` are offered behind "详细说说" / "怎么办" buttons whose payload is
  ``/ask_policy{"entry_id": "...", "part": "more"}``; :func:`say_entry_part` says them.
* Every citation says how far its fact reaches (``scope``, a contract): a plan clause is
  ``yangquan``, a source has the scope of its registry item.
* Dated rules follow the one clock (:mod:`core.clock`): a rule not yet in force says when
  it starts; a rule that has ended is said as that year's rule.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterable, Sequence
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml
from rasa_sdk.executor import CollectingDispatcher

from core import clock

if TYPE_CHECKING:
    from actions.base import ActionServices
    from knowledge.corpus import Corpus
    from knowledge.documents import Document
    from knowledge.retriever import Retriever

MAX_RELATED = 3
PARTS = ("more", "steps")
# Domain responses holding the titles of the part buttons.
PART_BUTTONS = {"more": "utter_more_button", "steps": "utter_steps_button"}
# Words that carry the qualifier a sentence needs to be true; "说简单点" keeps them.
QUALIFIERS = (
    "没有公开",
    "没找到",
    "没有找到",
    "没有确认",
    "还没确认",
    "不代表",
    "能不能补助",
    "为准",
    "特殊困难",
)
_LONG_NUMBER_RE = re.compile(r"\d{4,}")
_DOTTED_DIGITS_RE = re.compile(r"(?<=\d)\.(?=\d)")
_SENTENCE_RE = re.compile(r"[^。！？]+[。！？]?")
_DOMAIN_FILE = Path(__file__).resolve().parent.parent / "domain.yml"


def retriever_of(services: ActionServices) -> Retriever:
    """The knowledge retriever; the app always loads one, so its absence is a bug."""
    if services.retriever is None:
        raise RuntimeError("this action needs the knowledge retriever")
    return services.retriever


def today() -> dt.date:
    """Today from the one clock (Asia/Shanghai, or ``YINFA_TODAY``)."""
    return clock.today()


def citations(doc: Document, corpus: Corpus) -> list[dict[str, str]]:
    """What an entry rests on: its plan clauses, then its sources, each with its scope.

    A plan clause is cited only for what it says (the entry's ``clause_ids``); national,
    provincial and other places' facts are cited as their own sources, never folded into
    a Yangquan clause.

    Returns:
        ``[{"clause_id": "T1", "title": "老年助餐行动", "kind": "clause", "scope": "yangquan"},
        {"clause_id": "S5", "title": "民政部等 老年助餐行动方案要点 2023年", "kind": "source",
        "scope": "national"}]``. A source's title is its plain title (issuer, short name,
        year); operators see the full source line in the console. ``scope`` is one of
        ``yangquan``, ``shanxi``, ``national``, ``elsewhere`` (**contract**).
    """
    found: list[dict[str, str]] = []
    for cid in doc.clause_ids:
        clause = corpus.by_id.get(cid)
        if clause is not None and clause.kind == "clause":
            found.append(
                {"clause_id": cid, "title": clause.title, "kind": "clause", "scope": "yangquan"}
            )
    for sid in doc.sources:
        try:
            record = corpus.source_record(sid)
        except KeyError:
            continue
        found.append(
            {"clause_id": sid, "title": record.plain, "kind": "source", "scope": record.scope}
        )
    return found


@lru_cache(maxsize=1)
def _file_domain() -> dict[str, Any]:
    return dict(yaml.safe_load(_DOMAIN_FILE.read_text(encoding="utf-8")) or {})


def response_text(domain: dict[str, Any] | None, name: str, **values: Any) -> str:
    """The first text variant of a domain response, with ``{placeholders}`` filled.

    Without a domain (or when it lacks the response), ``domain.yml`` itself is read.
    """
    responses = (domain or {}).get("responses") or {}
    if name not in responses:
        responses = _file_domain().get("responses") or {}
    variants = responses.get(name) or []
    text = str(variants[0].get("text", "")) if variants else ""
    for key, value in values.items():
        text = text.replace("{" + key + "}", str(value))
    return text


def encode_entry_id(entry_id: str) -> str:
    """Entry id safe from the app's redaction of long numbers (2025 -> 2.0.2.5)."""
    return _LONG_NUMBER_RE.sub(lambda m: ".".join(m.group(0)), entry_id)


def decode_entry_id(value: str) -> str:
    """Inverse of :func:`encode_entry_id` (entry ids never contain dots)."""
    return _DOTTED_DIGITS_RE.sub("", value)


def _payload(doc: Document, **extra: str) -> str:
    body = {"entry_id": encode_entry_id(doc.id), **extra}
    return "/ask_policy" + json.dumps(body, ensure_ascii=False)


def entry_button(doc: Document, domain: dict[str, Any] | None) -> dict[str, str]:
    """A "想了解：<title>" button that answers the entry directly."""
    return {
        "title": response_text(domain, "utter_related_button", title=doc.title),
        "payload": _payload(doc),
    }


def part_buttons(
    doc: Document, domain: dict[str, Any] | None = None, *, skip: str | None = None
) -> list[dict[str, str]]:
    """ "详细说说" (``more``) and "怎么办" (``steps``) buttons for the parts the entry has.

    The payload is ``/ask_policy{"entry_id": "<id>", "part": "more"}``; the policy action
    answers it with :func:`say_entry_part`.
    """
    buttons = []
    for part in PARTS:
        if part != skip and getattr(doc, part):
            buttons.append(
                {
                    "title": response_text(domain, PART_BUTTONS[part]),
                    "payload": _payload(doc, part=part),
                }
            )
    return buttons


def related_buttons(
    docs: Iterable[Document], domain: dict[str, Any] | None, exclude: Sequence[str] = ()
) -> list[dict[str, str]]:
    """Up to three entry buttons, skipping clauses, duplicates and ``exclude``."""
    seen = set(exclude)
    buttons = []
    for doc in docs:
        if doc.kind != "entry" or doc.id in seen:
            continue
        seen.add(doc.id)
        buttons.append(entry_button(doc, domain))
        if len(buttons) == MAX_RELATED:
            break
    return buttons


def is_past(doc: Document, on: dt.date | None = None) -> bool:
    """Whether a dated rule ended before ``on`` (today by default)."""
    return doc.valid_until is not None and doc.valid_until < (on or today())


def is_future(doc: Document, on: dt.date | None = None) -> bool:
    """Whether a dated rule starts after ``on`` (today by default)."""
    return doc.valid_from is not None and doc.valid_from > (on or today())


def in_force(doc: Document, on: dt.date | None = None) -> bool:
    """Whether a rule applies on ``on``: started and not ended."""
    return not is_past(doc, on) and not is_future(doc, on)


def chinese_date(day: dt.date) -> str:
    """``2026年1月1日``."""
    return f"{day.year}年{day.month}月{day.day}日"


def say_entry(
    dispatcher: CollectingDispatcher,
    doc: Document,
    corpus: Corpus,
    *,
    hotline: str,
    buttons: list[dict[str, str]] | None = None,
    on: dt.date | None = None,
    question: str | None = None,
    domain: dict[str, Any] | None = None,
) -> None:
    """Utter an entry's first bubble with its citations and buttons.

    The buttons are "详细说说"/"怎么办" for the entry's ``more``/``steps``, then
    ``buttons`` (related entries).

    * A rule that has not started (``valid_from`` after today) is said with its start date.
    * A rule whose ``valid_until`` has passed is said as that year's rule, followed by a
      bubble that sends the user to 社区/村委会 or the hotline for the current year.

    ``question`` is accepted for callers and not used: every answer is written to read
    right after any phrasing of its questions.
    """
    del question
    on = on or today()
    cited = {"citations": citations(doc, corpus), "entry_id": doc.id}
    offered = [*part_buttons(doc, domain), *(buttons or [])] or None
    text = doc.text
    if is_future(doc, on) and doc.valid_from is not None:
        dispatcher.utter_message(
            response="utter_future_rule_answer",
            start=chinese_date(doc.valid_from),
            answer=text,
            buttons=offered,
            json_message=cited,
        )
        return
    if is_past(doc, on) and doc.valid_until is not None:
        year = doc.valid_until.year
        if _names_year(text, year):
            dispatcher.utter_message(text=text, json_message=cited)
        else:
            dispatcher.utter_message(
                response="utter_past_rule_answer", year=year, answer=text, json_message=cited
            )
        dispatcher.utter_message(
            response="utter_past_rule",
            year=year,
            this_year=on.year,
            hotline=hotline,
            buttons=offered,
        )
        return
    dispatcher.utter_message(text=text, buttons=offered, json_message=cited)


def say_entry_part(
    dispatcher: CollectingDispatcher,
    doc: Document,
    part: str,
    corpus: Corpus | None = None,
    *,
    domain: dict[str, Any] | None = None,
) -> bool:
    """Say an entry's ``more`` or ``steps`` (the "详细说说"/"怎么办" buttons).

    The bubble carries the entry's citations when ``corpus`` is given, and a button for
    the other part when the entry has one.

    Returns:
        False (and says nothing) when the entry has no such part; the caller then says
        the entry itself.
    """
    cited = {"citations": citations(doc, corpus), "entry_id": doc.id} if corpus else None
    other = part_buttons(doc, domain, skip=part) or None
    if part == "more" and doc.more:
        dispatcher.utter_message(
            response="utter_entry_more", more=doc.more, buttons=other, json_message=cited
        )
        return True
    if part == "steps" and doc.steps:
        say_steps(dispatcher, doc, buttons=other, json_message=cited)
        return True
    return False


def _names_year(text: str, year: int) -> bool:
    return text.lstrip().startswith((f"这是{year}年", f"{year}年"))


def say_steps(
    dispatcher: CollectingDispatcher,
    doc: Document,
    *,
    buttons: list[dict[str, str]] | None = None,
    json_message: dict[str, Any] | None = None,
) -> None:
    """The entry's steps as one numbered bubble (nothing when it has none)."""
    if doc.steps:
        numbered = " ".join(f"{i}. {step}" for i, step in enumerate(doc.steps, start=1))
        dispatcher.utter_message(
            response="utter_steps", steps=numbered, buttons=buttons, json_message=json_message
        )


def summary(doc: Document) -> str:
    """The answer said more simply: its first sentence, and every sentence with a qualifier.

    A qualifier (没有公开, 特殊困难, 不代表 ...) is what makes the answer true, so "说简单点"
    never drops it.
    """
    sentences = [s for s in _SENTENCE_RE.findall(doc.text.strip()) if s.strip()]
    if not sentences:
        return doc.text.strip()
    kept = [sentences[0]]
    for sentence in sentences[1:]:
        if any(q in sentence for q in QUALIFIERS):
            kept.append(sentence)
    return "".join(kept)


def plain_clause_title(title: str) -> str:
    """A plan clause's title without its number ("（三）老年助餐行动。" -> "老年助餐行动")."""
    return re.sub(r"^[（(]?[一二三四五六七八九十\d]+[)）、.．]\s*", "", title).strip("。 ")


def clause_citation(clause: Document) -> list[dict[str, str]]:
    """The citation of a plan clause a referral names."""
    return [{"clause_id": clause.id, "title": clause.title, "kind": "clause", "scope": "yangquan"}]


# Topics whose questions go to a contact other than 12345 (where a source names it): their
# referral and gap bubbles are ``utter_referral_contact_<topic>`` / ``utter_gap_contact_<topic>``.
OWN_CONTACT_TOPICS = frozenset({"pension", "ltc"})


def contact_response(base: str, topic: str | None) -> str:
    """``<base>_<topic>`` for topics with their own contact (12333, 医保), else ``base``."""
    return f"{base}_{topic}" if topic in OWN_CONTACT_TOPICS else base
