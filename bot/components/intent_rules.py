"""The intent corrections of :class:`bot.components.intent_guard.IntentGuard`, without Rasa.

Kept apart from the component so that the app's environment can test them.
"""

from __future__ import annotations

import re

from textnorm.signals import (
    PRACTICE_CUES,
    asks_for_guide,
    general_scam_talk,
    is_question,
    pressed_now,
    privacy_worry,
    scam_signal,
    stop_request,
)

# What the help and alert intents must mention to keep their intent ("你都能干啥",
# "这个提醒是真的吗 YQ…"); otherwise the message is a question for the knowledge base.
# "先干啥", "该干啥" ask what to do first about the subject, not what the bot can do.
_HELP_RE = re.compile(
    r"(?<![先该得])(干啥|干嘛|干什么)|做什么|能做|会什么|会啥|怎么用|咋用|咋弄|使用|帮助|功能|本事|教教|不会用|菜单|"
    r"帮帮|问什么|问啥|问些|能问|help",
    re.I,
)
# "咋知道是不是真的" alone (after an answer on 96110) asks about that, not about an alert.
_ALERT_RE = re.compile(r"提醒|预警|警示|通知|yq|编号|推送|发的|消息|短信", re.I)
_HUMAN_RE = re.compile(r"转人|人工|真人|客服|接线|找人|找个人|工作人员|电话|热线|打给|联系|转接")
# A request for a person rather than for a number to call.
_PERSON_RE = re.compile(r"转人|人工|真人|客服|接线|工作人员|转接|找个人|找人说|跟人说")
# What a request to say it again names ("再说一遍", "没听清", "刚才说啥"); without it,
# "能念出来给我听不" is a question about a feature, not a repeat.
_REPEAT_RE = re.compile(
    r"再|重复|重说|重来|重新|没听|没太听|听不清|听不见|没看|看不清|没记|忘了|刚才|刚刚|说啥|说的啥|"
    r"说了个啥|上一条|大点声"
)
# What a question about the bot names ("你是机器人吗", "是真人不"); "电脑有教的不" does not.
_BOT_RE = re.compile(
    r"你|您|机器|真人|活人|是人|程序|人工智能|智能|助手|说话|聊|谁|jiqiren|zhenren|\bai\b", re.I
)
_SIMPLER_RE = re.compile(r"简单|听不懂|听不明白|没听懂|说白|通俗|慢点|没明白|看不懂|太长|大白话")


# Intents whose meaning no pattern may override.
PROTECTED = frozenset(
    {
        "EXTERNAL_fraud_alert",
        "subscribe_alerts",
        "unsubscribe_alerts",
        "shared_personal_data",
    }
)
SUBSCRIPTION = frozenset({"subscribe_alerts", "unsubscribe_alerts"})
# Longer than any way of only asking to (un)subscribe.
LONG_CHARS = 15
_SUBSCRIPTION_RE = re.compile(
    r"订|提醒|推送|通知|消息|预警|警报|不想收|别再?发|发给|给俺发|给我发|名单|骗|ding|tixing|tuiding",
    re.I,
)
# A worry about being scammed, not a scam under way ("也怕碰上骗子").
_WORRY_RE = re.compile(
    r"(?<![不恐])(怕|担心|害怕|防着|小心)(碰上|遇上|遇到|被|让|叫)?.{0,2}(骗|诈)"
)
# ... but not one who says they were cheated ("我不小心被骗了", "我怕是被骗了").
_CHEATED_RE = re.compile(r"怕是|被骗了|上当了|受骗了|已经|转了|给了")
# Reporting a scammer ("我想举报那个骗子号码") asks where to report, not for the scam check.
_REPORT_RE = re.compile(r"举报|检举|揭发")
# A word every way of saying stop has ("不问了", "算啦", "中止", "先放一放", "suanle").
_STOP_CUE_RE = re.compile(
    r"不|别|算|蒜|停|中止|中断|放一放|够|行了|好了|得了|罢了|跳过|结束|退出|拉倒|没事了|"
    r"suan|bu|bie|ting",
    re.I,
)
GUIDE_TOPIC_INTENT = {"start_meal_guide": "ask_meal", "start_adaptation_guide": "ask_adaptation"}
# Small talk that may carry a real question ("好的，那俺能去吗"); help and bot_challenge are
# questions by nature ("你都能干啥", "你是机器人吗") and keep their intent.
SMALL_TALK = frozenset({"affirm", "deny", "goodbye", "greet", "thank"})


