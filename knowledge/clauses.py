"""Parse the city plan (阳政办发〔2025〕37号) into clauses with stable ids.

The source markdown uses inconsistent heading levels and has page-break artefacts
(a sentence split across a blank line). Parsing therefore relies on the numbering
(``一、``, ``（一）``, ``1.``) and not on markdown levels.

Clause ids (contract): ``A1`` 指导思想, ``A2`` 发展定位, ``T1``..``T18`` the numbered tasks,
``S1``..``S7`` 要素支撑 (一)..(七), ``G1``..``G3`` 保障措施 (一)..(三).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from textnorm.numerals import cn_number

# Section number (一、..四、) -> clause id prefix for its sub-sections.
SECTION_PREFIXES = {1: "A", 3: "S", 4: "G"}
TASK_SECTION = 2
TASK_PREFIX = "T"

_SECTION_RE = re.compile(r"^([一二三四五六七八九十]+)、\s*(.+)$")
_SUBSECTION_RE = re.compile(r"^[（(]([一二三四五六七八九十]+)[）)]\s*(.+)$")
_TASK_RE = re.compile(r"^(\d{1,2})[.．、]\s*(.+)$")
_END_RE = re.compile(r"^(-{3,}|\*{3,}|_{3,})$")
_DEPT_RE = re.compile(r"[（(]责任单位[:：](.+?)[）)]\s*。?\s*$")
_ALL_TASKS_RE = re.compile(r"各项任务均需(.+?)落实")
# A paragraph ending with one of these is complete; otherwise a page break split it.
_COMPLETE_ENDINGS = tuple("。！？；：）)”」")
_SENTENCE_RE = re.compile(r"[^。！？；]+[。！？；]?")


@dataclass(frozen=True)
class Clause:
    """One clause of the plan.

    Attributes:
        id: Contract id (``A1``, ``T5``, ``S7``, ``G3`` ...).
        title: Heading of the clause (for tasks: the name before the first full stop).
        text: Full text, page-break artefacts repaired, numbering removed.
        group: Heading of the group it belongs to (a section, or for tasks the action group).
        departments: Responsible departments (责任单位), in source order.
    """

    id: str
    title: str
    text: str
    group: str
    departments: tuple[str, ...]


def _cn_number(text: str) -> int:
    """A section number (一 .. 九十九) by the one numeral table; 0 if it is not one."""
    return cn_number(text) or 0


def _strip_markup(line: str) -> str:
    line = line.strip()
    line = re.sub(r"^#+\s*", "", line)
    line = line.replace("**", "")
    return line.strip()


def _is_heading(paragraph: str) -> bool:
    return bool(_SECTION_RE.match(paragraph) or _SUBSECTION_RE.match(paragraph))


def _is_structural(paragraph: str) -> bool:
    return (
        _is_heading(paragraph) or bool(_TASK_RE.match(paragraph)) or bool(_END_RE.match(paragraph))
    )


def body_paragraphs(text: str) -> list[str]:
    """Paragraphs of the plan's body (from ``一、`` to the closing rule), artefacts repaired.

    Args:
        text: The plan markdown.

    Returns:
        Paragraphs in order; a sentence split over a page break is joined again.
    """
    raw: list[str] = []
    current: list[str] = []
    for line in text.splitlines():
        stripped = _strip_markup(line)
        if not stripped:
            if current:
                raw.append("".join(current))
                current = []
            continue
        if _is_structural(stripped) and current:
            raw.append("".join(current))
            current = []
        current.append(stripped)
    if current:
        raw.append("".join(current))

    start = next(
        (
            i
            for i, p in enumerate(raw)
            if (m := _SECTION_RE.match(p)) and _cn_number(m.group(1)) == 1
        ),
        None,
    )
    if start is None:
        raise ValueError("plan has no section 一、")
    end = next((i for i in range(start, len(raw)) if _END_RE.match(raw[i])), len(raw))

    paragraphs: list[str] = []
    for para in raw[start:end]:
        previous = paragraphs[-1] if paragraphs else ""
        if (
            previous
            and not _is_heading(previous)
            and not previous.endswith(_COMPLETE_ENDINGS)
            and not _is_structural(para)
        ):
            paragraphs[-1] = previous + para
        else:
            paragraphs.append(para)
    return paragraphs


def parse_departments(text: str) -> tuple[str, ...]:
    """Responsible departments named in a clause's ``（责任单位：…）`` note.

    Args:
        text: Clause text.

    Returns:
        Department names in source order, without duplicates; empty if there is no note.
    """
    match = _DEPT_RE.search(text)
    if not match:
        return ()
    first_sentence = match.group(1).split("。")[0]
    names = [name.strip(" .。") for name in re.split(r"[、，,；;]", first_sentence)]
    return tuple(dict.fromkeys(name for name in names if name))


def parse_plan(text: str) -> list[Clause]:
    """Parse the plan into its 33 clauses.

    Args:
        text: The plan markdown.

    Returns:
        Clauses in document order.

    Raises:
        ValueError: If the numbering cannot be followed.
    """
    state = _PlanState()
    for para in body_paragraphs(text):
        state.read(para)
    return _add_shared_departments([_clause_of(item) for item in state.pending])


@dataclass
class _PlanState:
    """Where the parser is in the numbering, and the clauses read so far (as parts)."""

    section: int = 0
    section_title: str = ""
    group: str = ""
    pending: list[dict[str, object]] = field(default_factory=list)

    def read(self, para: str) -> None:
        """Take one body paragraph: a heading, a task, or more text of the last clause.

        Raises:
            ValueError: If the numbering cannot be followed.
        """
        if m := _SECTION_RE.match(para):
            self.section, self.section_title = _cn_number(m.group(1)), m.group(2).strip()
            self.group = self.section_title
            return
        if m := _SUBSECTION_RE.match(para):
            self._subsection(_cn_number(m.group(1)), m.group(2).strip(), para)
            return
        if self.section == TASK_SECTION and (m := _TASK_RE.match(para)):
            body = m.group(2).strip()
            title = body.split("。", 1)[0]
            self.pending.append(
                {
                    "id": f"{TASK_PREFIX}{int(m.group(1))}",
                    "title": title,
                    "group": self.group,
                    "parts": [body],
                }
            )
            return
        if not self.pending:
            raise ValueError(f"text before the first clause: {para[:20]}")
        self.pending[-1]["parts"].append(para)  # type: ignore[attr-defined]

    def _subsection(self, number: int, title: str, para: str) -> None:
        """A ``（一）`` heading: an action group of the tasks, or a clause of its own."""
        if self.section == TASK_SECTION:
            self.group = title
        elif self.section in SECTION_PREFIXES:
            self.pending.append(
                {
                    "id": f"{SECTION_PREFIXES[self.section]}{number}",
                    "title": title,
                    "group": self.section_title,
                    "parts": [],
                }
            )
        else:
            raise ValueError(f"sub-section outside a known section: {para[:20]}")


def _clause_of(item: dict[str, object]) -> Clause:
    body = "\n".join(item["parts"])  # type: ignore[arg-type]
    return Clause(
        id=str(item["id"]),
        title=str(item["title"]),
        text=body,
        group=str(item["group"]),
        departments=parse_departments(body),
    )


def _add_shared_departments(clauses: list[Clause]) -> list[Clause]:
    """Apply the plan's note that every task also falls to another body (各县区人民政府)."""
    shared: list[str] = []
    for clause in clauses:
        if m := _ALL_TASKS_RE.search(clause.text):
            shared.extend(name for name in re.split(r"[、，]", m.group(1)) if name)
    if not shared:
        return clauses
    result = []
    for clause in clauses:
        if clause.id.startswith(TASK_PREFIX):
            departments = tuple(dict.fromkeys([*clause.departments, *shared]))
            clause = Clause(clause.id, clause.title, clause.text, clause.group, departments)
        result.append(clause)
    return result


def split_sentences(text: str) -> list[str]:
    """Split Chinese text into sentences (ending in 。！？；), stripped, empties dropped."""
    return [s.strip() for s in _SENTENCE_RE.findall(text.replace("\n", "")) if s.strip()]
