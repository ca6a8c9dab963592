"""Understanding tests reuse the dialogue fixtures (real corpus, scripted retriever)."""

from tests.dialogue.conftest import (  # noqa: F401
    analyzer,
    corpus,
    domain,
    pinned_today,
    retriever,
    services,
)
