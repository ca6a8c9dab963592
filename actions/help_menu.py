"""The help menu: what the assistant can do, with topic buttons and the hotline."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.base import ServicedAction


class ActionHelpMenu(ServicedAction):
    """Shows the topics as buttons and names the hotline configured in the app."""

    def name(self) -> str:
        return "action_help_menu"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        dispatcher.utter_message(response="utter_help_menu")
        dispatcher.utter_message(response="utter_hotline", hotline=self.services.settings.hotline)
        return []
