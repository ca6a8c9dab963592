"""The knowledge vocabulary: domain terms, the dialect map and the words of the corpus.

Both environments build their :class:`~textnorm.normalize.Normalizer` with
:func:`load_vocabulary`, from the same files under ``knowledge/data``, so Rasa's NLU and
the retriever repair a message the same way.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from textnorm.normalize import Normalizer, TextAnalyzer, load_synonyms, load_terms

TERMS_FILE = Path("jieba") / "terms.txt"
SYNONYMS_FILE = Path("synonyms.yml")
ENTRIES_DIR = Path("entries")
PLAN_FILE = Path("sources") / "plan.md"
# Fields of an entry whose words are vocabulary (what residents read and ask).
_ENTRY_FIELDS = ("title", "answer", "more")
_LIST_FIELDS = ("questions", "steps")
MAX_QUERY_CHARS = 256


@dataclass(frozen=True)
class Vocabulary:
    """What the normaliser matches against.

    Attributes:
        terms: Domain terms with jieba frequencies (``jieba/terms.txt``).
        synonyms: Dialect or colloquial word -> standard word (``synonyms.yml``).
        corpus_words: Words of the plan and the entries, with counts.
    """

    terms: dict[str, int]
    synonyms: dict[str, str]
    corpus_words: dict[str, int]

    def analyzer(self) -> TextAnalyzer:
        """A jieba segmenter that knows the terms and the dialect words."""
        return TextAnalyzer(self.terms, [*self.synonyms, *self.synonyms.values()])

    def normalizer(
        self, analyzer: TextAnalyzer | None = None, max_chars: int = MAX_QUERY_CHARS
    ) -> Normalizer:
        """The normaliser over this vocabulary."""
        return Normalizer(
            analyzer or self.analyzer(),
            self.terms,
            self.synonyms,
            self.corpus_words,
            max_chars=max_chars,
        )

    def as_dict(self) -> dict[str, Any]:
        """Plain data (stored inside the Rasa model)."""
        return {"terms": self.terms, "synonyms": self.synonyms, "corpus_words": self.corpus_words}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Vocabulary:
        """Inverse of :meth:`as_dict`."""
        return cls(dict(data["terms"]), dict(data["synonyms"]), dict(data["corpus_words"]))


def corpus_texts(knowledge_dir: Path) -> list[str]:
    """Texts whose words make up the vocabulary: the plan and every entry's fields."""
    texts: list[str] = []
    plan = knowledge_dir / PLAN_FILE
    if plan.is_file():
        texts.append(plan.read_text(encoding="utf-8"))
    entries_dir = knowledge_dir / ENTRIES_DIR
    for path in sorted(entries_dir.glob("*.y*ml")) if entries_dir.is_dir() else []:
        for entry in yaml.safe_load(path.read_text(encoding="utf-8")) or []:
            if not isinstance(entry, dict):
                continue
            texts.extend(str(entry[k]) for k in _ENTRY_FIELDS if entry.get(k))
            for key in _LIST_FIELDS:
                texts.extend(str(v) for v in entry.get(key) or [])
    return texts


def count_words(texts: Iterable[str], analyzer: TextAnalyzer) -> dict[str, int]:
    """Counts of the (search-mode) words of ``texts``."""
    counts: Counter[str] = Counter()
    for text in texts:
        counts.update(analyzer.search_words(text.lower()))
    return dict(counts)


def load_vocabulary(knowledge_dir: Path) -> Vocabulary:
    """Read the vocabulary from ``knowledge_dir`` (``knowledge/data``)."""
    knowledge_dir = Path(knowledge_dir)
    terms = load_terms(knowledge_dir / TERMS_FILE)
    synonyms = load_synonyms(knowledge_dir / SYNONYMS_FILE)
    analyzer = TextAnalyzer(terms, [*synonyms, *synonyms.values()])
    return Vocabulary(terms, synonyms, count_words(corpus_texts(knowledge_dir), analyzer))


def vocabulary_digest(knowledge_dir: Path) -> str:
    """SHA-256 over the normaliser's code (this package) and the vocabulary's files: what
    a normalisation depends on (Rasa's training cache keys the NLU component on it)."""
    knowledge_dir = Path(knowledge_dir)
    files = sorted(Path(__file__).parent.glob("*.py"))
    files += [knowledge_dir / TERMS_FILE, knowledge_dir / SYNONYMS_FILE, knowledge_dir / PLAN_FILE]
    files += sorted((knowledge_dir / ENTRIES_DIR).glob("*.y*ml"))
    digest = hashlib.sha256()
    for path in files:
        digest.update(path.name.encode())
        digest.update(path.read_bytes() if path.is_file() else b"-")
    return digest.hexdigest()
