"""Action unit tests with real rasa_sdk trackers and the real knowledge corpus."""

from __future__ import annotations

import json
from typing import Any

import pytest
from rasa_sdk.executor import CollectingDispatcher

from actions.adaptation_guide import ActionAdaptationGuideResult, ValidateAdaptationGuideForm
from actions.conversation import ActionRepeat, ActionSimpler, ActionStop
from actions.meal_guide import ActionMealGuideResult, ValidateMealGuideForm
from actions.policy_answer import ActionAnswerPolicy
from actions.scam_check import ActionScamCheckResult, ValidateScamCheckForm, risk_level
from tests.support.dialogue import make_tracker, texts


def slots_of(events: list[dict[str, Any]]) -> dict[str, Any]:
    return {e["name"]: e["value"] for e in events if e.get("event") == "slot"}


# ----- policy answers -----
async def test_confident_answer_cites_and_offers_related(
    services, retriever, corpus, domain, pinned_today
) -> None:
    # Scripted hits on purpose: the related buttons are built from the hit list, and this
    # test pins which hits (and in what order) become them.
    retriever.answers["助餐要钱吗"] = [
        "T1",
        "meal-is-it-free",
        "meal-subsidy-amount",
        "meal-who-can-use",
        "meal-forms",
        "meal-rural",
    ]
    dispatcher = CollectingDispatcher()
    events = await ActionAnswerPolicy(services).run(
        dispatcher, make_tracker("助餐要钱吗", intent="ask_meal"), domain
    )

    first = dispatcher.messages[0]
    assert first["text"] == corpus.by_id["meal-is-it-free"].text  # the entry, not the clause
    assert first["custom"]["citations"]  # cites its sources
    titles = [b["title"] for b in first["buttons"]]
    # "详细说说" opens the entry's `more`; then the related entries.
    assert titles == [
        "详细说说",
        "想了解：助餐补贴多少钱",
        "想了解：谁能用老年助餐",
        "想了解：助餐有哪几种",
    ]
    assert (
        first["buttons"][0]["payload"]
        == '/ask_policy{"entry_id": "meal-is-it-free", "part": "more"}'
    )
    assert first["buttons"][1]["payload"] == '/ask_policy{"entry_id": "meal-subsidy-amount"}'
    assert slots_of(events)["last_entry_id"] == "meal-is-it-free"


async def test_clause_citation_has_id_and_title(
    real_services, corpus, domain, pinned_today
) -> None:
    dispatcher = CollectingDispatcher()
    await ActionAnswerPolicy(real_services).run(dispatcher, make_tracker("哪里有助餐点"), domain)
    assert dispatcher.messages[0]["custom"]["citations"] == [
        {
            "clause_id": "T1",
            "title": corpus.by_id["T1"].title,
            "kind": "clause",
            "scope": "yangquan",
        },
        {
            "clause_id": "S45",
            "title": corpus.source_record("S45").plain,
            "kind": "source",
            "scope": "national",
        },
    ]


async def test_fact_sheet_citation_says_it_is_a_source(real_services, corpus, domain) -> None:
    from actions.answers import citations

    entry = next(d for d in corpus.documents if d.kind == "entry" and not d.clause_ids)
    cited = citations(entry, corpus)
    assert cited and {c["kind"] for c in cited} == {"source"}
    assert [c["clause_id"] for c in cited] == list(entry.sources)[: len(cited)]


async def test_button_payload_answers_that_entry(
    real_services, corpus, domain, pinned_today
) -> None:
    tracker = make_tracker(
        '/ask_policy{"entry_id": "meal-rural"}',
        intent="ask_policy",
        entities=[{"entity": "entry_id", "value": "meal-rural"}],
    )
    dispatcher = CollectingDispatcher()
    events = await ActionAnswerPolicy(real_services).run(dispatcher, tracker, domain)
    assert dispatcher.messages[0]["text"] == corpus.by_id["meal-rural"].text
    assert slots_of(events)["entry_id"] is None


