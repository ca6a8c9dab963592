"""The retrievable unit of the knowledge base."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal

DocumentKind = Literal["clause", "entry"]


@dataclass(frozen=True)
class Document:
    """One retrievable document: a clause of the plan or a plain-language entry.

    Attributes:
        id: Clause id (``T1``) or entry id (``meal-who-can-use``).
        kind: ``"clause"`` or ``"entry"``.
        title: Short title (clause heading or entry button label).
        text: Clause text, or the entry's first answer bubble.
        clause_ids: Plan clauses the document rests on (a clause lists itself).
        topic: Entry topic (``meal``, ``scam`` ...); ``None`` for clauses.
        questions: Phrasings of the question an entry answers.
        more: Optional longer part of an entry's answer.
        steps: Optional numbered steps of an entry.
        sources: Fact-sheet source ids (``S1``..``S58``) an entry rests on.
        departments: Responsible departments (clauses only).
        valid_from: Date a dated rule starts, if any.
        valid_until: Date a dated rule ends, if any.
        meta: Anything else found in the data (``group`` of a clause, ``scam_type`` ...).
    """

    id: str
    kind: DocumentKind
    title: str
    text: str
    clause_ids: tuple[str, ...] = ()
    topic: str | None = None
    questions: tuple[str, ...] = ()
    more: str | None = None
    steps: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    departments: tuple[str, ...] = ()
    valid_from: date | None = None
    valid_until: date | None = None
    meta: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)

    def full_text(self) -> str:
        """Answer plus the optional longer part, as shown to an operator."""
        parts = [self.text]
        if self.more:
            parts.append(self.more)
        return "\n".join(parts)


@dataclass(frozen=True)
class Hit:
    """One retrieved document.

    Attributes:
        document: The document.
        score: Fused score in [0, 1] (hybrid), BM25 score (bm25) or cosine (dense).
        lexical: BM25 score of the document for the query.
        dense: Best cosine of the document's rows (``None`` in bm25 mode).
    """

    document: Document
    score: float
    lexical: float = 0.0
    dense: float | None = None
