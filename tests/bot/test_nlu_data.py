"""The NLU training data: enough examples per intent, none copied from the knowledge base.

The knowledge entries' questions are what the retrieval evaluation measures against; if the
intent examples repeated them, both the cross-validation and the retrieval figures would
flatter the bot.
"""

from __future__ import annotations

import re
from collections import defaultdict
from pathlib import Path

import pytest
import yaml

from tests.support.nlu import nlu_examples

ROOT = Path(__file__).resolve().parents[2]
REQUIRED = [
    "greet",
    "goodbye",
    "thank",
    "affirm",
    "deny",
    "bot_challenge",
    "help",
    "ask_meal",
    "ask_adaptation",
    "ask_trade_in_subsidy",
    "describe_suspicious",
    "ask_fraud_tips",
    "ask_policy",
    "request_human",
    "subscribe_alerts",
    "unsubscribe_alerts",
    "repeat",
    "simpler",
    "stop",
    "out_of_scope",
]
ANNOTATION = re.compile(r"\[([^\]]*)\](?:\([^)]*\)|\{[^}]*\})")
PUNCTUATION = re.compile(r"[\s，。？！、,.?!~～]+")


def _plain(text: str) -> str:
    return PUNCTUATION.sub("", ANNOTATION.sub(r"\1", text)).lower()


@pytest.fixture(scope="module")
def examples() -> dict[str, list[str]]:
    return nlu_examples(intents_only=True)


@pytest.mark.parametrize("intent", REQUIRED)
def test_required_intent_has_at_least_30_examples(
    examples: dict[str, list[str]], intent: str
) -> None:
    assert len(examples[intent]) >= 30, (intent, len(examples[intent]))


def test_every_domain_intent_has_examples_and_no_example_is_orphaned(
    examples: dict[str, list[str]],
) -> None:
    domain = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))
    declared = set(domain["intents"]) - {"nlu_fallback"}
    assert set(examples) == declared


def test_no_example_is_given_two_intents(examples: dict[str, list[str]]) -> None:
    owners: dict[str, set[str]] = defaultdict(set)
    for intent, texts in examples.items():
        for text in texts:
            owners[_plain(text)].add(intent)
    clashes = {text: sorted(o) for text, o in owners.items() if len(o) > 1}
    assert clashes == {}


def test_no_example_copies_a_knowledge_phrasing(examples: dict[str, list[str]]) -> None:
    phrasings: set[str] = set()
    for path in sorted((ROOT / "knowledge" / "data" / "entries").glob("*.yml")):
        for entry in yaml.safe_load(path.read_text(encoding="utf-8")):
            for phrasing in (entry["title"], *entry.get("questions", [])):
                if len(_plain(phrasing)) > 2:  # a single word (谢谢) is not a phrasing
                    phrasings.add(_plain(phrasing))
    copied = sorted(
        text for texts in examples.values() for text in texts if _plain(text) in phrasings
    )
    assert copied == []
