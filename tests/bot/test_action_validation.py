"""Action responses are validated with one prebuilt validator, exactly as strictly as Rasa's
own ``jsonschema.validate`` (run in Rasa's environment, ``.venv-rasa``)."""

from __future__ import annotations

import json
import subprocess

from tests.support.stack import RASA_BIN, ROOT

PROBE = r"""
import json
from jsonschema import ValidationError
from jsonschema.validators import validator_for
from rasa.core.actions.action import RemoteAction

cls = validator_for(RemoteAction.action_response_format_spec())
calls = []
original = cls.check_schema.__func__

def counting(c, schema, *args, **kwargs):
    calls.append(1)
    return original(c, schema, *args, **kwargs)

cls.check_schema = classmethod(counting)
action = RemoteAction("action_answer_policy", None)
good = {"events": [{"event": "slot", "name": "topic", "value": "meal"}],
        "responses": [{"text": "好的"}]}
bad = {"events": "not a list", "responses": []}

def run():
    del calls[:]
    ok = all(action._validate_action_result(good) for _ in range(5))
    try:
        action._validate_action_result(bad)
        refused = ""
    except ValidationError as e:
        refused = e.message
    return {"ok": ok, "schema_checks": len(calls), "refused": refused}

before = run()
from bot.tracker_store import StrictSQLTrackerStore
import tempfile, os
StrictSQLTrackerStore(url="sqlite:///" + os.path.join(tempfile.mkdtemp(), "t.sqlite3"))
print(json.dumps({"before": before, "after": run()}))
"""


def test_the_tracker_store_installs_a_validator_built_once() -> None:
    python = RASA_BIN.parent / "python"
    result = subprocess.run(
        [str(python), "-c", PROBE], cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads(result.stdout.strip().splitlines()[-1])
    before, after = report["before"], report["after"]
    # Rasa's own method re-checks the schema on every response (5 good + 1 bad).
    assert before["ok"] and before["schema_checks"] == 6
    assert after["ok"] and after["schema_checks"] == 0
    # A bad response is refused as before, with Rasa's explanation.
    assert "Failed to validate Action server response" in after["refused"]
    assert after["refused"].split(".")[0] == before["refused"].split(".")[0]


AGREEMENT = r"""
import copy, json
from jsonschema.validators import validator_for
from rasa.core.actions.action import RemoteAction
from rasa.shared.core.events import (ActionExecuted, ActiveLoop, BotUttered, FollowupAction,
    Restarted, SessionStarted, SlotSet, UserUttered, AllSlotsReset, ActionReverted)
from bot.action_validation import install

schema = RemoteAction.action_response_format_spec()
reference = validator_for(schema)(schema)
events = [e.as_dict() for e in [
    SlotSet("topic", "meal"), SlotSet("scam_asked", ["code", "money"]), SlotSet("n", 1.0),
    ActiveLoop("scam_check_form"), ActiveLoop(None), FollowupAction("action_listen"),
    BotUttered("好的", {"buttons": [{"title": "1", "payload": "/x"}]}),
    UserUttered("你好", {"name": "greet", "confidence": 0.9}), ActionExecuted("utter_greet"),
    Restarted(), SessionStarted(), AllSlotsReset(), ActionReverted()]]
good = {"events": events, "responses": [{"text": "好的", "buttons": [], "custom": {"a": 1}}]}
wrong = [None, 1, 1.5, "x", [], {}, True]

def variants(value, path=()):
    yield path, value
    if isinstance(value, dict):
        for k, v in value.items():
            for p, sub in variants(v, path + (k,)):
                yield p, sub
    elif isinstance(value, list):
        for i, v in enumerate(value):
            for p, sub in variants(v, path + (i,)):
                yield p, sub

def replaced(doc, path, new):
    doc = copy.deepcopy(doc)
    if not path:
        return new
    node = doc
    for p in path[:-1]:
        node = node[p]
    node[path[-1]] = new
    return doc

def removed(doc, path):
    doc = copy.deepcopy(doc)
    node = doc
    for p in path[:-1]:
        node = node[p]
    del node[path[-1]]
    return doc

cases = [good]
for path, _ in list(variants(good)):
    cases += [replaced(good, path, w) for w in wrong]
    if path:
        cases.append(removed(good, path))
action = RemoteAction("action_answer_policy", None)
install()
disagree, refused = [], 0
for case in cases:
    expected = reference.is_valid(case)
    try:
        got = action._validate_action_result(case)
    except Exception:
        got = False
    refused += not expected
    if got != expected:
        disagree.append(json.dumps(case, ensure_ascii=False)[:300])
print(json.dumps({"cases": len(cases), "refused": refused, "disagree": disagree[:5]}))
"""


def test_the_per_event_type_check_agrees_with_the_whole_schema_on_every_variant() -> None:
    """Every response Rasa's ``jsonschema`` refuses, ours refuses, and the other way round:
    real events of each kind, then each value replaced by a wrong type or removed."""
    python = RASA_BIN.parent / "python"
    result = subprocess.run(
        [str(python), "-c", AGREEMENT], cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["cases"] > 500 and report["refused"] > 100
    assert report["disagree"] == []
