"""The shared signal patterns: scams, stop, questions (textnorm.signals, intent rules)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.components.intent_rules import guarded_intent
from tests.support.nlu import all_examples
from textnorm.signals import is_question, names_no_subject, scam_signal, stop_request

ROOT = Path(__file__).resolve().parents[2]

# Phrasings written for this test, checked below to be absent from the NLU training data.
SCAMS = [
    "有个自称公安局的人说我卡涉嫌洗钱，让我把存款挪到他给的账户",
    "手机上来了条消息说我的社保卡被冻结了，点链接就能解冻",
    "电话那头哭着喊奶奶，说撞了人要赔钱，让我先打两万过去别告诉他爸",
    "小区门口天天有人发鸡蛋，让去听健康课，老伴去了买了一万多的药",
    "他们说投这个养老公寓，一年分红百分之二十，还送床位",
    "有个人说能帮我提高养老金，先交三千块办手续",
    "快递员打电话说包裹丢了要赔我钱，叫我扫个码",
    "银行的人让我把手机上收到的六位数念给他听",
    "网上认识个老伴，说带我炒黄金稳赚",
    "有人上门说回收我家的纪念币，价钱高得很，先交鉴定费",
    "这个卖床垫的说能治腰椎病，不用去医院",
    "刚才有人视频跟我借钱，长得跟我儿子一模一样",
    "门口来了个人，说改造有政府补贴，得先付一千块订金",
    "他说能帮我办高龄津贴，得给他两百块",
]
NOT_SCAMS = [
    "老年助餐怎么申请",
    "家里卫生间装扶手有补贴吗",
    "社区食堂几点开门",
    "以旧换新能补多少",
    "我想给我妈找个养老院",
    "长期护理保险谁能享受",
    "社区帮老人办长护险收费不",
]


def test_phrasings_are_not_training_examples() -> None:
    assert not set(SCAMS + NOT_SCAMS) & set(all_examples())


@pytest.mark.parametrize("text", SCAMS)
def test_scams_fire_without_any_intent(text: str) -> None:
    assert scam_signal(text).fired, scam_signal(text)


@pytest.mark.parametrize("text", NOT_SCAMS)
def test_ordinary_questions_do_not_fire(text: str) -> None:
    assert not scam_signal(text).fired, scam_signal(text)


@pytest.mark.parametrize(
    "intent", ["ask_policy", "ask_meal", "out_of_scope", "nlu_fallback", "inform", "greet"]
)
def test_a_described_scam_becomes_describe_suspicious_whatever_the_classifier_said(
    intent: str,
) -> None:
    guarded = guarded_intent(intent, SCAMS[0])
    assert guarded is not None and guarded[0] == "describe_suspicious"


def test_alert_intents_are_never_changed() -> None:
    assert guarded_intent("verify_alert", "这个防骗提醒是真的吗，说不要转账") is None
    assert guarded_intent("ask_alert_meaning", "提醒里说的安全账户是啥意思") is None


def test_a_general_scam_question_stays_a_question() -> None:
    assert guarded_intent("ask_fraud_tips", "老人平时怎么防骗") is None


@pytest.mark.parametrize(
    ("text", "kind", "rest"),
    [
        ("算了", "stop", ""),
        ("算了算了，不问了，谢谢啊", "stop", ""),
        ("好了", "stop", ""),
        ("打住", "stop", ""),
        ("算了，问问别的", "switch", ""),
        ("算了，我想问养老院收费", "switch", "我想问养老院收费"),
        ("政府管这个不", "none", ""),
        ("好了以后还能去吗", "none", ""),
        ("行不行啊", "none", ""),
    ],
)
def test_stop_means_the_whole_message(text: str, kind: str, rest: str) -> None:
    found = stop_request(text)
    assert (found.kind, found.rest) == (kind, rest)


def test_a_question_ending_in_bu_is_not_a_stop() -> None:
    assert guarded_intent("stop", "政府管这个不") == ("ask_policy", "a question, not a stop")
    assert guarded_intent("stop", "算了") is None


def test_the_classifier_alone_does_not_stop_without_a_word_of_stopping() -> None:
    assert guarded_intent("stop", "点了还没填") == ("ask_policy", "no word of stopping")
    assert guarded_intent("stop", "收费不") == ("ask_policy", "a question, not a stop")
    for text in ("先放一放", "不想填了", "算啦", "suanle", "中止", "结束吧", "拉倒", "没事了"):
        assert guarded_intent("stop", text) is None


def test_stop_and_switch_is_its_own_intent() -> None:
    assert guarded_intent("stop", "算了，问问养老院的事")[0] == "switch_topic"  # type: ignore[index]
    assert guarded_intent("ask_meal", "不弄了，我想问助餐在哪吃")[0] == "switch_topic"  # type: ignore[index]


def test_a_specific_question_never_starts_a_guide() -> None:
    assert guarded_intent("start_meal_guide", "助餐要带什么证件")[0] == "ask_meal"  # type: ignore[index]
    assert guarded_intent("start_meal_guide", "帮我一步步看看助餐") is None


@pytest.mark.parametrize(
    "text", ["那要钱不", "去哪儿办", "我妈能去吗", "多大岁数能吃", "政府管这个不", "收费不"]
)
def test_follow_ups_are_questions(text: str) -> None:
    assert is_question(text)


@pytest.mark.parametrize("text", ["城区吧", "一个人住", "还没有", "低保户", "俺还没"])
def test_form_answers_are_not_questions(text: str) -> None:
    assert not is_question(text)


def test_the_classifier_alone_does_not_start_the_scam_check() -> None:
    assert guarded_intent("describe_suspicious", "我爸癌症晚期了，想让他少受点罪") == (
        "ask_policy",
        "no scam cue",
    )
    assert guarded_intent("describe_suspicious", SCAMS[0]) is None


def test_a_handoff_needs_a_person_or_a_phone() -> None:
    assert guarded_intent("request_human", "想跟团出去转转")[0] == "ask_policy"  # type: ignore[index]
    assert guarded_intent("request_human", "我要找人工客服") is None


def test_a_privacy_worry_does_not_start_the_scam_check() -> None:
    # One weak cue (身份证) in a worry about personal data: answered, not questioned.
    assert guarded_intent("describe_suspicious", "填表要写身份证号吗？会不会泄露") == (
        "ask_policy",
        "a privacy worry",
    )
    # A described scam that mentions a card still starts it.
    assert guarded_intent("describe_suspicious", SCAMS[7]) is None


def test_talk_about_scams_in_general_is_answered_not_questioned() -> None:
    assert guarded_intent("describe_suspicious", "公安打击骗老人的事有哪些")[0] == "ask_fraud_tips"
    assert guarded_intent("ask_policy", "现在常见的骗局有哪些") is None  # stays a question
    # Someone who says it happened to them gets the scam check.
    assert guarded_intent("describe_suspicious", "我昨天好像被骗了，怎么防") is None


@pytest.mark.parametrize("text", ["那个要钱不", "一个月多少钱", "体检不要钱吗", "花钱吗"])
def test_asking_what_something_costs_is_not_a_money_cue(text: str) -> None:
    assert "money" not in scam_signal(text).weak


def test_savings_are_still_a_money_cue() -> None:
    assert "money" in scam_signal("他让我把存款取出来").weak
    assert "money" in scam_signal("让我把钱取出来给他").weak


@pytest.mark.parametrize(
    "text", ["养老理财靠谱不", "有个保健品说能治好糖尿病，上哪举报", "听讲座时候买的保健品后悔了"]
)
def test_a_scam_practice_is_answered_after_the_warning_not_questioned(text: str) -> None:
    """A product or practice someone asks about still fires the scam cues (so the knowledge
    answer says the warning first), but gets the answer, not the scam check's questions."""
    assert scam_signal(text).fired
    assert guarded_intent("describe_suspicious", text) == (
        "ask_policy",
        "a scam practice: warn, then answer",
    )
    assert guarded_intent("ask_policy", text) is None


