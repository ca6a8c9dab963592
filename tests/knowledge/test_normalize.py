"""Query repair: cleaning, dialect, ASCII pinyin, initials, homophones."""

from __future__ import annotations

import pytest

from textnorm.normalize import clean_text, has_content, load_synonyms, load_terms, syllables


@pytest.fixture(scope="module")
def normalizer(retriever):  # type: ignore[no-untyped-def]
    return retriever.normalizer


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("zhucan", "助餐"),
        ("ZHUCAN", "助餐"),
        ("ｚｈｕｃａｎ", "助餐"),
        ("laonianzhucan", "老年助餐"),
        ("yijiuhuanxin", "以旧换新"),
        ("shilaohua", "适老化"),
    ],
)
def test_full_pinyin_maps_to_vocabulary(normalizer, query: str, expected: str) -> None:  # type: ignore[no-untyped-def]
    assert normalizer.normalize(query).text == expected


@pytest.mark.parametrize(
    ("query", "expected"), [("zcd", "助餐点"), ("yjhx", "以旧换新"), ("slh", "适老化")]
)
def test_initials_map_to_vocabulary(normalizer, query: str, expected: str) -> None:  # type: ignore[no-untyped-def]
    nq = normalizer.normalize(query)
    assert expected in {nq.text, *nq.expansions}


def test_pinyin_mixed_with_chinese(normalizer) -> None:  # type: ignore[no-untyped-def]
    assert normalizer.normalize("老年zhucan在哪").text == "老年助餐在哪"


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("住餐", "助餐"),
        ("是老化改造有补贴吗", "适老化改造有补贴吗"),
        ("以就换新", "以旧换新"),
        ("我是老化吗", "我适老化吗"),
    ],
)
def test_homophones_are_repaired(normalizer, query: str, expected: str) -> None:  # type: ignore[no-untyped-def]
    assert normalizer.normalize(query).text == expected


@pytest.mark.parametrize("query", ["我是老人想问问", "是否可以申请", "老年助餐谁能用"])
def test_correct_text_is_left_alone(normalizer, query: str) -> None:  # type: ignore[no-untyped-def]
    nq = normalizer.normalize(query)
    assert nq.text == query
    assert nq.repairs == ()


@pytest.mark.parametrize(
    ("query", "expected"),
    [("俺咋办", "我怎么办"), ("96110是啥", "96110是什么"), ("俺想吃饭", "我想助餐")],
)
def test_dialect_words_become_standard(normalizer, query: str, expected: str) -> None:  # type: ignore[no-untyped-def]
    assert normalizer.normalize(query).text == expected


def test_known_ascii_words_and_numbers_stay(normalizer) -> None:  # type: ignore[no-untyped-def]
    assert normalizer.normalize("96110").text == "96110"
    assert normalizer.normalize("qwrtzx").text == "qwrtzx"


def test_clean_text_removes_controls_and_emoji() -> None:
    assert clean_text("助\x00餐\x07😀\u200b在哪\t\n") == "助 餐 在哪"
    assert not has_content(clean_text("😀😀🎉"))
    assert not has_content(clean_text("\x00\x01\x02"))


def test_clean_text_shortens_keeping_both_ends() -> None:
    text = "开头" + "啊" * 10_000 + "助餐在哪"
    cleaned = clean_text(text, max_chars=100)
    assert len(cleaned) <= 101
    assert cleaned.startswith("开头")
    assert cleaned.endswith("助餐在哪")


def test_syllables_are_toneless() -> None:
    assert syllables("助餐") == ("zhu", "can")


def test_vocabulary_files(tmp_path) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "terms.txt").write_text("# comment\n助餐 100 n\n适老化\n\n", encoding="utf-8")
    (tmp_path / "s.yml").write_text("咋: 怎么\n怎么样:\n  - 咋样\n  - 咋个样\n", encoding="utf-8")
    assert load_terms(tmp_path / "terms.txt") == {"助餐": 100, "适老化": 10}
    assert load_synonyms(tmp_path / "s.yml") == {"咋": "怎么", "咋样": "怎么样", "咋个样": "怎么样"}
    assert load_terms(tmp_path / "missing.txt") == {}
    assert load_synonyms(tmp_path / "missing.yml") == {}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("九六幺幺零是什么电话", "96110是什么电话"),
        ("96l10", "96110"),
        ("yaoersansiwu", "12345"),
        ("老年组餐", "老年助餐"),
        ("老年肋餐哪些人能吃", "老年助餐哪些人能吃"),
        ("zhucan dian", "助餐点"),
    ],
)
def test_numbers_fuzzy_sounds_and_one_wrong_character(
    normalizer, query: str, expected: str
) -> None:  # type: ignore[no-untyped-def]
    assert normalizer.normalize(query).text == expected


@pytest.mark.parametrize(
    "query", ["今天天气怎么样", "是什么电话", "能补贴吗", "老年助餐要不要交钱"]
)
def test_common_phrases_are_not_rewritten(normalizer, query: str) -> None:  # type: ignore[no-untyped-def]
    assert normalizer.normalize(query).text == query


def test_dialect_character_glued_to_a_word(normalizer) -> None:  # type: ignore[no-untyped-def]
    assert normalizer.normalize("俺家在哪").text.startswith("我")
