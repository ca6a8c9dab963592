"""textnorm.numerals: the one Chinese-numeral table and its converter."""

from __future__ import annotations

import pytest

from textnorm.normalize import CN_DIGITS, cn_number, repair_digits, spelled_digits


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("一", 1),
        ("两", 2),
        ("九", 9),
        ("十", 10),
        ("十二", 12),
        ("二十", 20),
        ("两十", 20),
        ("九十九", 99),
    ],
)
def test_cn_number_reads_one_to_ninety_nine(text: str, value: int) -> None:
    assert cn_number(text) == value


@pytest.mark.parametrize("text", ["", "零", "十十", "一百", "二二", "三十四五", "abc"])
def test_cn_number_rejects_other_text(text: str) -> None:
    assert cn_number(text) is None


def test_digit_table_covers_every_digit() -> None:
    assert sorted(set(CN_DIGITS.values())) == list(range(10))
    assert CN_DIGITS["两"] == CN_DIGITS["二"] == 2


def test_phone_digits_are_repaired() -> None:
    assert repair_digits("电话九六幺幺零") == "电话96110"
    assert repair_digits("96l10") == "96110"
    assert repair_digits("两三") == "两三"
    assert spelled_digits("yaoersansiwu") == "12345"
    assert spelled_digits("yaoer") is None
