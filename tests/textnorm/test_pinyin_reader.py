"""Pinyin the vocabulary leaves as ASCII is read as everyday words."""

from __future__ import annotations

from pathlib import Path

import pytest

from textnorm.analyser import TextAnalyzer
from textnorm.normalize import Normalizer
from textnorm.pinyin_reader import PinyinReader, split_syllables, toneless
from textnorm.vocabulary import load_vocabulary

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def reader() -> PinyinReader:
    analyzer = TextAnalyzer({})
    return PinyinReader(analyzer.word_frequency, analyzer.tokenizer.total)


@pytest.fixture(scope="module")
def normalizer() -> Normalizer:
    return load_vocabulary(ROOT / "knowledge" / "data").normalizer()


def read(reader: PinyinReader, text: str) -> str | None:
    syllables = [s for token in text.split() for s in split_syllables(token) or [token]]
    return reader.read(syllables)


def test_toneless_readings() -> None:
    assert toneless("zhōng") == "zhong"
    assert toneless("lǜ") == "lv"


@pytest.mark.parametrize(
    ("token", "expected"),
    [
        ("duoshao", ["duo", "shao"]),
        ("xian", ["xian"]),  # the fewest syllables, not xi-an
        ("nar", ["na"]),  # erhua
        ("ok", None),
    ],
)
def test_split_syllables(token: str, expected: list[str] | None) -> None:
    assert split_syllables(token) == expected


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("yinhang", "银行"),  # a word is read as a whole (not 银杏's xing)
        ("xi an", "西安"),
        ("laonian", "老年"),
        ("kongfu", "空腹"),
        ("zai nali", "在哪里"),
        ("nihao", "你好"),
    ],
)
def test_reads_everyday_words(reader: PinyinReader, typed: str, expected: str) -> None:
    assert read(reader, typed) in {expected, expected.replace("哪", "那")}


def test_unknown_syllable_cannot_be_read(reader: PinyinReader) -> None:
    assert reader.read(["zzz"]) is None


def test_normalizer_reads_what_the_vocabulary_left(normalizer: Normalizer) -> None:
    result = normalizer.normalize("yanglaoyuan gui shei guan")
    assert result.text.startswith("养老院")
    assert "谁" in result.text
    assert not any(c.isascii() and c.isalpha() for c in result.text)


def test_english_words_stay(normalizer: Normalizer) -> None:
    assert "wifi" in normalizer.normalize("wifi 密码").text


@pytest.mark.parametrize("code", ["YQJNFC", "yqjnfc", "YQ-ABCD", "yq7km3"])
def test_an_alert_code_is_kept_as_typed(normalizer: Normalizer, code: str) -> None:
    """A fraud alert's code is all letters at times ("YQJNFC"): it is no pinyin initials."""
    text = normalizer.normalize(f"这个提醒是真的吗 {code}").text
    assert code.upper() in text


@pytest.mark.parametrize("typed", ["ai换脸是怎么回事", "taxi"])
def test_one_word_alone_is_not_read(normalizer: Normalizer, typed: str) -> None:
    """A lone word is too likely English, an abbreviation (AI) or a name."""
    text = normalizer.normalize(typed).text
    assert typed.split("换")[0] in text


def test_pinyin_after_yq_is_no_alert_code(normalizer: Normalizer) -> None:
    assert "YQ ZHEN" not in normalizer.normalize("yq zhen").text
    assert "YQ 7KM3" in normalizer.normalize("yq 7km3").text
