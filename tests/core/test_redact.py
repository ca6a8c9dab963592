from __future__ import annotations

import pytest

from core.redact import redact


@pytest.mark.parametrize(
    ("text", "secret", "kind"),
    [
        ("我的身份证号是110101199003074578", "110101199003074578", "ID_CARD"),
        ("身份证14010219900307457X", "14010219900307457", "ID_CARD"),
        ("卡号 6222 0212 3456 7890 123", "3456", "BANK_CARD"),
        ("银行卡6217000010012345678", "6217000010012345678", "BANK_CARD"),
        ("我电话13812345678", "13812345678", "PHONE"),
        ("手机 +86 138 1234 5678", "5678", "PHONE"),
        ("座机0353-2345678", "2345678", "PHONE"),
        ("验证码是482913", "482913", "CODE"),
        ("他让我念4829给他", "4829", "CODE"),
        ("码是 5521，给了他", "5521", "CODE"),
        # A code read out in groups, as people say it on the phone.
        ("验证码是 482 913", "482 913", "SPLIT_CODE"),
        ("他让我念 4 8 2 9 1 3", "4 8 2 9", "SPLIT_CODE"),
        ("码是4829-13", "4829-13", "SPLIT_CODE"),
    ],
)
def test_personal_numbers_are_masked(text: str, secret: str, kind: str) -> None:
    result = redact(text)
    assert secret not in result.text
    assert kind in result.kinds
    assert "[" in result.text


@pytest.mark.parametrize(
    "text",
    [
        "2025年的补贴",
        "每户最多3000元",
        "听说每户补3000，是真的吗",
        "退休金3500多",
        "一共花了8000，能退不",
        "打96110问问",
        "12345热线",
        "110报警",
        "我75岁了",
        "你好",
        "打110 120都行",
        "2025-2027年有啥新政策",
        "70 80岁的老人",
    ],
)
def test_public_numbers_and_quantities_are_kept(text: str) -> None:
    result = redact(text)
    assert result.text == text
    assert not result.changed
