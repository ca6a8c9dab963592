"""Validating action-server responses with a validator built once.

Rasa 3.6 checks every response of the action server with ``jsonschema.validate(result,
schema)`` (``RemoteAction._validate_action_result``). ``validate`` first re-checks the schema
itself against its metaschema, on every action call: about 31 % of Rasa's CPU time per policy
message under load (py-spy, issue 14). :func:`install` swaps in a method whose validators
are built (and their schemas checked) once.

Even built once, a ``jsonschema`` validator spends about 1 ms per response on the schema's
``oneOf`` of 23 event types: every event is checked against every type, to be sure exactly
one fits. Each type is named by its own ``event`` constant, so the one type that can fit is
known from the event itself: the fast check validates the response without the ``oneOf``,
then each event against its own type only, which is the same verdict (a test compares them
on hundreds of real and broken responses). A response it refuses goes through the whole
schema, so a bad one raises the same ``ValidationError`` with Rasa's message. If a Rasa
version's schema could not be split this way, the whole schema is used for every response.

Installed by :class:`bot.tracker_store.StrictSQLTrackerStore` when Rasa builds it at
start-up (the same way it adapts Rasa's fail-safe store).
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

# Rasa's own method while ours is installed (empty otherwise).
_INSTALLED: dict[str, Any] = {}


def install() -> None:
    """Make ``RemoteAction`` validate responses with one prebuilt validator (idempotent)."""
    if _INSTALLED:
        return
    from jsonschema import ValidationError
    from jsonschema.validators import validator_for
    from rasa.core.actions.action import RemoteAction
    from rasa.shared.constants import DOCS_BASE_URL

    schema = RemoteAction.action_response_format_spec()
    cls = validator_for(schema)
    cls.check_schema(schema)  # once, here, instead of on every response
    validator = cls(schema)
    fast = _by_event_type(schema, cls) or validator.is_valid

    def _validate_action_result(self: RemoteAction, result: dict[str, Any]) -> bool:
        if fast(result):
            return True
        try:  # refused: the whole schema says why, in Rasa's words
            validator.validate(result)
        except ValidationError as e:
            e.message += (
                ". Failed to validate Action server response from API, "
                "make sure your response from the Action endpoint is valid. "
                f"For more information about the format visit {DOCS_BASE_URL}/custom-actions"
            )
            raise e
        return True

    _INSTALLED["original"] = RemoteAction._validate_action_result
    RemoteAction._validate_action_result = _validate_action_result  # type: ignore[method-assign]


def _by_event_type(schema: dict[str, Any], cls: Any) -> Callable[[Any], bool] | None:
    """A check equal to ``schema`` that validates each event against its own type only
    (``None`` when the events' ``oneOf`` is not one branch per ``event`` constant)."""
    items = schema.get("properties", {}).get("events", {}).get("items", {})
    branches = items.get("oneOf")
    if not isinstance(branches, list) or "event" not in items.get("required", []):
        return None
    by_type: dict[str, Any] = {}
    for branch in branches:
        name = branch.get("properties", {}).get("event", {}).get("const")
        if not isinstance(name, str) or name in by_type:
            return None
        cls.check_schema(branch)
        by_type[name] = cls(branch)
    shell = copy.deepcopy(schema)
    shell["properties"]["events"]["items"] = {k: v for k, v in items.items() if k != "oneOf"}
    cls.check_schema(shell)
    outer = cls(shell)

    def is_valid(result: Any) -> bool:
        if not outer.is_valid(result):
            return False
        for event in result.get("events") or []:  # objects with a string "event" (outer)
            own = by_type.get(event["event"])
            if own is None or not own.is_valid(event):
                return False
        return True

    return is_valid


def uninstall() -> None:
    """Give ``RemoteAction`` back Rasa's own method (for the side-by-side benchmark)."""
    if not _INSTALLED:
        return
    from rasa.core.actions.action import RemoteAction

    RemoteAction._validate_action_result = _INSTALLED["original"]  # type: ignore[method-assign]
    _INSTALLED.clear()
