"""Bot messages to WeChat text: buttons as numbered lines, cut under the byte limit."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from channels.wechat.texts import Texts

MAX_TEXT_BYTES = 2048  # WeChat's limit on one text message (passive reply and API)

_SENTENCE_END = re.compile(r"(?<=[。！？；!?;])")


class ButtonLike(Protocol):
    @property
    def title(self) -> str: ...

    @property
    def payload(self) -> str: ...


class CitationLike(Protocol):
    @property
    def title(self) -> str: ...


class MessageLike(Protocol):
    """The fields of ``core.messages.BotMessage`` this module reads."""

    @property
    def text(self) -> str | None: ...

    @property
    def buttons(self) -> Sequence[ButtonLike]: ...

    @property
    def citations(self) -> Sequence[CitationLike]: ...


@dataclass
class Rendered:
    """WeChat-ready text parts and the payloads of the numbered lines in them."""

    parts: list[str] = field(default_factory=list)
    payloads: list[str] = field(default_factory=list)


def render(
    messages: Sequence[MessageLike], texts: Texts, max_bytes: int = MAX_TEXT_BYTES
) -> Rendered:
    """Turn bot messages into text parts of at most ``max_bytes`` UTF-8 bytes each.

    Buttons of all messages are numbered from 1 in order of appearance.
    """
    blocks: list[str] = []
    payloads: list[str] = []
    for message in messages:
        lines: list[str] = []
        if message.text and message.text.strip():
            lines.append(message.text.strip())
        titles = [citation_title(c, texts) for c in message.citations if c.title]
        if titles:
            lines.append(texts.citation_line.format(titles="；".join(dict.fromkeys(titles))))
        for button in message.buttons:
            payloads.append(button.payload)
            lines.append(texts.button_line.format(number=len(payloads), title=button.title))
        if lines:
            blocks.append("\n".join(lines))
    text = "\n\n".join(blocks)
    return Rendered(parts=split_text(text, max_bytes) if text else [], payloads=payloads)


def citation_title(citation: CitationLike, texts: Texts) -> str:
    """What residents read for one citation: a plan clause is named as the plan's."""
    if getattr(citation, "kind", "clause") == "clause":
        return texts.clause_title.format(title=citation.title)
    return citation.title


def _size(text: str) -> int:
    return len(text.encode("utf-8"))


def _hard_split(text: str, max_bytes: int) -> list[str]:
    pieces: list[str] = []
    current = ""
    for ch in text:
        if _size(current + ch) > max_bytes:
            pieces.append(current)
            current = ""
        current += ch
    if current:
        pieces.append(current)
    return pieces


def _units(text: str, max_bytes: int) -> list[tuple[str, str]]:
    """Lines, then sentences, then characters: the largest pieces that fit.

    Each piece comes with the joiner that glues it to the previous one: a line break
    between lines, nothing between pieces of one long line.
    """
    units: list[tuple[str, str]] = []
    for line in text.split("\n"):
        if _size(line) <= max_bytes:
            units.append(("\n", line))
            continue
        pieces: list[str] = []
        for sentence in _SENTENCE_END.split(line):
            if _size(sentence) <= max_bytes:
                pieces.append(sentence)
            else:
                pieces.extend(_hard_split(sentence, max_bytes))
        units.extend(("" if i else "\n", p) for i, p in enumerate(x for x in pieces if x))
    return units


def split_text(text: str, max_bytes: int = MAX_TEXT_BYTES) -> list[str]:
    """Split ``text`` into parts of at most ``max_bytes`` UTF-8 bytes.

    Cuts at line breaks, else at sentence ends, else between characters; blank parts and
    leading or trailing line breaks are dropped.
    """
    if max_bytes < 4:
        raise ValueError("max_bytes must hold at least one character")
    if _size(text) <= max_bytes:
        return [text]
    parts: list[str] = []
    current = ""
    for joiner, unit in _units(text, max_bytes):
        candidate = current + joiner + unit if current else unit
        if _size(candidate) <= max_bytes:
            current = candidate
            continue
        if current.strip():
            parts.append(current.strip("\n"))
        current = unit
    if current.strip():
        parts.append(current.strip("\n"))
    return parts
