"""The frozen test set (tests/eval/test) stays unseen by everything the system learns from.

A word that occurs in the test set, but nowhere in the knowledge data or the dev set, may
not appear in a synonym key, a jieba term or an NLU training example: it could only have
come from the test set. Items that existed before the test set was written (their hashes
are in ``pre_freeze.yml``, taken from the last commit before it) cannot have come from it
and are not checked. Test stories may not copy NLU training examples either.
"""

from __future__ import annotations

import hashlib
import re
from functools import lru_cache
from pathlib import Path

import yaml

from tests.support.nlu import all_examples
from textnorm.normalize import load_synonyms, load_terms
from textnorm.vocabulary import load_vocabulary

ROOT = Path(__file__).resolve().parents[2]
TEST_DIR = ROOT / "tests" / "eval" / "test"
DEV_DIR = ROOT / "tests" / "eval" / "dev"
DATA = ROOT / "knowledge" / "data"
_CJK_WORD = re.compile(r"^[\u4e00-\u9fff]{2,}$")


def _texts(obj: object) -> list[str]:
    if isinstance(obj, str):
        return [obj]
    if isinstance(obj, dict):
        return [t for v in obj.values() for t in _texts(v)]
    if isinstance(obj, list):
        return [t for v in obj for t in _texts(v)]
    return []


def _yaml_texts(directory: Path) -> list[str]:
    return [
        t
        for path in sorted(directory.glob("*.yml"))
        for t in _texts(yaml.safe_load(path.read_text(encoding="utf-8")))
    ]


@lru_cache(maxsize=1)
def _analyzer():  # type: ignore[no-untyped-def]
    return load_vocabulary(DATA).analyzer()


def _words(texts: list[str]) -> set[str]:
    analyzer = _analyzer()
    return {w for t in texts for w in analyzer.search_words(t.lower()) if _CJK_WORD.match(w)}


@lru_cache(maxsize=1)
def only_in_test() -> frozenset[str]:
    """Words of the test set found nowhere in the knowledge data or the dev set."""
    known_text = "\n".join(
        [p.read_text(encoding="utf-8") for p in DATA.rglob("*") if p.suffix in {".yml", ".md"}]
        + _yaml_texts(DEV_DIR)
    )
    return frozenset(w for w in _words(_yaml_texts(TEST_DIR)) if w not in known_text)


def nlu_examples() -> list[str]:
    """Every NLU example, annotations reduced to their text ("[城区](district)" -> "城区")."""
    plain = (re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", line) for line in all_examples())
    return [line for line in plain if line]


@lru_cache(maxsize=1)
def pre_freeze() -> dict[str, frozenset[str]]:
    data = yaml.safe_load((Path(__file__).parent / "pre_freeze.yml").read_text(encoding="utf-8"))
    return {k: frozenset(v) for k, v in data.items() if isinstance(v, list)}


def added_since_freeze(texts: list[str], kind: str) -> list[str]:
    before = pre_freeze()[kind]
    return [t for t in texts if hashlib.sha1(t.encode()).hexdigest()[:12] not in before]


def leaks(texts: list[str]) -> list[tuple[str, str]]:
    bad = only_in_test()
    return [(t, w) for t in texts for w in bad if w in t]


def test_the_test_set_exists_and_is_large_enough() -> None:
    questions = yaml.safe_load((TEST_DIR / "questions.yml").read_text(encoding="utf-8"))
    conversations = yaml.safe_load((TEST_DIR / "conversations.yml").read_text(encoding="utf-8"))
    assert len(questions) >= 200 and len(conversations) >= 30


def test_no_synonym_key_comes_from_the_test_set() -> None:
    keys = added_since_freeze(list(load_synonyms(DATA / "synonyms.yml")), "synonym_keys")
    assert not leaks(keys)


def test_no_jieba_term_comes_from_the_test_set() -> None:
    terms = added_since_freeze(list(load_terms(DATA / "jieba" / "terms.txt")), "jieba_terms")
    assert not leaks(terms)


def test_no_nlu_example_uses_a_word_only_the_test_set_has() -> None:
    assert not leaks(added_since_freeze(nlu_examples(), "nlu_examples"))


def test_no_test_question_is_an_nlu_example() -> None:
    examples = set(added_since_freeze(nlu_examples(), "nlu_examples"))
    questions = {
        str(q["q"]).strip()
        for q in yaml.safe_load((TEST_DIR / "questions.yml").read_text(encoding="utf-8"))
    }
    assert not questions & examples


def test_the_guard_would_catch_a_leak() -> None:
    """The check can fail: a made-up word placed in the test set would be caught."""
    bad = only_in_test()
    assert bad, "the test set has words of its own"
    word = sorted(bad)[0]
    assert (f"示例{word}示例", word) in leaks([f"示例{word}示例"])


def test_stories_do_not_copy_nlu_examples() -> None:
    examples = set(nlu_examples())
    copied = []
    for path in (ROOT / "tests" / "stories").glob("*.yml"):
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for story in data.get("stories") or []:
            for step in story.get("steps") or []:
                user = str(step.get("user") or "").strip()
                user = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", user)
                if user and not user.startswith("/") and user in examples:
                    copied.append(user)
    assert not copied, f"{len(copied)} story turns copy NLU examples: {copied[:10]}"
