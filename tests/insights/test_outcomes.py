"""Each outcome, classified from what the real actions (or Rasa's own responses) said."""

from __future__ import annotations

from rasa_sdk.executor import CollectingDispatcher

from actions.conversation import ActionRepeat
from actions.meal_guide import ActionMealGuideResult, ValidateMealGuideForm
from actions.policy_answer import ActionAnswerPolicy
from core.messages import BotMessage
from insights.outcomes import classify, response_signals
from tests.insights.rasa_output import rest_messages, template
from tests.support.dialogue import make_tracker


async def _policy(services, domain, text: str, intent: str = "ask_policy") -> list[BotMessage]:
    dispatcher = CollectingDispatcher()
    await ActionAnswerPolicy(services).run(dispatcher, make_tracker(text, intent=intent), domain)
    return rest_messages(dispatcher.messages, domain)


async def test_a_confident_answer_is_answered_with_its_entry_and_confidence(
    services, retriever, domain, pinned_today
) -> None:
    retriever.answers["助餐要钱吗"] = ["meal-is-it-free", "meal-subsidy-amount"]
    messages = await _policy(services, domain, "助餐要钱吗", "ask_meal")
    outcome = classify(messages, response_signals(domain))
    assert outcome.kind == "answered"
    assert outcome.entry_id == "meal-is-it-free"
    assert outcome.confidence == 0.9 and outcome.topic == "meal"
    # The marker is not shown to residents: not in the bubbles the page gets.
    assert all("outcome" not in m.model_dump_json() for m in messages)
    assert messages[0].citations and all(m.text for m in messages)  # no empty bubble


async def test_a_weak_result_is_a_referral_with_its_confidence(services, retriever, domain) -> None:
    retriever.confident = False
    retriever.answers["社区那个事咋弄"] = ["meal-who-can-use", "T1"]
    messages = await _policy(services, domain, "社区那个事咋弄", "nlu_fallback")
    outcome = classify(messages, response_signals(domain))
    assert (outcome.kind, outcome.entry_id) == ("referred", None)
    assert outcome.confidence == 0.1 and outcome.topic == "meal"


async def test_a_scam_question_is_a_scam_warning_with_the_answer(
    real_services, domain, pinned_today
) -> None:
    messages = await _policy(real_services, domain, "有人打电话说我孙子出事了要我转钱")
    outcome = classify(messages, response_signals(domain))
    assert outcome.kind == "scam_warning"
    assert outcome.topic == "scam"


async def test_a_button_tap_answers_that_entry(services, domain, pinned_today) -> None:
    dispatcher = CollectingDispatcher()
    tracker = make_tracker(
        '/ask_policy{"entry_id": "meal-who-can-use"}',
        intent="ask_policy",
        entities=[{"entity": "entry_id", "value": "meal-who-can-use"}],
    )
    await ActionAnswerPolicy(services).run(dispatcher, tracker, domain)
    outcome = classify(rest_messages(dispatcher.messages, domain), response_signals(domain))
    assert (outcome.kind, outcome.entry_id, outcome.confidence) == (
        "answered",
        "meal-who-can-use",
        None,
    )


def test_rasas_own_fallback_and_the_rule_scam_warning(domain) -> None:
    signals = response_signals(domain)
    assert classify(template(domain, "utter_default"), signals).kind == "fallback"
    rule = template(domain, "utter_scam_warning", "utter_ask_scam_paid")
    assert classify(rule, signals).kind == "scam_warning"
    assert classify(template(domain, "utter_greet"), signals).kind == "other"


def test_fallback_texts_come_from_the_domain_not_the_code(domain) -> None:
    changed = {
        **domain,
        "responses": {**domain["responses"], "utter_default": [{"text": "换了一个说法。"}]},
    }
    signals = response_signals(changed)
    assert classify([BotMessage(text="换了一个说法。")], signals).kind == "fallback"
    old = template(domain, "utter_default")
    assert classify(old, signals).kind == "other"


def test_a_guide_start_is_a_guide_with_its_topic(domain) -> None:
    messages = template(domain, "utter_meal_guide_start", "utter_ask_meal_district")
    outcome = classify(messages, response_signals(domain))
    assert (outcome.kind, outcome.topic) == ("guide", "meal")


async def test_a_guide_answer_and_its_result_are_guide_turns(
    real_services, domain, pinned_today
) -> None:
    tracker = make_tracker(
        "2",
        slots={"requested_slot": "meal_district", "meal_district": "2"},
        active_loop="meal_guide_form",
    )
    dispatcher = CollectingDispatcher()
    await ValidateMealGuideForm(real_services).run(dispatcher, tracker, domain)
    said = rest_messages(dispatcher.messages, domain) + template(domain, "utter_ask_meal_for")
    assert classify(said, response_signals(domain)).kind == "guide"

    done = make_tracker(
        "自己", slots={"meal_district": "城区", "meal_for": "自己", "meal_situation": "独居"}
    )
    dispatcher = CollectingDispatcher()
    await ActionMealGuideResult(real_services).run(dispatcher, done, domain)
    result = rest_messages(dispatcher.messages, domain)
    assert any(m.entry_id for m in result)  # it cites entries, yet it is a guide's result
    outcome = classify(result, response_signals(domain))
    assert (outcome.kind, outcome.topic) == ("guide", "meal")


async def test_saying_the_last_answer_again_is_not_a_new_answer(
    services, retriever, domain, pinned_today
) -> None:
    retriever.answers["助餐要钱吗"] = ["meal-is-it-free"]
    dispatcher = CollectingDispatcher()
    await ActionAnswerPolicy(services).run(dispatcher, make_tracker("助餐要钱吗"), domain)
    bot = [
        {"event": "bot", "text": m.get("text"), "data": {"custom": m.get("custom")}}
        for m in dispatcher.messages
    ]
    history = [{"event": "user", "text": "助餐要钱吗"}, *bot]
    again = CollectingDispatcher()
    await ActionRepeat(services).run(
        again, make_tracker("再说一遍", intent="repeat", events=history), domain
    )
    messages = rest_messages(again.messages, domain)
    assert messages and messages[0].text == dispatcher.messages[0]["text"]
    assert classify(messages, response_signals(domain)).kind == "other"
