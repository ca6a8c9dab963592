"""Numbered buttons, choice parsing and splitting under WeChat's 2,048-byte limit."""

from __future__ import annotations

import pytest

from channels.wechat.buttons import MenuStore, parse_choice
from channels.wechat.formatting import render, split_text
from channels.wechat.texts import load_texts
from core.messages import BotMessage, Button


@pytest.mark.parametrize(
    ("text", "expected"),
    [("1", 1), (" 2 ", 2), ("１", 1), ("3。", 3), ("三", 3), ("十", 10), ("1a", None), ("", None)],
)
def test_parse_choice(text: str, expected: int | None) -> None:
    assert parse_choice(text, load_texts("12345").number_words) == expected


def test_menu_store_resolves_and_clears() -> None:
    menus = MenuStore(ttl=60)
    menus.show("u", ["/a", "/b"], 100.0)
    assert menus.resolve("u", "2", 110.0) == "/b"
    assert menus.resolve("u", "3", 110.0) is None
    assert menus.resolve("v", "1", 110.0) is None
    assert menus.resolve("u", "1", 161.0) is None  # expired
    menus.show("u", ["/a"], 200.0)
    menus.show("u", [], 201.0)
    assert menus.resolve("u", "1", 202.0) is None


def test_menu_store_is_bounded() -> None:
    menus = MenuStore(max_users=3)
    for i in range(10):
        menus.show(f"u{i}", ["/x"], 0.0)
    assert menus.resolve("u0", "1", 1.0) is None
    assert menus.resolve("u9", "1", 1.0) == "/x"


def test_render_numbers_buttons_across_messages() -> None:
    texts = load_texts("12345")
    rendered = render(
        [
            BotMessage(text="选一项", buttons=[Button(title="甲", payload="/a")]),
            BotMessage(buttons=[Button(title="乙", payload="/b")]),
            BotMessage(text="  "),
        ],
        texts,
    )
    assert rendered.parts == ["选一项\n回复 1：甲\n\n回复 2：乙"]
    assert rendered.payloads == ["/a", "/b"]


def test_render_of_nothing_is_empty() -> None:
    assert render([], load_texts("12345")).parts == []


@pytest.mark.parametrize("limit", [2048, 100, 7])
def test_split_respects_the_byte_limit_and_keeps_all_text(limit: int) -> None:
    text = "\n".join(["短行", "长句子，" * 300 + "。结束！", "x" * 5000, "最后"])
    parts = split_text(text, limit)
    assert all(0 < len(p.encode("utf-8")) <= limit for p in parts)
    assert "".join(parts).replace("\n", "") == text.replace("\n", "")


def test_split_prefers_line_breaks() -> None:
    lines = ["第一行" + "字" * 400, "第二行" + "字" * 400, "第三行"]  # 1,209 bytes each
    parts = split_text("\n".join(lines), 2048)
    assert parts == [lines[0], lines[1] + "\n" + lines[2]]


def test_short_text_is_one_part() -> None:
    assert split_text("你好") == ["你好"]
