"""The NLU normaliser's repairs, driven by the knowledge base's shared vocabulary files."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.components.vocabulary import Vocabulary, load_synonyms, load_terms

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def vocabulary() -> Vocabulary:
    data = ROOT / "knowledge" / "data"
    terms_file = next(p for p in (data / "jieba" / "terms.txt", data / "terms.txt") if p.exists())
    return Vocabulary(load_terms(terms_file), load_synonyms(data / "synonyms.yml"))


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("住餐是什么", "助餐"),  # homophone typo
        ("是老化改造", "适老化"),
        ("zhucan", "助餐"),  # pinyin
        ("以就换新", "以旧换新"),
        ("验正码", "验证码"),
    ],
)
def test_typos_become_domain_terms(vocabulary: Vocabulary, typed: str, expected: str) -> None:
    assert expected in vocabulary.repair(typed)


def test_dialect_words_become_standard(vocabulary: Vocabulary) -> None:
    assert vocabulary.repair("俺想问问咋办") == "我想问问怎么办"


@pytest.mark.parametrize("text", ["你好", "城区", "一个人住", "[身份证号]", "再见"])
def test_ordinary_words_are_left_alone(vocabulary: Vocabulary, text: str) -> None:
    assert vocabulary.repair(text) == text


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("俺好像上当了", "我好像上当了"),  # not 暗号 (an/hao across 俺|好像)
        ("哪趟公交去火车站", "哪趟公交去火车站"),  # not 公郊区 (jiao/qu across 公交|去)
    ],
)
def test_a_repair_never_cuts_through_a_real_word(
    vocabulary: Vocabulary, typed: str, expected: str
) -> None:
    assert vocabulary.repair(typed) == expected


def test_without_vocabulary_nothing_changes() -> None:
    assert Vocabulary({}, {}).repair("住餐 zhucan") == "住餐 zhucan"
