"""Validating action-server responses with a validator built once.

Rasa 3.6 checks every response of the action server with ``jsonschema.validate(result,
schema)`` (``RemoteAction._validate_action_result``). ``validate`` first re-checks the schema
itself against its metaschema, on every action call: about 31 % of Rasa's CPU time per policy
message under load (py-spy, issue 14). :func:`install` swaps in a method that checks each
response with the schema compiled once to Python code by ``fastjsonschema`` (about 1 ms of
``jsonschema`` per call, since the schema's ``oneOf`` tries every event type, becomes tens of
microseconds). A response it refuses is checked again by ``jsonschema`` with one validator
built (and its schema checked) once, so a bad one raises the same ``ValidationError`` with
Rasa's message.

Installed by :class:`bot.tracker_store.StrictSQLTrackerStore` when Rasa builds it at
start-up (the same way it adapts Rasa's fail-safe store).
"""

from __future__ import annotations

from typing import Any

# Rasa's own method while ours is installed (empty otherwise).
_INSTALLED: dict[str, Any] = {}


def install() -> None:
    """Make ``RemoteAction`` validate responses with one prebuilt validator (idempotent)."""
    if _INSTALLED:
        return
    import fastjsonschema
    from jsonschema import ValidationError
    from jsonschema.validators import validator_for
    from rasa.core.actions.action import RemoteAction
    from rasa.shared.constants import DOCS_BASE_URL

    schema = RemoteAction.action_response_format_spec()
    cls = validator_for(schema)
    cls.check_schema(schema)  # once, here, instead of on every response
    validator = cls(schema)
    fast = fastjsonschema.compile(schema)

    def _validate_action_result(self: RemoteAction, result: dict[str, Any]) -> bool:
        try:
            fast(result)
            return True
        except fastjsonschema.JsonSchemaException:
            pass  # refused: jsonschema says why, in Rasa's words
        try:
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


def uninstall() -> None:
    """Give ``RemoteAction`` back Rasa's own method (for the side-by-side benchmark)."""
    if not _INSTALLED:
        return
    from rasa.core.actions.action import RemoteAction

    RemoteAction._validate_action_result = _INSTALLED["original"]  # type: ignore[method-assign]
    _INSTALLED.clear()
