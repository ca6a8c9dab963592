"""The intent corrections of :class:`bot.components.intent_guard.IntentGuard`, without Rasa.

Kept apart from the component so that the app's environment can test them.
"""

from __future__ import annotations

from textnorm.signals import asks_for_guide, is_question, scam_signal, stop_request

# Intents whose meaning no pattern may override.
PROTECTED = frozenset(
    {
        "EXTERNAL_fraud_alert",
        "verify_alert",
        "ask_alert_meaning",
        "subscribe_alerts",
        "unsubscribe_alerts",
        "request_human",
        "shared_personal_data",
        "describe_suspicious",
    }
)
GUIDE_TOPIC_INTENT = {"start_meal_guide": "ask_meal", "start_adaptation_guide": "ask_adaptation"}
SMALL_TALK = frozenset({"affirm", "deny", "greet", "thank", "goodbye", "bot_challenge", "help"})


def guarded_intent(intent: str, text: str) -> tuple[str, str] | None:
    """The corrected intent and the reason, or ``None`` to keep ``intent``."""
    if not text or text.startswith("/") or intent in PROTECTED:
        return None
    signal = scam_signal(text)
    if signal.fired:
        describing = [c for c in signal.strong if c != "scam_word"] or len(signal.weak) >= 2
        if describing or intent != "ask_fraud_tips":
            return "describe_suspicious", "scam:" + ",".join(signal.strong + signal.weak)
    stop = stop_request(text)
    if intent == "stop" and stop.kind == "none" and is_question(text):
        return "ask_policy", "a question, not a stop"
    if stop.kind == "switch" and intent != "switch_topic":
        return "switch_topic", "stop and switch"
    if intent in GUIDE_TOPIC_INTENT and is_question(text) and not asks_for_guide(text):
        return GUIDE_TOPIC_INTENT[intent], "a question, not a guide request"
    if intent in SMALL_TALK and is_question(text) and len(text) > 4:
        return "ask_policy", "a question"
    return None
