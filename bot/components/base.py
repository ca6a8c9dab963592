"""What the project's Rasa components share: how Rasa makes them.

Rasa makes a graph component with ``create`` (a new one, to train or to run) or ``load`` (one
restored from a trained model); both are given the same four things. A :class:`Component`
states that interface once and hands it to :meth:`Component.build` as the component's config
and a :class:`Node`, so each component says only what it is made from.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage


@dataclass(frozen=True)
class Node:
    """Where a component stands in Rasa's graph, besides its config."""

    model_storage: ModelStorage
    resource: Resource
    execution_context: ExecutionContext
    trained: bool  # restored from a trained model (``load``), not new (``create``)


def _constructor(*, trained: bool) -> Any:
    """Rasa's ``create`` (``trained=False``) or ``load`` (``trained=True``) for a
    :class:`Component`. Rasa reads the annotations, so they must resolve at run time."""

    def construct(
        cls: type[Component],
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> GraphComponent:
        return cls.build(config, Node(model_storage, resource, execution_context, trained))

    return classmethod(construct)


class Component(GraphComponent):
    """A Rasa graph component made by :meth:`build`, whether new or restored."""

    create = _constructor(trained=False)
    load = _constructor(trained=True)

    @classmethod
    def build(cls, config: dict[str, Any], node: Node) -> Component:
        """The component for ``node``; by default one made from nothing."""
        return cls()