@pytest.mark.parametrize(
    "text", ["有人打电话说我孙子出车祸了，让我转钱", "我好像被骗了，买保健品花了两万"]
)
def test_a_contact_scam_or_a_cheated_writer_still_gets_the_scam_check(text: str) -> None:
    assert guarded_intent("describe_suspicious", text) is None
    guarded = guarded_intent("ask_policy", text)
    assert guarded is not None and guarded[0] == "describe_suspicious"


def test_which_number_to_call_is_a_question_a_person_is_a_handoff() -> None:
    """The number depends on the subject (12333 for pensions): the knowledge base answers
    "那我打哪个电话问" as a follow-up; asking for a person stays a handoff."""
    assert guarded_intent("request_human", "那我打哪个电话问") == (
        "ask_policy",
        "which number to call",
    )
    assert names_no_subject("那我打哪个电话问")
    assert names_no_subject("找谁说理") and names_no_subject("跟谁反映")
    assert not names_no_subject("跟社区反映能管用不")
    assert guarded_intent("request_human", "我要找人工") is None
    assert guarded_intent("request_human", "能找个真人跟我说说不") is None


def test_a_long_question_the_classifier_took_for_a_subscription_is_a_question() -> None:
    text = "我今年六十八，退休以后想找个地方学学书法，不知道怎么报名，收不收钱"
    assert guarded_intent("subscribe_alerts", text) == ("ask_policy", "no subscription named")
    assert guarded_intent("subscribe_alerts", "以后有防骗的提醒，也给俺发一个吧，中不中") is None
    assert guarded_intent("subscribe_alerts", "dingyue") is None
    assert guarded_intent("unsubscribe_alerts", "别发了太多了") is None


