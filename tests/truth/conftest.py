"""Fixtures and text collectors for the truthfulness tests (issue 11).

``user_texts()`` gathers every text a resident can read: entries, domain responses, guide
options, alert texts and the channels' own texts. Questions (what residents type) are not
collected.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import pytest
import yaml

from actions.base import ActionServices
from core.settings import Settings, get_settings
from knowledge.corpus import Corpus, load_corpus
from tests.support.dialogue import ScriptedRetriever

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "knowledge" / "data"


@dataclass(frozen=True)
class UserText:
    """One text a resident can read."""

    where: str  # file and key, e.g. "meal.yml meal-who-can-use answer"
    kind: (
        str  # "first" (a first bubble or a one-bubble response), "more", "steps", "title", "other"
    )
    text: str

    def __str__(self) -> str:
        return self.where


@lru_cache(maxsize=1)
def entries() -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for path in sorted((DATA / "entries").glob("*.yml")):
        for item in yaml.safe_load(path.read_text(encoding="utf-8")) or []:
            found.append(dict(item, _file=path.name))
    return found


@lru_cache(maxsize=1)
def domain_data() -> dict[str, Any]:
    return yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))


def _web_texts() -> dict[str, str]:
    html = (ROOT / "channels" / "web" / "static" / "index.html").read_text(encoding="utf-8")
    match = re.search(r'<script[^>]*id="texts"[^>]*>(.*?)</script>', html, re.S)
    return json.loads(match.group(1)) if match else {}


@lru_cache(maxsize=1)
def user_texts() -> tuple[UserText, ...]:
    out: list[UserText] = []
    for e in entries():
        base = f"{e['_file']} {e['id']}"
        out.append(UserText(f"{base} answer", "first", str(e["answer"])))
        out.append(UserText(f"{base} title", "title", str(e["title"])))
        if e.get("more"):
            out.append(UserText(f"{base} more", "more", str(e["more"])))
        for n, step in enumerate(e.get("steps") or [], start=1):
            out.append(UserText(f"{base} step {n}", "steps", str(step)))
    for name, variants in (domain_data().get("responses") or {}).items():
        for variant in variants:
            out.append(UserText(f"domain.yml {name}", "first", str(variant.get("text") or "")))
            for button in variant.get("buttons") or []:
                out.append(UserText(f"domain.yml {name} button", "title", str(button["title"])))
    guides = yaml.safe_load((ROOT / "actions" / "data" / "guides.yml").read_text("utf-8"))
    for slot, options in guides.items():
        for option in options:
            out.append(UserText(f"guides.yml {slot}", "other", str(option["value"])))
    alerts = yaml.safe_load((ROOT / "alerts" / "data" / "scam_types.yml").read_text("utf-8"))
    for key, item in alerts["types"].items():
        out.append(UserText(f"scam_types.yml {key} label", "title", str(item["label"])))
        out.append(UserText(f"scam_types.yml {key} meaning", "first", str(item["meaning"])))
    for n, step in enumerate(alerts["steps"], start=1):
        out.append(UserText(f"scam_types.yml step {n}", "steps", str(step)))
    for rel in ("channels/wechat/texts.yml", "core/texts.yml"):
        data = yaml.safe_load((ROOT / rel).read_text(encoding="utf-8"))
        for key, value in data.items():
            if isinstance(value, str):
                out.append(UserText(f"{rel} {key}", "first", value))
            elif key == "welcome_buttons":
                for b in value:
                    out.append(UserText(f"{rel} {key}", "title", str(b["title"])))
    for key, value in _web_texts().items():
        out.append(UserText(f"index.html {key}", "other", str(value)))
    numbers = DATA / "numbers.yml"
    if numbers.exists():
        for item in yaml.safe_load(numbers.read_text(encoding="utf-8"))["numbers"]:
            out.append(UserText(f"numbers.yml {item['number']}", "first", str(item["say"])))
    return tuple(t for t in out if t.text.strip())


def first_bubbles() -> list[UserText]:
    return [t for t in user_texts() if t.kind == "first"]


@pytest.fixture(scope="session")
def corpus() -> Corpus:
    return load_corpus(DATA, ROOT.parent / "shared" / "sources")


@pytest.fixture(scope="session")
def domain() -> dict[str, Any]:
    return domain_data()


@pytest.fixture
def retriever(corpus: Corpus) -> ScriptedRetriever:
    from textnorm.vocabulary import load_vocabulary

    return ScriptedRetriever(corpus, load_vocabulary(DATA).analyzer())


@pytest.fixture
def services(retriever: ScriptedRetriever) -> ActionServices:
    settings = Settings(_env_file=None, hotline="12345", form_retry_limit=2)  # type: ignore[call-arg]
    return ActionServices(settings=settings, retriever=retriever)  # type: ignore[arg-type]


@pytest.fixture
def at_day(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[dt.date], None]]:
    """Set "today" the way tools outside the code do: ``YINFA_TODAY`` (ISO date)."""

    def set_day(day: dt.date) -> None:
        monkeypatch.setenv("YINFA_TODAY", day.isoformat())
        get_settings.cache_clear()

    yield set_day
    monkeypatch.delenv("YINFA_TODAY", raising=False)
    get_settings.cache_clear()
