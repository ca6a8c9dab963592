"""The scam check for operators: the bot's own logic and texts, reused by the console.

The risk level comes from ``actions.scam_check.risk_level`` and the option lists from
``actions/data/guides.yml``; the advice is the text of the same ``utter_scam_*`` responses
the bot sends (read from domain.yml), so the console and the bot never disagree.

The module itself is the ``core.ports.ScamDesk`` the console is given.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import yaml

from actions.answers import response_text
from actions.choices import load_questions
from actions.scam_check import PAID, risk_level

LABELS_FILE = Path(__file__).with_name("data") / "scam_labels.yml"
SECRETS = frozenset({"password", "code", "card"})


@lru_cache
def options() -> dict[str, list[dict[str, str]]]:
    """Channel and "what was asked" choices, as the bot's scam check offers them."""
    questions = load_questions()
    labels = (yaml.safe_load(LABELS_FILE.read_text(encoding="utf-8")) or {}).get("asked", {})
    channels = [{"value": o.value, "label": o.value} for o in questions["scam_channel"].options]
    asked = [
        {"value": o.value, "label": str(labels.get(o.value, o.value))}
        for o in questions["scam_asked"].options
        if o.value != "none"
    ]
    return {"channels": channels, "asked": asked}


def check(paid: bool, channel: str | None, asked: list[str], hotline: str) -> tuple[str, list[str]]:
    """Risk level (``paid``, ``high``, ``medium``, ``low``) and the bot's advice texts."""
    level = risk_level(PAID if paid else "还没有", channel, asked)
    names = ["utter_scam_call_110_now"] if level == "paid" else [f"utter_scam_risk_{level}"]
    if level == "high":
        names.append("utter_scam_stop_steps")
    if level != "paid" and SECRETS & set(asked):
        names.append("utter_scam_never_share")
    names.append("utter_scam_96110")
    texts = [response_text(None, name, hotline=hotline) for name in names]
    return level, [t for t in texts if t]
