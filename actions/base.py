"""Services shared by actions, and the executor that runs them."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from dataclasses import dataclass
from typing import TYPE_CHECKING

from rasa_sdk import Action
from rasa_sdk.executor import ActionExecutor

if TYPE_CHECKING:
    from core.database import Database
    from core.ports import AlertDesk
    from core.settings import Settings
    from knowledge.retriever import Retriever


@dataclass
class ActionServices:
    """What actions may use. Built once by the composition root (``app.bootstrap``)."""

    settings: Settings
    retriever: Retriever | None = None
    database: Database | None = None
    responder: object | None = None  # the KnowledgeAnswer, made once (policy_answer)
    alerts: AlertDesk | None = None  # subscriptions and alert lookups (alerts.desk)


class ServicedAction(Action):
    """An action that receives ``ActionServices`` in its constructor."""

    def __init__(self, services: ActionServices) -> None:
        self.services = services

    def name(self) -> str:  # pragma: no cover - abstract
        raise NotImplementedError


def _import_all(package: str) -> None:
    pkg = importlib.import_module(package)
    for info in pkgutil.walk_packages(pkg.__path__, prefix=package + "."):
        importlib.import_module(info.name)


def _concrete_actions(base: type) -> list[type]:
    found: list[type] = []
    sub: type
    for sub in base.__subclasses__():
        found.extend(_concrete_actions(sub))
        if sub.__module__.startswith("actions.") and "name" in _defined_methods(sub):
            found.append(sub)
    return found


def _defined_methods(cls: type) -> set[str]:
    names: set[str] = set()
    for klass in cls.__mro__:
        if klass in (Action, ServicedAction, object):
            continue
        names.update(vars(klass))
    return names


def build_executor(services: ActionServices) -> ActionExecutor:
    """An executor with every action of the ``actions`` package, services injected."""
    _import_all("actions")
    executor = ActionExecutor()
    seen: set[type] = set()
    for cls in _concrete_actions(Action):
        # ``__abstract__`` is looked up on the class itself: subclasses of an abstract base
        # (such as the form validation base) are concrete unless they say otherwise.
        if cls in seen or cls.__dict__.get("__abstract__", False) or inspect.isabstract(cls):
            continue
        seen.add(cls)
        instance = cls(services) if issubclass(cls, ServicedAction) else cls()
        executor.register_action(instance)
    return executor
