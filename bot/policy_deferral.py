"""Run TED only when its prediction can change the next action.

Rasa runs every policy for every prediction and lets the ensemble pick the best one
(``DefaultPolicyPredictionEnsemble``): "no user" predictions first, then end-to-end ones,
then the highest confidence, ties going to the higher priority. A message takes two
predictions or more (the action, then ``action_listen``), and the rules decide almost all
of them, each with confidence 1.0 from ``RulePolicy`` (priority 6) or ``MemoizationPolicy``
(3). TED (priority 1) cannot beat those: its confidences are a softmax, at most 1.0, and
without end-to-end training data it never makes an end-to-end prediction. Yet running
it (featurising the tracker, a TensorFlow call) was the largest single cost of a message.

:func:`install` makes TED's graph node return a :class:`DeferredPrediction`, and the
ensemble computes it only when the other predictions leave it a chance: nothing changes
in what the bot does, only TED's work is skipped when it is wasted. TED runs as before
when it could predict end to end, when its confidences are not a softmax, or when the
last action was rejected (the ensemble then zeroes that action in every prediction).

Installed by :class:`bot.tracker_store.StrictSQLTrackerStore` when Rasa builds it at
start-up, before the model's graph is loaded (the graph takes TED's method then).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from rasa.core.policies.policy import PolicyPrediction
from rasa.shared.core.events import ActionExecuted, ActionExecutionRejected
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import TEXT
from rasa.utils.tensorflow.constants import MODEL_CONFIDENCE, SOFTMAX

if TYPE_CHECKING:  # TensorFlow is imported by install(), when Rasa loads anyway
    from rasa.core.policies.ted_policy import TEDPolicy

log = logging.getLogger(__name__)

# Rasa's own methods while ours are installed (empty otherwise).
_ORIGINAL: dict[str, Any] = {}
# How many TED predictions were deferred, and how many of those had to be computed.
STATS = {"deferred": 0, "computed": 0}


class DeferredPrediction(PolicyPrediction):
    """A policy's prediction, computed on first :meth:`resolve`.

    Until then it holds only what the ensemble needs to know that the policy cannot win:
    its name and priority, and that it is neither a "no user" nor an end-to-end
    prediction, has no events, and no confidence above 1.0.
    """

    def __init__(self, compute: Callable[[], PolicyPrediction], name: str, priority: int):
        super().__init__([], name, priority)
        self._compute = compute
        self._resolved: PolicyPrediction | None = None

    def resolve(self) -> PolicyPrediction:
        if self._resolved is None:
            STATS["computed"] += 1
            self._resolved = self._compute()
        return self._resolved


def can_defer(policy: TEDPolicy) -> bool:
    """Whether this TED's predictions are softmax confidences that never use user text."""
    uses_text = policy.only_e2e or TEXT in getattr(policy, "fake_features", {})
    return not uses_text and policy.config.get(MODEL_CONFIDENCE) == SOFTMAX


def _ted_predict(
    self: TEDPolicy, tracker: DialogueStateTracker, domain: Any, **kwargs: Any
) -> PolicyPrediction:
    original = _ORIGINAL["ted"]
    if self.model is None or not can_defer(self):
        return original(self, tracker, domain, **kwargs)  # type: ignore[no-any-return]
    STATS["deferred"] += 1

    def compute() -> PolicyPrediction:
        return original(self, tracker, domain, **kwargs)  # type: ignore[no-any-return]

    return DeferredPrediction(compute, self.__class__.__name__, self.priority)


def _last_action_rejected(tracker: DialogueStateTracker) -> bool:
    for event in reversed(tracker.events):
        if isinstance(event, (ActionExecutionRejected, ActionExecuted)):
            return isinstance(event, ActionExecutionRejected)
    return False


def cannot_win(deferred: DeferredPrediction, others: list[PolicyPrediction]) -> bool:
    """Whether ``_pick_best_policy`` would pass over ``deferred`` whatever its confidences.

    It is passed over when another prediction is "no user" or end to end (those go first,
    and ``deferred`` is neither), or when another beats its best possible (confidence 1.0,
    its priority) in the ensemble's comparison of (confidence, priority).
    """
    best_possible = (1.0, deferred.policy_priority)
    return any(
        p.is_no_user_prediction
        or p.is_end_to_end_prediction
        or (p.max_confidence, p.policy_priority) > best_possible
        for p in others
    )


def _best_policy_prediction(
    predictions: list[PolicyPrediction], tracker: DialogueStateTracker, domain: Any
) -> PolicyPrediction:
    original = _ORIGINAL["ensemble"]
    deferred = [p for p in predictions if isinstance(p, DeferredPrediction)]
    if deferred:
        others = [p for p in predictions if not isinstance(p, DeferredPrediction)]
        skip = others and not _last_action_rejected(tracker)
        if skip and all(cannot_win(d, others) for d in deferred):
            return original(others, tracker, domain)  # type: ignore[no-any-return]
        predictions = [p.resolve() if isinstance(p, DeferredPrediction) else p for p in predictions]
    return original(predictions, tracker, domain)  # type: ignore[no-any-return]


def install() -> None:
    """Defer TED's predictions and let the ensemble compute them when needed (idempotent)."""
    if _ORIGINAL:
        return
    from rasa.core.policies.ensemble import DefaultPolicyPredictionEnsemble
    from rasa.core.policies.ted_policy import TEDPolicy

    _ORIGINAL["ted"] = TEDPolicy.predict_action_probabilities
    _ORIGINAL["ensemble"] = DefaultPolicyPredictionEnsemble._best_policy_prediction
    TEDPolicy.predict_action_probabilities = _ted_predict  # type: ignore[method-assign,assignment]
    DefaultPolicyPredictionEnsemble._best_policy_prediction = staticmethod(  # type: ignore[method-assign]
        _best_policy_prediction
    )
    log.info("TED runs only when its prediction can change the next action")


def uninstall() -> None:
    """Give Rasa back its own methods (for tests and side-by-side benchmarks)."""
    if not _ORIGINAL:
        return
    from rasa.core.policies.ensemble import DefaultPolicyPredictionEnsemble
    from rasa.core.policies.ted_policy import TEDPolicy

    TEDPolicy.predict_action_probabilities = _ORIGINAL["ted"]  # type: ignore[method-assign]
    DefaultPolicyPredictionEnsemble._best_policy_prediction = staticmethod(  # type: ignore[method-assign]
        _ORIGINAL["ensemble"]
    )
    _ORIGINAL.clear()
