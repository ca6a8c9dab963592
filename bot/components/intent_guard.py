"""Rasa NLU component that corrects the classifier where a mistake costs most.

Placed after ``FallbackClassifier``. It reads the repaired text and, with the patterns of
:mod:`textnorm.signals` (shared with the actions), changes the predicted intent:

* **Scams first.** A message that describes a possible scam becomes ``describe_suspicious``
  whatever the classifier said, so the first reply warns (110 / 96110) before the scam
  check asks anything. A general question about scams ("怎么防骗") stays ``ask_fraud_tips``
  (the knowledge answer warns first too). Alert intents are never changed.
* **Stop means stop.** ``stop`` stays only when the whole message means stop. "算了，问问
  助餐" becomes ``switch_topic`` (leave the form, answer the new request); a question that
  ends in 不 ("政府管这个不") becomes ``ask_policy``.
* **No silent forms.** A guide intent for a specific question ("助餐怎么申请") becomes the
  topic's question intent: the question is answered first and the guide is offered.
* **Questions are questions.** ``affirm``/``deny``/``greet``/``thank`` for a message that asks
  something ("那能去吗", "不是低保能吃吗") become ``ask_policy``.

Each change is recorded in the parse output as ``intent_guard`` (old intent and reason),
and logged with the two intents and the reason (never the text), under the message's
request id (:mod:`bot.request_logging`).
"""

from __future__ import annotations

import logging

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.shared.nlu.constants import INTENT, INTENT_NAME_KEY, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message

from bot.components.base import Component
from bot.components.intent_rules import guarded_intent

log = logging.getLogger(__name__)


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False)
class IntentGuard(Component):
    """Corrects the predicted intent with the shared signal patterns (see module doc). Made
    from nothing (:meth:`Component.build`)."""

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            intent = message.get(INTENT) or {}
            name = str(intent.get(INTENT_NAME_KEY) or "")
            guarded = guarded_intent(name, str(message.get(TEXT) or ""))
            if guarded is None:
                continue
            new, reason = guarded
            log.info("intent %s -> %s: %s", name, new, reason)
            ranking = [
                r for r in message.get(INTENT_RANKING_KEY) or [] if r.get(INTENT_NAME_KEY) != new
            ]
            message.set(INTENT, {INTENT_NAME_KEY: new, "confidence": 1.0}, add_to_output=True)
            message.set(
                INTENT_RANKING_KEY,
                [{INTENT_NAME_KEY: new, "confidence": 1.0}, *ranking],
                add_to_output=True,
            )
            message.set("intent_guard", {"from": name, "reason": reason}, add_to_output=True)
        return messages
