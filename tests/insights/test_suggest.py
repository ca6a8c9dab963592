"""``python -m knowledge suggest``: the top unanswered clusters as draft entries, questions
only, from the app database of the settings."""

from __future__ import annotations

import subprocess
import sys

import pytest
import yaml

from insights import suggest
from insights.models import InsightMark
from tests.insights.support import DAY, add_rows

ROOT = __import__("pathlib").Path(__file__).resolve().parents[2]


@pytest.fixture
def configured(database, monkeypatch, real_retriever):  # type: ignore[no-untyped-def]
    from core.settings import get_settings

    monkeypatch.setenv("YINFA_DATABASE_URL", str(database.engine.url))
    monkeypatch.setenv("YINFA_TODAY", DAY.isoformat())
    monkeypatch.setattr(suggest, "_retriever", lambda settings: real_retriever)
    get_settings.cache_clear()
    yield database
    get_settings.cache_clear()


def test_suggest_prints_draft_entries_without_answers(configured, capsys) -> None:  # type: ignore[no-untyped-def]
    add_rows(
        configured,
        {"outcome": "referred", "text": "村里有没有老年食堂"},
        {"outcome": "fallback", "text": "村里有没有老年食堂呀"},
        {"outcome": "referred", "text": "公园门票老人免不免"},
        {"outcome": "answered", "text": "老年助餐怎么申请", "entry_id": "meal-who-can-use"},
    )
    assert suggest.main(["suggest", "--days", "7", "--top", "1"]) == 0
    out = capsys.readouterr().out
    drafts = yaml.safe_load(out)
    assert len(drafts) == 1
    (entry,) = drafts
    assert entry["questions"] == ["村里有没有老年食堂", "村里有没有老年食堂呀"]
    assert entry["answer"] == "" and entry["title"] == ""
    assert entry["clause_ids"] == [] and entry["sources"] == []
    assert "TODO" in out and "老年助餐怎么申请" not in out  # answered questions stay out


def test_marked_clusters_are_not_suggested(configured, capsys) -> None:  # type: ignore[no-untyped-def]
    from insights.clusters import cluster_key

    add_rows(configured, {"outcome": "referred", "text": "公园门票老人免不免"})
    with configured.session() as s:
        s.add(
            InsightMark(
                cluster_key=cluster_key("公园门票老人免不免"), mark="out_of_scope", operator="a"
            )
        )
    assert suggest.main(["suggest"]) == 0
    assert yaml.safe_load(capsys.readouterr().out) == []
    assert suggest.main(["suggest", "--days", "0"]) == 2


def test_python_m_knowledge_lists_suggest() -> None:
    r = subprocess.run(
        [sys.executable, "-m", "knowledge", "suggest", "--help"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert r.returncode == 0 and "--top" in r.stdout