@pytest.mark.parametrize("text", ["叫俺转钱", "他让我转账", "让我赶紧打钱", "叫我去银行汇款"])
def test_the_repairs_never_turn_a_transfer_into_something_harmless(text: str) -> None:
    """The homophone repair follows the corpus: once entries say 赚钱 often, "转钱" (a typo of
    nothing) could become "赚钱" and lose the transfer cue. Transfer words are terms."""
    from textnorm.vocabulary import load_vocabulary

    normalizer = load_vocabulary(
        Path(__file__).resolve().parents[2] / "knowledge" / "data"
    ).normalizer()
    repaired = normalizer.normalize(text).text
    assert "transfer" in scam_signal(repaired).strong, repaired


@pytest.mark.parametrize(
    ("intent", "text"),
    [
        ("bot_challenge", "电脑有教的不"),
        ("repeat", "能念出来给我听不"),
        ("unsubscribe_alerts", "报警管用不"),
    ],
)
def test_a_question_the_classifier_took_for_small_talk_goes_to_the_knowledge_base(
    intent: str, text: str
) -> None:
    guarded = guarded_intent(intent, text)
    assert guarded is not None and guarded[0] == "ask_policy"


@pytest.mark.parametrize(
    ("intent", "text"),
    [
        ("bot_challenge", "你是真人吗"),
        ("bot_challenge", "是机器人不"),
        ("repeat", "刚才说啥"),
        ("repeat", "再说一遍好吗"),
        ("unsubscribe_alerts", "不要再发提醒了"),
        ("subscribe_alerts", "能给我发防骗消息吗"),
    ],
)
def test_small_talk_that_names_what_it_asks_keeps_its_intent(intent: str, text: str) -> None:
    assert guarded_intent(intent, text) is None


def test_a_long_message_without_repeat_words_is_no_repeat() -> None:
    assert guarded_intent("repeat", "我爸腿脚越来越不利索，走路得扶着") == (
        "ask_policy",
        "not a request to say it again",
    )
    assert guarded_intent("repeat", "刚才那个再说一遍") is None


def test_a_question_is_no_goodbye() -> None:
    assert guarded_intent("goodbye", "我想问问老年大学今年还招人不，学费贵不贵") == (
        "ask_policy",
        "a question",
    )
    assert guarded_intent("goodbye", "好的再见") is None


