"""Fixtures of the knowledge tests: a small knowledge dir and a retriever with the fake embedder."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FIXTURE = ROOT / "tests" / "fixtures" / "knowledge"
DATA = ROOT / "knowledge" / "data"
SHARED_SOURCES = ROOT.parent / "shared" / "sources"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "slow: uses a real embedding model or trains something")
    config.addinivalue_line(
        "markers", "integration: runs against the real knowledge data and model"
    )


def source_file(name: str) -> Path:
    """A source file from knowledge/data/sources, else from ../shared/sources."""
    shared = {"plan.md": "yangquan-2025-37-silver-economy-plan.md", "facts.md": "facts.md"}[name]
    for path in (DATA / "sources" / name, SHARED_SOURCES / shared):
        if path.exists():
            return path
    pytest.skip(f"source {name} not found")
    raise AssertionError  # unreachable


@pytest.fixture(scope="session")
def plan_text() -> str:
    return source_file("plan.md").read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def knowledge_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Fixture entries, terms and synonyms plus the real plan and fact sheet."""
    target = tmp_path_factory.mktemp("knowledge") / "data"
    shutil.copytree(FIXTURE, target, ignore=shutil.ignore_patterns("README.md"))
    (target / "sources").mkdir()
    shutil.copy(source_file("plan.md"), target / "sources" / "plan.md")
    shutil.copy(source_file("facts.md"), target / "sources" / "facts.md")
    return target


@pytest.fixture(scope="session")
def corpus(knowledge_dir: Path):  # type: ignore[no-untyped-def]
    from knowledge.corpus import load_corpus

    return load_corpus(knowledge_dir)


@pytest.fixture(scope="session")
def retriever(corpus):  # type: ignore[no-untyped-def]
    from knowledge.embedding import FakeEmbedder
    from knowledge.retriever import Retriever

    return Retriever.from_corpus(corpus, FakeEmbedder())