def guarded_intent(intent: str, text: str) -> tuple[str, str] | None:
    """The corrected intent and the reason, or ``None`` to keep ``intent``."""
    if not text or text.startswith("/"):
        return None
    if (
        intent in SUBSCRIPTION
        and (len(text) > LONG_CHARS or is_question(text))
        and not _SUBSCRIPTION_RE.search(text)
    ):
        # A long message or a question that names no alert or subscription ("退休以后想学
        # 书法…怎么报名", "报警管用不") is a question the classifier mistook for "订阅".
        return "ask_policy", "no subscription named"
    if intent in PROTECTED:
        return None
    if intent in {"verify_alert", "ask_alert_meaning"}:
        return None if _ALERT_RE.search(text) else ("ask_policy", "no alert named")
    signal = scam_signal(text)
    general = signal.strong == ("scam_word",) and general_scam_talk(text)
    if intent == "describe_suspicious":
        # The classifier alone is not enough to start the scam check. Without a scam cue
        # the message goes to the knowledge base, which says the warning first when the
        # retrieval over the scam entries agrees (actions/knowledge_answer.py) and then
        # answers, without the questionnaire. So does a worry about personal data ("要填身份证号不？我怕泄露") and talk about scams
        # in general ("政府打击骗老人的事管不管").
        if not signal.any:
            return "ask_policy", "no scam cue"
        if privacy_worry(text) and not signal.strong:
            return "ask_policy", "a privacy worry"
        if general:
            return "ask_fraud_tips", "scams in general"
        if _about_a_practice(signal.strong + signal.weak, text):
            return "ask_policy", "a scam practice: warn, then answer"
        if _worried(signal.strong, text):
            # "也怕碰上骗子，到底该怎么认证才稳当": a worry, asked with a question of its own.
            return "ask_policy", "a worry about scams: warn, then answer"
        if _reporting(text):
            return "ask_policy", "reporting a scam: warn, then answer"
        return None
    if intent == "request_human" and not _HUMAN_RE.search(text):
        return "ask_policy", "no request for a person"
    if intent == "request_human" and is_question(text) and not _PERSON_RE.search(text):
        # "那我打哪个电话问" after a pension answer: the number depends on the subject
        # (12333 for pensions), so the knowledge base answers it as a follow-up.
        return "ask_policy", "which number to call"
    if signal.fired:
        describing = [c for c in signal.strong if c != "scam_word"] or len(signal.weak) >= 2
        practice = _about_a_practice(signal.strong + signal.weak, text)
        calm = general or practice or _worried(signal.strong, text) or _reporting(text)
        if (describing or intent != "ask_fraud_tips") and not calm:
            return "describe_suspicious", "scam:" + ",".join(signal.strong + signal.weak)
    stopping = _stop_guard(intent, text)
    if stopping is not None:
        return stopping
    if intent in GUIDE_TOPIC_INTENT and not asks_for_guide(text):
        return GUIDE_TOPIC_INTENT[intent], "not an explicit guide request: answer, then offer"
    return _small_talk_guard(intent, text)


def _stop_guard(intent: str, text: str) -> tuple[str, str] | None:
    """Stop means stop: only when the whole message says so; "算了，问问助餐" switches."""
    stop = stop_request(text)
    if intent == "stop" and stop.kind == "none" and is_question(text):
        return "ask_policy", "a question, not a stop"
    if intent == "stop" and stop.kind == "none" and not _STOP_CUE_RE.search(text):
        # Nothing that says stop ("点了还没填" inside the scam check): an answer or a new
        # message, not a stop the classifier guessed.
        return "ask_policy", "no word of stopping"
    if stop.kind == "switch" and intent != "switch_topic":
        return "switch_topic", "stop and switch"
    return None


def _small_talk_guard(intent: str, text: str) -> tuple[str, str] | None:
    """A question the classifier took for small talk, help, repeat or simpler goes to the
    knowledge base unless it says the words of that intent."""
    question = is_question(text)
    long_question = question and len(text) > 6
    if intent in SMALL_TALK and long_question:
        return "ask_policy", "a question"
    if intent == "help" and question and not _HELP_RE.search(text):
        return "ask_policy", "a question, not a help request"
    if intent == "repeat" and (question or len(text) > 8) and not _REPEAT_RE.search(text):
        # "俺妈耳朵越来越背，跟她说话得喊" is no request to say the last answer again.
        return "ask_policy", "not a request to say it again"
    if intent == "bot_challenge" and not _BOT_RE.search(text):
        return "ask_policy", "nothing about the bot"
    if intent == "simpler" and long_question and not _SIMPLER_RE.search(text):
        return "ask_policy", "a question, not a request to say it simpler"
    return None


def _worried(strong: tuple[str, ...], text: str) -> bool:
    """Whether the only scam cue is a worry about being scammed ("也怕碰上骗子"), with
    nobody pressing the writer now."""
    return (
        strong == ("scam_word",)
        and bool(_WORRY_RE.search(text))
        and not _CHEATED_RE.search(text)
        and not pressed_now(text)
    )


def _reporting(text: str) -> bool:
    """Whether the writer wants to report a scammer, with nobody pressing them now."""
    return bool(_REPORT_RE.search(text)) and not pressed_now(text)


def _about_a_practice(cues: tuple[str, ...], text: str) -> bool:
    """Whether every scam cue is of a product or practice, none of a contact scam, and
    nobody is pressing the writer now ("今天有人上俺家推销保健品，非让俺交钱")."""
    return bool(cues) and set(cues) <= PRACTICE_CUES and not pressed_now(text)
