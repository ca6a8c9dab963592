"""Saying a knowledge entry to the user: first bubble, citations, related buttons, old rules.

Every text comes from the entry (knowledge/data/entries) or from a domain response; this
module only chooses and assembles.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from rasa_sdk.executor import CollectingDispatcher

if TYPE_CHECKING:
    from actions.base import ActionServices
    from knowledge.corpus import Corpus
    from knowledge.documents import Document
    from knowledge.retriever import Retriever

MAX_RELATED = 3
_LONG_NUMBER_RE = re.compile(r"\d{4,}")
_DOTTED_DIGITS_RE = re.compile(r"(?<=\d)\.(?=\d)")
_SOURCE_TITLE_CHARS = 40


def retriever_of(services: ActionServices) -> Retriever:
    """The knowledge retriever; the app always loads one, so its absence is a bug."""
    if services.retriever is None:
        raise RuntimeError("this action needs the knowledge retriever")
    return services.retriever


def today() -> dt.date:
    """The current date (a function so tests can pin it)."""
    return dt.date.today()


def citations(doc: Document, corpus: Corpus) -> list[dict[str, str]]:
    """Plan clauses an entry rests on; its fact-sheet sources when it cites no clause.

    Returns:
        ``[{"clause_id": "T1", "title": "...", "kind": "clause"}]``; fact-sheet sources
        keep their own ids (``S44``), the source's title and ``"kind": "source"`` (the
        plan's own clause ids S1..S7 look alike, so the kind tells them apart).
    """
    found: list[dict[str, str]] = []
    for cid in doc.clause_ids:
        clause = corpus.by_id.get(cid)
        if clause is not None and clause.kind == "clause":
            found.append({"clause_id": cid, "title": clause.title, "kind": "clause"})
    if found:
        return found
    for sid in doc.sources:
        try:
            title, _when = corpus.source_info(sid)
        except KeyError:
            continue
        if len(title) > _SOURCE_TITLE_CHARS:
            title = title[: _SOURCE_TITLE_CHARS - 1] + "…"
        found.append({"clause_id": sid, "title": title, "kind": "source"})
    return found


def response_text(domain: dict[str, Any], name: str, **values: Any) -> str:
    """The first text variant of a domain response, with ``{placeholders}`` filled."""
    variants = (domain.get("responses") or {}).get(name) or []
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


def entry_button(doc: Document, domain: dict[str, Any]) -> dict[str, str]:
    """A "想了解：<title>" button that answers the entry directly."""
    payload = "/ask_policy" + json.dumps({"entry_id": encode_entry_id(doc.id)}, ensure_ascii=False)
    return {
        "title": response_text(domain, "utter_related_button", title=doc.title),
        "payload": payload,
    }


def related_buttons(
    docs: Iterable[Document], domain: dict[str, Any], exclude: Sequence[str] = ()
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


# Words an entry may open with when it answers a yes/no question ("中不中？" -> "中。").
REPLY_WORDS = ("中", "能", "有", "会", "可以", "是的", "不能", "没有", "不会", "不用")
YES_NO_MARKERS = ("吗", "么", "不", "没", "否", "可以", "中不中")


def asked_yes_no(question: str) -> bool:
    """True when the user's words ask for a yes or a no (扶手能装吗, 中不中, 有没有)."""
    return any(marker in question for marker in YES_NO_MARKERS)


def without_reply_word(text: str) -> str:
    """The answer without an opening "中。"/"能。" that only fits a yes/no question."""
    for word in REPLY_WORDS:
        if text.startswith(word + "。") and len(text) > len(word) + 1:
            return text[len(word) + 1 :]
    return text


def say_entry(
    dispatcher: CollectingDispatcher,
    doc: Document,
    corpus: Corpus,
    *,
    hotline: str,
    buttons: list[dict[str, str]] | None = None,
    on: dt.date | None = None,
    question: str | None = None,
) -> None:
    """Utter an entry's first bubble with its citations (and buttons).

    A rule whose ``valid_until`` has passed is said as that year's rule, followed by a
    bubble that sends the user to 社区/村委会 or the hotline for the current year.
    An opening "中。"/"能。" is kept only when ``question`` asked for a yes or a no; a
    guide that quotes the entry passes no question, so the reply word is dropped.
    """
    on = on or today()
    cited = {"citations": citations(doc, corpus)}
    past = is_past(doc, on)
    text = doc.text if question and asked_yes_no(question) else without_reply_word(doc.text)
    if past and doc.valid_until is not None and not _names_year(text, doc.valid_until.year):
        dispatcher.utter_message(
            response="utter_past_rule_answer",
            year=doc.valid_until.year,
            answer=text,
            buttons=None if past else buttons,
            json_message=cited,
        )
    else:
        dispatcher.utter_message(text=text, buttons=None if past else buttons, json_message=cited)
    if past and doc.valid_until is not None:
        dispatcher.utter_message(
            response="utter_past_rule",
            year=doc.valid_until.year,
            this_year=on.year,
            hotline=hotline,
            buttons=buttons,
        )


def _names_year(text: str, year: int) -> bool:
    return text.lstrip().startswith((f"这是{year}年", f"{year}年"))


def say_steps(dispatcher: CollectingDispatcher, doc: Document) -> None:
    """The entry's steps as one numbered bubble (nothing when it has none)."""
    if doc.steps:
        numbered = " ".join(f"{i}. {step}" for i, step in enumerate(doc.steps, start=1))
        dispatcher.utter_message(response="utter_steps", steps=numbered)


def summary(doc: Document) -> str:
    """The first sentence of an entry's answer."""
    text = doc.text.strip()
    cuts = [i for i in (text.find(end) for end in "。！？") if 0 < i < len(text) - 1]
    return text[: min(cuts) + 1] if cuts else text
