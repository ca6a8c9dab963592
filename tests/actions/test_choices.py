"""Free-text and numbered answers to the guide questions."""

from __future__ import annotations

import pytest

from actions.choices import load_answers, load_questions


@pytest.mark.parametrize(
    ("slot", "text", "expected"),
    [
        ("meal_district", "2", "矿区"),
        ("meal_district", "第三个", "郊区"),
        ("meal_district", "选五", "盂县"),
        ("meal_district", "俺住在平定", "平定县"),
        ("meal_district", "不知道", None),
        ("meal_for", "给我妈问的", "您家里的老人"),
        ("meal_situation", "她一个人住", "一个人住或空巢"),
        ("adapt_problem", "卫生间太滑了", "上厕所、洗澡"),
        ("adapt_problem", "地太滑", "地面滑"),
        ("adapt_household", "不知道是不是低保", "不清楚"),
        ("scam_paid", "没有", "还没有"),
        ("scam_paid", "已经转了两万", "已经转了"),
        ("scam_channel", "是打电话来的", "打电话"),
    ],
)
def test_single_answers(slot: str, text: str, expected: str | None) -> None:
    option = load_questions()[slot].parse(text)
    assert (option.value if option else None) == expected


def test_numbers_only_count_for_the_question_being_asked() -> None:
    question = load_questions()["meal_district"]
    assert question.parse("2", requested=False) is None
    assert question.parse("我住矿区", requested=False).value == "矿区"  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("让我转钱还要验证码", ["money", "code"]),
        ("没让我转账", ["none"]),
        ("1和3", ["money", "code"]),
        ("他要我的银行卡号和密码", ["password", "card"]),
        ("这个电话让我说验证码[数字]", ["code"]),
        ("都没有", ["none"]),
    ],
)
def test_several_answers(text: str, expected: list[str]) -> None:
    assert [o.value for o in load_questions()["scam_asked"].parse_many(text)] == expected


def test_every_entry_the_dialogue_names_exists(corpus) -> None:  # type: ignore[no-untyped-def]
    answers = load_answers()
    named: list[str] = list(answers["topic_default"].values())
    for key in ("meal_guide", "adaptation_guide", "scam_check"):
        for value in answers[key].values():
            if isinstance(value, list):
                named.extend(value)
            elif isinstance(value, dict):
                named.extend(value.values())
            else:
                named.append(value)
    for option in load_questions()["adapt_problem"].options:
        named.extend(option.extra["entries"])
    missing = sorted(i for i in named if i not in corpus.by_id)
    assert not missing


def test_guide_questions_match_the_domain_buttons(domain) -> None:  # type: ignore[no-untyped-def]
    """Every button of a form question is understood as the option in the same position."""
    for slot, question in load_questions().items():
        buttons = domain["responses"][f"utter_ask_{slot}"][0].get("buttons", [])
        assert len(buttons) == len(question.options), slot
        for position, button in enumerate(buttons):
            if slot == "scam_asked":
                picked = [o.value for o in question.parse_many(button["payload"])]
                assert picked == [question.options[position].value], (slot, button)
            else:
                option = question.parse(button["payload"])
                assert option is question.options[position], (slot, button)