def test_a_worry_about_scams_is_answered_after_the_warning() -> None:
    worry = "我想给我妈办助餐卡，就怕碰上骗子，该去哪办才放心"
    assert guarded_intent("describe_suspicious", worry) == (
        "ask_policy",
        "a worry about scams: warn, then answer",
    )
    # Someone pressing the writer now is a scam under way, worried or not.
    pressed = "有人打电话让我转钱到安全账户，我怕是骗子"
    assert guarded_intent("describe_suspicious", pressed) is None


def test_reporting_a_scammer_asks_where_to_report() -> None:
    assert guarded_intent("describe_suspicious", "我想举报一个诈骗电话号码") == (
        "ask_policy",
        "reporting a scam: warn, then answer",
    )


@pytest.mark.parametrize(
    ("text", "cue"),
    [
        ("退休金这个月没有打到卡里", None),  # money not received is no transfer
        ("他让我把钱打到他卡上", "transfer"),
        ("小区微信群里有人拉老人报名体检", None),  # a WeChat group is no secret asked for
        ("对方让我把微信密码发给他", "secret"),
    ],
)
def test_money_in_and_wechat_groups_are_no_scam_cues(text: str, cue: str | None) -> None:
    strong = scam_signal(text).strong
    if cue is None:
        assert "transfer" not in strong and "secret" not in strong
    else:
        assert cue in strong


def test_a_worry_the_classifier_missed_starts_no_scam_check() -> None:
    worry = "我想给我妈办助餐卡，就怕碰上骗子，该去哪办才放心"
    assert guarded_intent("nlu_fallback", worry) is None


@pytest.mark.parametrize(
    "text", ["有人拉我报团，两百块钱玩四天还送米", "99元五天游海南", "零团费的团"]
)
def test_a_cheap_tour_is_a_scam_practice(text: str) -> None:
    assert "cheap_tour" in scam_signal(text).strong


@pytest.mark.parametrize("text", ["阳泉有哪些适合老人的旅游线路", "报个老年旅游团大概多少钱"])
def test_asking_about_tours_is_no_scam_cue(text: str) -> None:
    assert "cheap_tour" not in scam_signal(text).strong


@pytest.mark.parametrize("text", ["我不小心被骗了，咋办", "我怕是被骗了", "恐怕被骗了怎么办"])
def test_one_who_was_cheated_is_no_mere_worry(text: str) -> None:
    guarded = guarded_intent("describe_suspicious", text)
    assert guarded is None or guarded[0] == "describe_suspicious"


def test_a_report_the_classifier_took_for_a_question_starts_no_scam_check() -> None:
    assert guarded_intent("ask_policy", "我想举报一个诈骗电话号码") is None


@pytest.mark.parametrize(
    "text", ["声音太小了听不清楚", "你说的我没太听清楚", "俺耳朵背，听不见你说的"]
)
def test_a_long_request_to_hear_it_again_is_a_repeat(text: str) -> None:
    assert guarded_intent("repeat", text) is None


@pytest.mark.parametrize("text", ["咱俩一块出去玩两天吧", "和老伴一块去玩几天"])
def test_together_is_no_cheap_tour(text: str) -> None:
    assert "cheap_tour" not in scam_signal(text).strong


def test_what_to_do_first_is_a_question_not_a_help_request() -> None:
    """ "要是弄的话先干啥" asks the first step of what was just discussed; "你都能干啥" asks what
    the bot can do."""
    assert guarded_intent("help", "要是弄的话先干啥") == (
        "ask_policy",
        "a question, not a help request",
    )
    assert guarded_intent("help", "被骗了该干啥") is not None
    assert guarded_intent("help", "你都能干啥") is None
    assert guarded_intent("help", "能干什么") is None


def test_is_it_real_with_no_alert_named_is_a_question() -> None:
    """ "咋知道是不是真的" right after an answer on 96110 asks whether that call is real: with
    no alert, number or message named, it is no request to check one of our alerts."""
    assert guarded_intent("verify_alert", "咋知道是不是真的") == ("ask_policy", "no alert named")
    assert guarded_intent("verify_alert", "这条提醒是真的假的") is None
    assert guarded_intent("verify_alert", "收到一条消息说是银发助手发的，真的吗") is None
