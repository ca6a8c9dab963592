"""Services shared by actions, and the executor that runs them."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from rasa_sdk import Action
from rasa_sdk.executor import ActionExecutor

if TYPE_CHECKING:
    from app.db import Database
    from app.settings import Settings
    from knowledge.retriever import Retriever


@dataclass
class ActionServices:
    """What actions may use. Built once in the app's lifespan.

    When the actions run under ``python -m rasa_sdk --actions actions`` instead of the app,
    ``from_settings`` builds the same services lazily on first use.
    """

    settings: Settings
    retriever: Retriever | None = None
    database: Database | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_settings(cls) -> ActionServices:
        from app.db import Database
        from app.settings import get_settings
        from knowledge.retriever import Retriever

        settings = get_settings()
        database = Database(settings.database_url)
        database.open()
        return cls(settings=settings, retriever=Retriever.load(settings), database=database)


class ServicedAction(Action):
    """An action that receives ``ActionServices`` in its constructor."""

    def __init__(self, services: ActionServices | None = None) -> None:
        self._services = services

    @property
    def services(self) -> ActionServices:
        if self._services is None:
            self._services = ActionServices.from_settings()
        return self._services

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
