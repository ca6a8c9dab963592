"""Fixtures of the insights tests: the dialogue fixtures of tests/actions."""

from tests.actions.conftest import (  # noqa: F401
    analyzer,
    corpus,
    domain,
    pinned_today,
    real_services,
    retriever,
    services,
)
from tests.support.retrieval import real_retriever  # noqa: F401
