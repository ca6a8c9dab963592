"""Fixtures of the console tests: the console and alert routers on a real SQLite database,
searching with the real retriever (real corpus, BM25 and normaliser; fake dense embedder)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from core.database import Database
from knowledge.retriever import Retriever
from tests.support.console import build_app, create_accounts
from tests.support.retrieval import real_retriever  # noqa: F401 (fixture)


@pytest.fixture
def database(database: Database) -> Database:
    """The root fixture's database with one account of each role."""
    create_accounts(database)
    return database


@pytest.fixture
def client(database: Database, real_retriever: Retriever) -> Iterator[TestClient]:  # noqa: F811
    with TestClient(build_app(database, real_retriever)) as c:
        yield c