@pytest.mark.parametrize("question", ["厕所装个扶手中不中", "扶手能申请吗", "卫生间扶手"])
async def test_every_phrasing_gets_the_same_answer(
    real_services, corpus, domain, pinned_today, question: str
) -> None:
    """No yes/no opener is kept or dropped by the wording of the question (issue 11)."""
    dispatcher = CollectingDispatcher()
    await ActionAnswerPolicy(real_services).run(dispatcher, make_tracker(question), domain)
    assert dispatcher.messages[0]["text"] == corpus.by_id["adapt-handrail"].text


async def test_past_rule_is_said_as_that_years_rule(real_services, domain, pinned_today) -> None:
    dispatcher = CollectingDispatcher()
    await ActionAnswerPolicy(real_services).run(dispatcher, make_tracker("24年家电补多少"), domain)
    said = texts(dispatcher)
    assert said[0].startswith("这是2024年的政策")
    assert said[1] == "utter_past_rule"
    assert dispatcher.messages[1]["year"] == 2024 and dispatcher.messages[1]["this_year"] == 2026


async def test_past_rule_without_year_in_text_gets_the_year(
    real_services, domain, corpus, pinned_today, monkeypatch
) -> None:
    doc = corpus.by_id["tradein-2025-organizer"]
    assert doc.valid_until is not None and not doc.text.startswith("这是2025年")
    dispatcher = CollectingDispatcher()
    await ActionAnswerPolicy(real_services).run(dispatcher, make_tracker("谁管适老化补贴"), domain)
    assert dispatcher.messages[0]["response"] == "utter_past_rule_answer"
    assert dispatcher.messages[0]["answer"] == doc.text


async def test_low_confidence_gives_an_honest_referral_not_a_rephrase(
    services, retriever, domain
) -> None:
    # Scripted hits on purpose: a weak result whose hits include clause T1 (whose 责任单位
    # the referral names); the real retriever's weak hits for a vague question vary.
    retriever.confident = False
    retriever.answers["社区那个事咋弄"] = ["meal-who-can-use", "T1"]
    dispatcher = CollectingDispatcher()
    await ActionAnswerPolicy(services).run(
        dispatcher, make_tracker("社区那个事咋弄", intent="nlu_fallback"), domain
    )
    said = texts(dispatcher)
    assert "utter_rephrase" not in said and "utter_offer_hotline" not in said
    assert said[0] == "utter_referral_plan"  # what the plan says on the topic
    assert "utter_referral_departments" in said  # who is responsible (the clause's 责任单位)
    contact = dispatcher.messages[-1]
    assert contact["response"] == "utter_referral_contact" and contact["buttons"]


# ----- forms: patience, prefill, corrections -----
async def test_numbered_answer_fills_the_slot(real_services, domain) -> None:
    tracker = make_tracker(
        "2",
        slots={"requested_slot": "meal_district", "meal_district": "2"},
        active_loop="meal_guide_form",
    )
    tracker.events.append({"event": "slot", "name": "meal_district", "value": "2"})
    result = await ValidateMealGuideForm(real_services).run(CollectingDispatcher(), tracker, domain)
    assert slots_of(result)["meal_district"] == "矿区"


async def test_answers_that_do_not_fit_are_explained_after_the_limit(real_services, domain) -> None:
    action = ValidateMealGuideForm(real_services)
    failures: dict[str, int] | None = None
    said: list[list[str]] = []
    for _attempt in range(2):
        slots = {
            "requested_slot": "meal_district",
            "meal_district": "嗯嗯啊",
            "failed_answers": failures,
        }
        tracker = make_tracker("嗯嗯啊", slots=slots, active_loop="meal_guide_form")
        tracker.events.append({"event": "slot", "name": "meal_district", "value": "嗯嗯啊"})
        dispatcher = CollectingDispatcher()
        result = slots_of(await action.run(dispatcher, tracker, domain))
        assert result["meal_district"] is None
        failures = result["failed_answers"]
        said.append(texts(dispatcher))
    assert said[0] == ["utter_not_understood_answer"]
    assert said[1] == ["utter_explain_meal_district", "utter_can_stop"]


