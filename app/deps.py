"""FastAPI dependencies on the app-level services of ``app.bootstrap.Services`` (the action
executor, the knowledge index for readiness). Core services are in ``core.deps``, a feature's
own in its ``deps`` module."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends
from rasa_sdk.executor import ActionExecutor

from core.deps import service
from knowledge.retriever import Retriever

# The executor of ``actions/`` that ``POST /webhook`` runs for Rasa.
ActionExecutorDep = Annotated[ActionExecutor, Depends(service("action_executor"))]
# The knowledge index, or None while it is not loaded (readiness reports that).
LoadedRetrieverDep = Annotated[Retriever | None, Depends(service("retriever", optional=True))]
