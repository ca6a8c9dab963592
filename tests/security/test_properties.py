"""Property tests of the text pipeline: whatever comes in, nothing raises, nothing leaks."""

from __future__ import annotations

import contextlib
import re

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from channels.wechat.buttons import MenuStore, parse_choice
from channels.wechat.formatting import MAX_TEXT_BYTES, render
from channels.wechat.texts import load_texts
from channels.wechat.xmlmsg import Inbound, XMLRejected, parse_xml, text_reply
from core.messages import BotMessage, Button
from core.redact import redact

SIX_DIGITS = re.compile(r"\d{6,}")  # any Unicode decimal digits, as Python's \d
FAST = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])

digits = st.sampled_from("0123456789０１２３４５６７８９٠١٢٣٤٥")
number_text = st.lists(
    st.one_of(
        st.text(digits, min_size=1, max_size=25),
        st.sampled_from(["元", "年", "号", "X", "x", " ", "-", "+86 ", "验证码", "卡号", "0353-"]),
        st.text(max_size=5),
    ),
    max_size=12,
).map("".join)


@FAST
@given(st.one_of(number_text, st.text(max_size=300)))
@example("转了200000元")  # a code followed by a unit was kept
@example("编号123456789")  # 9 to 14 digits matched no pattern
@example("2345678901234567890123")  # 20 digits and more
@example("１３８１２３４５６７８")  # full-width phone number
def test_redaction_never_lets_six_digits_through(text: str) -> None:
    result = redact(text)
    assert SIX_DIGITS.search(result.text) is None
    assert redact(result.text).text == result.text  # masks are stable


@FAST
@given(st.text(max_size=300))
def test_normalisation_never_raises(real_retriever, text: str) -> None:  # type: ignore[no-untyped-def]
    from textnorm.normalize import clean_text, has_content

    normalizer = real_retriever.normalizer
    nq = normalizer.normalize(text)
    assert isinstance(nq.text, str)
    assert all(isinstance(e, str) for e in nq.expansions)
    assert isinstance(normalizer.standardize(text), str)
    cleaned = clean_text(text)
    assert len(cleaned) <= 256 and isinstance(has_content(text), bool)


xml_field = st.text(
    st.characters(blacklist_categories=("Cs",)), max_size=40
)  # surrogates cannot be encoded


@FAST
@given(st.binary(max_size=2000))
def test_wechat_xml_parsing_of_any_bytes_raises_only_rejection(body: bytes) -> None:
    try:
        fields = parse_xml(body)
    except XMLRejected as exc:
        assert exc.status in (400, 413)
        return
    assert all(isinstance(k, str) and isinstance(v, str) for k, v in fields.items())
    with contextlib.suppress(XMLRejected):
        Inbound.from_fields(fields)


@FAST
@given(
    st.lists(
        st.tuples(
            st.text(st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=12),
            xml_field,
        ),
        max_size=10,
    ),
    st.sampled_from(["", "<!DOCTYPE x [<!ENTITY a 'b'>]>", "<?xml version='1.0'?>"]),
)
def test_wechat_xml_built_from_any_fields_parses_or_is_rejected(
    pairs: list[tuple[str, str]], prolog: str
) -> None:
    from xml.sax.saxutils import escape

    inner = "".join(f"<{tag}>{escape(value)}</{tag}>" for tag, value in pairs)
    body = f"{prolog}<xml>{inner}</xml>".encode()
    try:
        parse_xml(body)
    except XMLRejected as exc:
        assert exc.status == 400


@FAST
@given(xml_field, xml_field, st.text(st.characters(blacklist_categories=("Cs",)), max_size=500))
def test_a_reply_round_trips_through_the_parser(to_user: str, from_user: str, content: str) -> None:
    """Whatever the bot says (``]]>``, control characters), the reply stays one valid document."""
    fields = parse_xml(text_reply(to_user, from_user, content, create_time=1).encode("utf-8"))
    invalid = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
    expected = invalid.sub("", content).replace("\r\n", "\n").replace("\r", "\n").strip()
    assert fields["Content"] == expected
    assert fields["MsgType"] == "text"


TEXTS = load_texts("12345")
title = st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=30)


@FAST
@given(
    st.lists(
        st.tuples(st.text(max_size=400), st.lists(st.tuples(title, title), max_size=6)),
        min_size=1,
        max_size=4,
    ),
    st.data(),
)
def test_buttons_map_to_numbers_and_back(messages_spec, data) -> None:  # type: ignore[no-untyped-def]
    messages = [
        BotMessage(text=text, buttons=[Button(title=t, payload=p) for t, p in buttons])
        for text, buttons in messages_spec
    ]
    rendered = render(messages, TEXTS)
    assert all(len(part.encode("utf-8")) <= MAX_TEXT_BYTES for part in rendered.parts)
    expected = [p for _, buttons in messages_spec for _, p in buttons]
    assert rendered.payloads == expected
    store = MenuStore()
    store.show("u", rendered.payloads, now=0.0)
    for number, payload in enumerate(expected, start=1):
        for reply in (str(number), chr(0xFF10 + number) if number < 10 else str(number)):
            assert store.resolve("u", reply, now=1.0, number_words=TEXTS.number_words) == payload
    anything = data.draw(st.text(max_size=20))
    chosen = store.resolve("u", anything, now=1.0, number_words=TEXTS.number_words)
    assert chosen is None or chosen in expected
    assert store.resolve("u", "1", now=10_000.0) is None  # menus expire


@FAST
@given(st.text(max_size=50))
def test_parse_choice_is_none_or_a_small_number(text: str) -> None:
    choice = parse_choice(text, TEXTS.number_words)
    assert choice is None or 0 <= choice <= 999