async def test_retry_limit_comes_from_settings(real_services, domain) -> None:
    real_services.settings.form_retry_limit = 1
    tracker = make_tracker(
        "嗯", slots={"requested_slot": "meal_for", "meal_for": "嗯"}, active_loop="meal_guide_form"
    )
    tracker.events.append({"event": "slot", "name": "meal_for", "value": "嗯"})
    dispatcher = CollectingDispatcher()
    await ValidateMealGuideForm(real_services).run(dispatcher, tracker, domain)
    assert texts(dispatcher)[0] == "utter_explain_meal_for"


async def test_first_message_prefills_and_forgets_stale_answers(real_services, domain) -> None:
    tracker = make_tracker(
        "帮我看看我妈能不能吃助餐，她一个人住在矿区",
        intent="start_meal_guide",
        slots={"meal_for": "别人家的老人", "requested_slot": None},
    )
    result = slots_of(
        await ValidateMealGuideForm(real_services).run(CollectingDispatcher(), tracker, domain)
    )
    assert result["meal_district"] == "矿区"
    assert result["meal_for"] == "您家里的老人"
    assert result["meal_situation"] == "一个人住或空巢"


async def test_a_later_answer_can_correct_an_earlier_one(real_services, domain) -> None:
    slots = {
        "requested_slot": "meal_for",
        "meal_district": "城区",
        "meal_for": "不对，我住郊区，给我自己问",
    }
    tracker = make_tracker("不对，我住郊区，给我自己问", slots=slots, active_loop="meal_guide_form")
    tracker.events.append({"event": "slot", "name": "meal_for", "value": slots["meal_for"]})
    result = slots_of(
        await ValidateMealGuideForm(real_services).run(CollectingDispatcher(), tracker, domain)
    )
    assert result["meal_for"] == "您本人"
    assert result["meal_district"] == "郊区"


# ----- scam check -----
async def test_already_paid_needs_no_more_questions(real_services, domain) -> None:
    tracker = make_tracker(
        "我已经转了三万给他",
        intent="describe_suspicious",
        slots={"scam_story": "我已经转了三万给他"},
    )
    result = await ValidateScamCheckForm(real_services).run(CollectingDispatcher(), tracker, domain)
    slots = slots_of(result)
    assert slots["scam_paid"] == "已经转了"
    assert slots.get("requested_slot") is None


async def test_paid_result_says_110_first_and_explains_96110(
    real_services, domain, pinned_today
) -> None:
    dispatcher = CollectingDispatcher()
    tracker = make_tracker("已经转了", slots={"scam_paid": "已经转了"})
    await ActionScamCheckResult(real_services).run(dispatcher, tracker, domain)
    said = texts(dispatcher)
    assert said[0] == "utter_scam_call_110_now"
    assert said[-1] == "utter_scam_96110"
    assert dispatcher.messages[-1]["custom"]["citations"]


async def test_high_risk_result(real_services, corpus, domain, pinned_today) -> None:
    story = "电话里说是公安局的，让我把钱转到安全账户"
    slots = {
        "scam_paid": "还没有",
        "scam_channel": "打电话",
        "scam_asked": ["money", "code"],
        "scam_story": story,
    }
    dispatcher = CollectingDispatcher()
    events = await ActionScamCheckResult(real_services).run(
        dispatcher, make_tracker("要钱", slots=slots), domain
    )
    said = texts(dispatcher)
    assert said[:3] == ["utter_scam_risk_high", "utter_scam_stop_steps", "utter_scam_never_share"]
    assert corpus.by_id["scam-safe-account"].text in said
    assert said[-1] == "utter_scam_96110"
    assert slots_of(events)["scam_story"] is None  # answers are forgotten


@pytest.mark.parametrize("answer", ["我已经念了", "已经告诉他了", "验证码报给他了"])
async def test_a_code_already_told_needs_no_more_questions(real_services, domain, answer) -> None:
    tracker = make_tracker(
        answer,
        slots={
            "requested_slot": "scam_paid",
            "scam_paid": answer,
            "scam_story": "有人让我念短信里的数",
        },
        active_loop="scam_check_form",
    )
    tracker.events.append({"event": "slot", "name": "scam_paid", "value": answer})
    result = await ValidateScamCheckForm(real_services).run(CollectingDispatcher(), tracker, domain)
    slots = slots_of(result)
    assert slots["scam_paid"] == "说了验证码"
    assert slots.get("requested_slot") is None


