"""Action-response validation in Rasa, side by side in one run on a policy answer's
response: Rasa's ``jsonschema.validate``, a ``jsonschema`` validator built once, and what
``bot/action_validation.py`` installs (each event checked against its own type). Run with Rasa's environment: ``.venv-rasa/bin/python scripts/bench_action_validation.py``.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

RESPONSE = {
    "events": [
        {"event": "slot", "timestamp": None, "name": n, "value": v}
        for n, v in [("entry_id", None), ("topic", None), ("last_entry_id", "meal-is-it-free")]
    ],
    "responses": [
        {
            "text": "老年助餐不是全免费。" * 3,
            "buttons": [
                {"title": f"想了解：{i}", "payload": f"/ask_policy{{{i}}}"} for i in range(3)
            ],
            "custom": {"citations": [{"entry_id": "meal-is-it-free", "kind": "entry"}]},
        }
    ],
}


def per_call_us(validate, n: int) -> float:  # type: ignore[no-untyped-def]
    for _ in range(20):
        validate(RESPONSE)
    start = time.perf_counter()
    for _ in range(n):
        validate(RESPONSE)
    return (time.perf_counter() - start) / n * 1e6


def main() -> int:
    from jsonschema.validators import validator_for
    from rasa.core.actions.action import RemoteAction

    from bot import action_validation

    action = RemoteAction("action_answer_policy", None)
    schema = RemoteAction.action_response_format_spec()
    once = validator_for(schema)(schema)
    rounds = []
    for _ in range(3):  # interleaved, so drift hits both alike
        plain = per_call_us(action._validate_action_result, 300)
        built_once = per_call_us(once.validate, 300)
        action_validation.install()
        installed = per_call_us(action._validate_action_result, 300)
        action_validation.uninstall()
        rounds.append((plain, built_once, installed))
    plain, built_once, installed = (sorted(r[i] for r in rounds)[1] for i in range(3))
    print("action-response validation per call (median of 3 interleaved rounds)")
    print(f"  Rasa's jsonschema.validate:       {plain:8.0f} us")
    print(f"  jsonschema validator built once:  {built_once:8.1f} us")
    print(f"  installed (per event type):      {installed:8.1f} us")
    print(f"  ratios: {plain / installed:.0f}x Rasa's, {built_once / installed:.1f}x built once")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
