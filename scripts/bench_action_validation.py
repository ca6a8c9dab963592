"""Action-response validation in Rasa: Rasa's ``jsonschema.validate`` against the validator
built once (``bot/action_validation.py``), side by side in one run, on a policy answer's
response. Run with Rasa's environment: ``.venv-rasa/bin/python scripts/bench_action_validation.py``.
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
    from rasa.core.actions.action import RemoteAction

    from bot import action_validation

    action = RemoteAction("action_answer_policy", None)
    rounds = []
    for _ in range(3):  # interleaved, so drift hits both alike
        plain = per_call_us(action._validate_action_result, 300)
        action_validation.install()
        built_once = per_call_us(action._validate_action_result, 300)
        action_validation.uninstall()
        rounds.append((plain, built_once))
    plain = sorted(r[0] for r in rounds)[1]
    built_once = sorted(r[1] for r in rounds)[1]
    print("action-response validation per call (median of 3 interleaved rounds)")
    print(f"  Rasa's jsonschema.validate: {plain:8.0f} us")
    print(f"  validator built once:       {built_once:8.0f} us")
    print(f"  ratio: {plain / built_once:.1f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
