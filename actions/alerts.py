"""Fraud-alert actions: subscribe, unsubscribe, show a pushed alert, explain it, verify a code.

The texts live in domain.yml (``utter_alert*``) and ``alerts/data/scam_types.yml``.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.base import ServicedAction
from core.ports import AlertDesk, AlertNotice

log = logging.getLogger(__name__)

ALERT_SLOTS = ("alert_code", "alert_title", "alert_body", "alert_kind")


def _entity(tracker: Tracker, name: str) -> str | None:
    value = next(tracker.get_latest_entity_values(name), None)
    if value is None:
        value = tracker.get_slot(name)
    return str(value) if value not in (None, "") else None


def _desk(action: ServicedAction) -> AlertDesk:
    desk = action.services.alerts
    if desk is None:
        raise RuntimeError("the alert desk is not configured (ActionServices.alerts)")
    return desk


class ActionSubscribeAlerts(ServicedAction):
    """Subscribes the user of this conversation on its channel, with their district when
    they named one the bot knows (a ``district`` entity, or the district they gave the meal
    guide: the same names, 高新区 and not 开发区); otherwise for every district."""

    def name(self) -> str:
        return "action_subscribe_alerts"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        desk = _desk(self)
        district = _entity(tracker, "district") or tracker.get_slot("meal_district")
        if district not in desk.districts():
            district = None
        changed = await asyncio.to_thread(desk.subscribe, tracker.sender_id, district)
        dispatcher.utter_message(
            response="utter_subscribed" if changed else "utter_alerts_already_subscribed"
        )
        return []


class ActionUnsubscribeAlerts(ServicedAction):
    """Ends the subscription of the user of this conversation."""

    def name(self) -> str:
        return "action_unsubscribe_alerts"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        ended = await asyncio.to_thread(_desk(self).unsubscribe, tracker.sender_id)
        dispatcher.utter_message(
            response="utter_unsubscribed" if ended else "utter_alerts_not_subscribed"
        )
        return []


class ActionFraudAlert(ServicedAction):
    """Runs on ``EXTERNAL_fraud_alert``: shows the alert (or its correction) and remembers it
    in the conversation so follow-up questions can be answered."""

    def name(self) -> str:
        return "action_fraud_alert"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        kind = _entity(tracker, "alert_kind") or "alert"
        desk = _desk(self)
        code = desk.normalize_code(_entity(tracker, "alert_code") or "")
        alert = desk.find(code) if code else None
        # Only alerts in the database are shown, with the database's texts: a user who
        # types "/EXTERNAL_fraud_alert{...}" can at most see a real alert again.
        expected = "retracted" if kind == "correction" else "published"
        if alert is None or alert.status != expected:
            log.warning("EXTERNAL_fraud_alert refused for %s (code %s)", tracker.sender_id, code)
            dispatcher.utter_message(response="utter_default")
            return []
        values = {
            "alert_code": alert.public_code,
            "alert_title": alert.title,
            "alert_body": alert.body if kind == "alert" else alert.retract_note,
            "alert_kind": kind,
        }
        for response in _alert_responses(kind, bool(values["alert_body"])):
            dispatcher.utter_message(
                response=response,
                alert_code=values["alert_code"],
                alert_title=values["alert_title"],
                alert_body=values["alert_body"],
            )
        return [SlotSet(name, values[name]) for name in ALERT_SLOTS]


def _alert_responses(kind: str, has_note: bool) -> tuple[str, ...]:
    """The bubbles of a pushed alert or correction: the message itself, then (alerts only)
    how to check it with its public code, and always how to unsubscribe, last."""
    if kind == "correction":
        first = "utter_alert_correction_note" if has_note else "utter_alert_correction"
        return (first, "utter_alert_correction_unsubscribe")
    return ("utter_fraud_alert", "utter_fraud_alert_check", "utter_fraud_alert_unsubscribe")


class ActionExplainAlert(ServicedAction):
    """Answers "这个提醒是什么意思" / "我该怎么办" about the last alert of this conversation."""

    def name(self) -> str:
        return "action_explain_alert"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        desk = _desk(self)
        code = tracker.get_slot("alert_code")
        alert: AlertNotice | None = desk.find(str(code)) if code else None
        if alert is None:
            dispatcher.utter_message(response="utter_alert_no_recent")
            return []
        if alert.status == "retracted":
            dispatcher.utter_message(response="utter_alert_retracted", alert_code=alert.public_code)
            return []
        steps = "\n".join(f"{n}. {step}" for n, step in enumerate(desk.steps(), start=1))
        dispatcher.utter_message(
            response="utter_alert_meaning",
            alert_title=alert.title,
            scam_label=alert.scam_label,
            scam_meaning=alert.scam_meaning,
        )
        dispatcher.utter_message(response="utter_alert_steps", alert_steps=steps)
        return []


class ActionVerifyAlert(ServicedAction):
    """Says whether a code (or a pasted message's code) belongs to an official alert."""

    def name(self) -> str:
        return "action_verify_alert"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        text = str(tracker.latest_message.get("text") or "")
        desk = _desk(self)
        code = desk.normalize_code(text)
        if code is None:
            dispatcher.utter_message(response="utter_alert_no_code")
            return []
        alert = desk.find(code)
        if alert is None or alert.status in ("draft", "approved"):
            dispatcher.utter_message(response="utter_alert_unknown_code", alert_code=code)
        elif alert.status == "retracted":
            dispatcher.utter_message(response="utter_alert_retracted", alert_code=code)
        elif not alert.live:
            dispatcher.utter_message(
                response="utter_alert_expired", alert_code=code, alert_title=alert.title
            )
        else:
            dispatcher.utter_message(
                response="utter_alert_verified",
                alert_code=code,
                alert_title=alert.title,
                alert_body=alert.body,
            )
        return []
