"""HTTP client for the Rasa server: REST channel, trigger_intent, tracker events and status."""

from __future__ import annotations

import logging
import time
from typing import Any

import httpx

from core.metrics import RASA_SECONDS
from core.request_id import HEADER, METADATA_KEY, current_request_id

log = logging.getLogger(__name__)


class RasaUnavailable(Exception):
    """Rasa could not be reached, answered with an error, or was too slow."""


class RasaClient:
    """Talks to one Rasa server over HTTP.

    Args:
        base_url: e.g. ``http://127.0.0.1:5005``.
        token: token of Rasa's HTTP API (``--auth-token``).
        timeout_s: per-request timeout; a slower answer counts as unavailable.
    """

    def __init__(self, base_url: str, token: str, timeout_s: float) -> None:
        if timeout_s <= 0:
            raise ValueError("timeout_s must be positive")
        self._token = token
        self._http = httpx.AsyncClient(base_url=base_url.rstrip("/"), timeout=timeout_s)

    async def aclose(self) -> None:
        await self._http.aclose()

    async def _request(self, call: str, method: str, url: str, **kwargs: Any) -> Any:
        """One call of Rasa's API, timed in ``yinfa_rasa_request_seconds{call, outcome}``;
        it carries the current request id (``X-Request-ID``) for a balancer's logs."""
        params = dict(kwargs.pop("params", {}) or {})
        params["token"] = self._token
        request_id = current_request_id()
        headers = {HEADER: request_id} if request_id else None
        started = time.perf_counter()
        outcome = "error"
        try:
            resp = await self._http.request(method, url, params=params, headers=headers, **kwargs)
            if resp.status_code < 400:
                outcome = "ok"
        except httpx.TimeoutException as exc:
            outcome = "timeout"
            raise RasaUnavailable(f"Rasa timed out on {url}") from exc
        except httpx.HTTPError as exc:
            raise RasaUnavailable(f"Rasa unreachable on {url}: {exc.__class__.__name__}") from exc
        finally:
            RASA_SECONDS.labels(call, outcome).observe(time.perf_counter() - started)
        if resp.status_code >= 400:
            raise RasaUnavailable(f"Rasa answered {resp.status_code} on {url}: {resp.text[:200]}")
        return resp.json()

    async def send_message(self, sender_id: str, text: str) -> list[dict[str, Any]]:
        """Send a user message through the REST channel; returns Rasa's bot messages.

        The current request id goes along as the message's metadata (``request_id``): Rasa
        keeps it on the user turn, and the action webhook logs the actions under it. The
        metadata carries nothing else (nothing personal).
        """
        body: dict[str, Any] = {"sender": sender_id, "message": text}
        request_id = current_request_id()
        if request_id:
            body["metadata"] = {METADATA_KEY: request_id}
        data = await self._request("message", "POST", "/webhooks/rest/webhook", json=body)
        return list(data or [])

    async def trigger_intent(
        self, sender_id: str, intent: str, entities: dict[str, Any] | None = None
    ) -> list[dict[str, Any]]:
        """Trigger an external intent in a conversation; returns the bot messages."""
        data = await self._request(
            "trigger_intent",
            "POST",
            f"/conversations/{sender_id}/trigger_intent",
            params={"output_channel": "collector"},
            json={"name": intent, "entities": entities or {}},
        )
        return list(data.get("messages") or [])

    async def tracker_events(self, sender_id: str) -> list[dict[str, Any]]:
        """The events of a conversation since its last restart (``GET .../tracker``)."""
        data = await self._request(
            "tracker",
            "GET",
            f"/conversations/{sender_id}/tracker",
            params={"include_events": "AFTER_RESTART"},
        )
        return list(data.get("events") or [])

    async def append_events(self, sender_id: str, events: list[dict[str, Any]]) -> None:
        """Append events to a conversation without running the bot (``POST .../tracker/events``).

        Rasa starts the conversation's session first when it has none, and runs no side
        effects (no bot message is sent anywhere). The answer carries no events, so it stays
        small however long the conversation is.
        """
        await self._request(
            "append_events",
            "POST",
            f"/conversations/{sender_id}/tracker/events",
            params={"include_events": "NONE"},
            json=events,
        )

    async def status(self) -> dict[str, Any]:
        """Rasa's ``/status``: includes ``model_file`` when a model is loaded."""
        return dict(await self._request("status", "GET", "/status"))
