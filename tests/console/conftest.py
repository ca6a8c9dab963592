"""Fixtures of the console tests: the console and alert routers on a real SQLite database."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from app.db import Database
from console import accounts
from knowledge.corpus import Corpus, load_corpus

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "correct horse battery"


@dataclass
class _Hit:
    document: object
    score: float


@dataclass
class _Result:
    hits: list[_Hit]
    normalized_query: str
    confident: bool = True


class SubstringRetriever:
    """A stand-in for ``knowledge.retriever.Retriever``: substring match over the corpus."""

    def __init__(self, corpus: Corpus) -> None:
        self.corpus = corpus

    def search(self, query: str, top_k: int = 5, **_: object) -> _Result:
        hits = [_Hit(d, 1.0) for d in self.corpus.documents if query in d.title + d.text]
        return _Result(hits[:top_k], query)


@pytest.fixture(scope="session")
def corpus() -> Corpus:
    return load_corpus(ROOT / "knowledge" / "data", ROOT.parent / "shared" / "sources")


@pytest.fixture
def database(tmp_path: Path) -> Iterator[Database]:
    db = Database(f"sqlite:///{tmp_path / 'app.sqlite3'}")
    db.open()
    for name, role in [
        ("op1", "operator"),
        ("officer_a", "alert_officer"),
        ("officer_b", "alert_officer"),
        ("admin1", "admin"),
    ]:
        accounts.create(db, name, role, PASSWORD)
    yield db
    db.dispose()


def build_app(database: Database, retriever: object) -> FastAPI:
    from alerts import routes as alert_routes
    from app.settings import Settings
    from console import routes as console_routes

    app = FastAPI()
    app.state.database = database
    app.state.retriever = retriever
    app.state.settings = Settings(_env_file=None, session_secret="test-secret")  # type: ignore[call-arg]
    app.include_router(console_routes.router)
    app.include_router(alert_routes.api)
    return app


@pytest.fixture
def client(database: Database, corpus: Corpus) -> Iterator[TestClient]:
    with TestClient(build_app(database, SubstringRetriever(corpus))) as c:
        yield c


def login(client: TestClient, username: str) -> None:
    client.cookies.clear()
    r = client.post("/api/operator/login", json={"username": username, "password": PASSWORD})
    assert r.status_code == 200, r.text
