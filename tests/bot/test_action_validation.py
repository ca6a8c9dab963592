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