async def test_told_result_says_110_first_with_the_code_entry(
    real_services, corpus, domain, pinned_today
) -> None:
    dispatcher = CollectingDispatcher()
    tracker = make_tracker("我已经念了", slots={"scam_paid": "说了验证码"})
    await ActionScamCheckResult(real_services).run(dispatcher, tracker, domain)
    said = texts(dispatcher)
    assert said[0] == "utter_scam_told_call_110"
    first = domain["responses"]["utter_scam_told_call_110"][0]["text"]
    assert "110" in first and "挂掉电话" in first  # the code entry's own steps
    never = corpus.by_id["scam-verification-code"]
    assert "马上打110" in " ".join(never.steps) and "挂掉电话" in " ".join(never.steps)
    cited = dispatcher.messages[0]["custom"]["citations"]
    from actions.answers import citations

    assert cited == citations(never, corpus)  # the sources of the code entry (S50, S44)
    assert said[-1] == "utter_scam_96110"


@pytest.mark.parametrize(
    ("paid", "channel", "asked", "level"),
    [
        ("已经转了", None, None, "paid"),
        ("说了验证码", "打电话", ["code"], "told"),
        ("还没有", "打电话", ["money"], "high"),
        ("还没有", "拉您投资", ["none"], "high"),
        ("还没有", "讲座或活动", ["none"], "medium"),
        ("还没有", "打电话", ["none"], "low"),
    ],
)
def test_risk_levels(paid: str, channel: str | None, asked: list[str] | None, level: str) -> None:
    assert risk_level(paid, channel, asked) == level


# ----- guide results -----
async def test_meal_result(real_services, domain, pinned_today) -> None:
    slots = {"meal_district": "盂县", "meal_for": "您本人", "meal_situation": "一个人住或空巢"}
    dispatcher = CollectingDispatcher()
    events = await ActionMealGuideResult(real_services).run(
        dispatcher, make_tracker("1", slots=slots), domain
    )
    said = texts(dispatcher)
    assert said[:2] == ["utter_meal_for_whom", "utter_meal_priority_yes"]
    assert (
        real_services.retriever.corpus.by_id["meal-rural"].text in said
    )  # a county: rural canteens
    assert said[-1] == "utter_meal_where_ask"
    assert len(dispatcher.messages[-1]["buttons"]) == 3
    assert slots_of(events)["last_simple"] == "utter_meal_simple"


async def test_adaptation_result_names_years_of_trade_in_rounds(
    real_services, corpus, domain, pinned_today
) -> None:
    slots = {"adapt_problem": "上厕所、洗澡", "adapt_household": "低保"}
    dispatcher = CollectingDispatcher()
    await ActionAdaptationGuideResult(real_services).run(
        dispatcher, make_tracker("2", slots=slots), domain
    )
    said = texts(dispatcher)
    assert said[0] == "utter_adapt_items_intro"
    assert said[1] == corpus.by_id["adapt-handrail"].text
    assert "utter_adapt_funding_dibao" in said
    # only the round in force today (2026) is offered; the ended 2025 round is not
    assert "utter_past_rule" not in said
    trade_in = next(m for m in dispatcher.messages if m.get("response") == "utter_adapt_trade_in")
    assert trade_in["answer"] == corpus.by_id["tradein-2026-aging-products"].text
    assert len(said) <= 5


# ----- repeat, simpler, stop -----
async def test_repeat_says_the_previous_answer_again(real_services, domain) -> None:
    previous = [
        {"event": "user", "text": "助餐要钱吗", "parse_data": {}},
        {
            "event": "bot",
            "text": "不是免费餐。",
            "data": {"buttons": [{"title": "t", "payload": "/p"}], "custom": {"citations": []}},
        },
    ]
    dispatcher = CollectingDispatcher()
    await ActionRepeat(real_services).run(
        dispatcher, make_tracker("再说一遍", intent="repeat", events=previous), domain
    )
    assert dispatcher.messages[0]["text"] == "不是免费餐。"
    assert dispatcher.messages[0]["buttons"] == [{"title": "t", "payload": "/p"}]


