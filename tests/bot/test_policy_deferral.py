"""TED runs only when it can change the next action, and the bot predicts exactly what it
predicted before (run in Rasa's environment, ``.venv-rasa``, with the trained model)."""

from __future__ import annotations

import json
import subprocess

from tests.support.stack import RASA_BIN, ROOT, model_path

SAME_PREDICTIONS = r"""
import asyncio, json, sys, time
from rasa.core.agent import Agent
from rasa.core.test import _create_data_generator
from rasa.shared.core.events import ActionExecuted
from rasa.shared.core.trackers import DialogueStateTracker
from bot import policy_deferral

MODEL = sys.argv[1]

def trackers(agent):
    out = []
    for data in ("bot/data", "tests/stories"):
        out += _create_data_generator(data, agent).generate_story_trackers()
    return out

async def predictions(agent, stories):
    seen = []
    for story in stories:
        events = list(story.events)
        for i, event in enumerate(events):
            if i == 0 or not isinstance(event, ActionExecuted):
                continue
            partial = DialogueStateTracker.from_events(
                story.sender_id, events[:i], agent.domain.slots
            )
            p = agent.processor._predict_next_with_tracker(partial)
            seen.append([
                agent.domain.action_names_or_texts[p.max_confidence_index],
                p.policy_name, round(p.max_confidence, 6),
                [e.as_dict()["event"] for e in p.events],
            ])
    return seen

policy_deferral.install()  # before loading: the graph takes TED's method then
agent = Agent.load(MODEL)
stories = trackers(agent)
always = policy_deferral.cannot_win
policy_deferral.cannot_win = lambda deferred, others: False  # TED computed every time
t0 = time.process_time()
before = asyncio.run(predictions(agent, stories))
t1 = time.process_time()
policy_deferral.cannot_win = always
policy_deferral.STATS.update(deferred=0, computed=0)
after = asyncio.run(predictions(agent, stories))
t2 = time.process_time()
print(json.dumps({
    "before": before, "after": after, "stats": policy_deferral.STATS,
    "ted_wins": sum(1 for p in before if p[1] == "TEDPolicy"),
    "cpu_ms": [round((t1 - t0) * 1000 / len(before), 2), round((t2 - t1) * 1000 / len(after), 2)],
}))
"""


def test_deferring_ted_changes_no_prediction_and_skips_most_ted_runs() -> None:
    python = RASA_BIN.parent / "python"
    result = subprocess.run(
        [str(python), "-c", SAME_PREDICTIONS, str(model_path())],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=560,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads(result.stdout.strip().splitlines()[-1])
    before, after, stats = report["before"], report["after"], report["stats"]
    assert len(before) > 100  # every action of the stories, rules and test stories
    assert after == before  # same action, same winning policy, confidence and events
    assert stats["deferred"] == len(after)  # one TED prediction deferred per prediction
    # TED is computed only where the rules and memoisation leave it a chance, which
    # includes every prediction TED itself wins.
    assert report["ted_wins"] <= stats["computed"] < stats["deferred"] / 2


ENSEMBLE = r"""
import json
from rasa.core.policies.ensemble import DefaultPolicyPredictionEnsemble
from rasa.core.policies.policy import PolicyPrediction
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, ActionExecutionRejected, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from bot import policy_deferral
from bot.policy_deferral import DeferredPrediction

policy_deferral.install()
domain = Domain.from_dict({"intents": ["greet"], "actions": ["act_a", "act_b"]})
n = len(domain.action_names_or_texts)
a, b = domain.index_for_action("act_a"), domain.index_for_action("act_b")

def probs(i, c):
    out = [0.0] * n
    out[i] = c
    return out

def ted(i, c):
    return DeferredPrediction(lambda: PolicyPrediction(probs(i, c), "TEDPolicy", 1),
                              "TEDPolicy", 1)

def tracker(rejected=False):
    events = [ActionExecuted("action_listen"), UserUttered("hi", {"name": "greet"})]
    if rejected:
        events += [ActionExecuted("act_a"), ActionExecutionRejected("act_a")]
    return DialogueStateTracker.from_events("s", events, [])

def pick(others, deferred, rejected=False):
    policy_deferral.STATS.update(deferred=0, computed=0)
    got = DefaultPolicyPredictionEnsemble().combine_predictions(
        [*others, deferred], tracker(rejected), domain)
    return [domain.action_names_or_texts[got.max_confidence_index], got.policy_name,
            policy_deferral.STATS["computed"]]

rule = lambda i, c=1.0: PolicyPrediction(probs(i, c), "RulePolicy", 6)
print(json.dumps({
    "rule_sure": pick([rule(a)], ted(b, 0.99)),
    "rule_unsure": pick([rule(a, 0.3)], ted(b, 0.9)),
    "nothing_else": pick([PolicyPrediction([0.0] * n, "RulePolicy", 6)], ted(b, 0.9)),
    "rejected": pick([rule(a)], ted(b, 0.9), rejected=True),
    "no_user": pick([PolicyPrediction(probs(a, 0.2), "RulePolicy", 6,
                                      is_no_user_prediction=True)], ted(b, 0.9)),
}))
"""


def test_the_ensemble_computes_ted_only_when_it_could_win() -> None:
    python = RASA_BIN.parent / "python"
    result = subprocess.run(
        [str(python), "-c", ENSEMBLE], cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr[-3000:]
    got = json.loads(result.stdout.strip().splitlines()[-1])
    assert got["rule_sure"] == ["act_a", "RulePolicy", 0]  # a rule at 1.0: TED skipped
    assert got["rule_unsure"] == ["act_b", "TEDPolicy", 1]  # TED more confident: it wins
    assert got["nothing_else"] == ["act_b", "TEDPolicy", 1]
    # act_a was rejected: the ensemble zeroes it everywhere, so TED must be computed.
    assert got["rejected"] == ["act_b", "TEDPolicy", 1]
    assert got["no_user"] == ["act_a", "RulePolicy", 0]  # "no user" goes first
