"""The residents' messages of the load scenario (``scripts/locustfile.py``) and of the
simulated week (``scripts/simulate_week.py``): development set only (tests/eval/dev/),
never the frozen test set."""

from __future__ import annotations

from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
DEV_E2E = ROOT / "tests" / "eval" / "dev" / "e2e.yml"
ENTRIES = ROOT / "knowledge" / "data" / "entries"

GUIDE_TRIGGER = "帮我一步步看看助餐"
GUIDE_TURNS = 6
SCAM_TURNS = (
    "我接了个电话心里不踏实，你帮我看看是不是骗子",
    "还没转",
    "打电话",
    "他要我手机上的验证码",
)
# Plainly outside the plan (weather, lottery, sports, chit-chat).
OFF_TOPIC = ("今天阳泉下雨不", "双色球下期开啥号", "帮我写首诗", "中国队昨晚赢了没", "你是男的女的")


def dev_questions(group: str) -> list[str]:
    """The development set's first messages of one group (policy, scam, in_domain ...)."""
    items = yaml.safe_load(DEV_E2E.read_text(encoding="utf-8"))
    return [str(item["q"]) for item in items if item.get("group") == group]


def policy_questions() -> list[str]:
    return dev_questions("policy")


def entry_phrasings() -> list[str]:
    """Every question phrasing of the knowledge entries (what residents are expected to ask)."""
    out: list[str] = []
    for path in sorted(ENTRIES.glob("*.yml")):
        for item in yaml.safe_load(path.read_text(encoding="utf-8")) or []:
            out.extend(str(q) for q in item.get("questions") or [])
    return out