async def test_simpler_inside_a_form_explains_the_question(real_services, domain) -> None:
    tracker = make_tracker(
        "听不懂",
        intent="simpler",
        slots={"requested_slot": "scam_asked"},
        active_loop="scam_check_form",
    )
    dispatcher = CollectingDispatcher()
    await ActionSimpler(real_services).run(dispatcher, tracker, domain)
    assert texts(dispatcher) == ["utter_explain_scam_asked"]


async def test_simpler_after_an_answer_gives_its_first_sentence(
    real_services, corpus, domain
) -> None:
    tracker = make_tracker(
        "说简单点", intent="simpler", slots={"last_entry_id": "meal-how-to-apply"}
    )
    dispatcher = CollectingDispatcher()
    await ActionSimpler(real_services).run(dispatcher, tracker, domain)
    assert dispatcher.messages[0]["response"] == "utter_simpler_entry"
    assert corpus.by_id["meal-how-to-apply"].text.startswith(dispatcher.messages[0]["summary"])
    assert texts(dispatcher)[1] == "utter_steps"


async def test_stop_forgets_guide_answers(real_services, domain) -> None:
    dispatcher = CollectingDispatcher()
    events = await ActionStop(real_services).run(
        dispatcher, make_tracker("算了", intent="stop", slots={"meal_district": "城区"}), domain
    )
    assert texts(dispatcher) == ["utter_stopped"]
    assert slots_of(events)["meal_district"] is None


def test_adaptation_validation_is_registered(real_services) -> None:  # type: ignore[no-untyped-def]
    assert ValidateAdaptationGuideForm(real_services).name() == "validate_adaptation_guide_form"
    assert (
        json.dumps(ValidateAdaptationGuideForm(real_services).form_slots())
        == '["adapt_problem", "adapt_household"]'
    )


async def test_button_payloads_survive_the_apps_redaction(
    real_services, corpus, domain, pinned_today
) -> None:
    """Entry ids with years (tradein-2025-rate) must not be masked as codes by core/redact.py."""
    from actions.answers import entry_button
    from core.redact import redact

    payload = entry_button(corpus.by_id["tradein-2025-rate"], domain)["payload"]
    assert redact(payload).text == payload
    value = payload.split('"entry_id": "')[1].rstrip('"}')
    tracker = make_tracker(
        payload, intent="ask_policy", entities=[{"entity": "entry_id", "value": value}]
    )
    dispatcher = CollectingDispatcher()
    await ActionAnswerPolicy(real_services).run(dispatcher, tracker, domain)
    assert dispatcher.messages[0]["text"] == corpus.by_id["tradein-2025-rate"].text


async def test_a_no_to_one_question_does_not_take_back_another_answer(
    real_services, domain
) -> None:
    slots = {
        "requested_slot": "scam_paid",
        "scam_paid": "还没有",
        "scam_asked": ["money"],
        "scam_channel": "打电话",
    }
    tracker = make_tracker("还没有", slots=slots, active_loop="scam_check_form")
    tracker.events.append({"event": "slot", "name": "scam_paid", "value": "还没有"})
    result = slots_of(
        await ValidateScamCheckForm(real_services).run(CollectingDispatcher(), tracker, domain)
    )
    assert result["scam_paid"] == "还没有"
    assert "scam_asked" not in result and "scam_channel" not in result


async def test_a_question_inside_a_form_keeps_its_entry_for_the_follow_up(
    services, retriever, domain
) -> None:
    """A question answered inside a guide pauses it, and the entry it was answered with is
    the one just discussed: "装上有啥用" after "算了，问问别的，反诈APP咋装" leans on it."""
    text = "助餐要钱吗"
    retriever.answers[text] = ["meal-is-it-free"]
    slots = {"requested_slot": "meal_district", "meal_district": text}
    tracker = make_tracker(text, slots=slots, active_loop="meal_guide_form")
    tracker.events.append({"event": "slot", "name": "meal_district", "value": text})
    dispatcher = CollectingDispatcher()
    result = slots_of(await ValidateMealGuideForm(services).run(dispatcher, tracker, domain))
    assert texts(dispatcher)[-1] == "utter_meal_guide_form_paused"
    assert result["meal_district"] is None and result["requested_slot"] is None
    assert result["last_entry_id"] == "meal-is-it-free"
