"""``POST /webhook`` runs actions only for Rasa: a forged call changes no subscription."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from alerts import subscriptions
from tests.security.conftest import ACTION_TOKEN, build_app, client_for, security_settings


def action_call(sender_id: str, action: str) -> dict[str, Any]:
    """What Rasa 3.6 posts to its action endpoint (the parts rasa-sdk reads)."""
    return {
        "next_action": action,
        "sender_id": sender_id,
        "version": "3.6.21",
        "domain": {"responses": {}, "slots": {}, "forms": {}},
        "tracker": {
            "sender_id": sender_id,
            "slots": {},
            "latest_message": {"text": "退订", "intent": {"name": "unsubscribe_alerts"}},
            "events": [],
            "paused": False,
            "followup_action": None,
            "active_loop": {},
            "latest_action_name": "action_listen",
        },
    }


FORGED_HEADERS: list[dict[str, str]] = [
    {},
    {"authorization": "Bearer wrong-token"},
    {"authorization": f"Basic {ACTION_TOKEN}"},
    {"authorization": "Bearer"},
    {"authorization": f"Bearer {ACTION_TOKEN[:-1]}"},
    {"x-rasa-token": ACTION_TOKEN},
]


@pytest.mark.parametrize("headers", FORGED_HEADERS)
async def test_a_forged_unsubscribe_changes_nothing(
    app: FastAPI, client: httpx.AsyncClient, headers: dict[str, str]
) -> None:
    database = app.state.database
    subscriptions.subscribe(database, "web", "grandma")
    r = await client.post(
        "/webhook", json=action_call("web:grandma", "action_unsubscribe_alerts"), headers=headers
    )
    assert r.status_code == 401
    assert "bearer" in r.headers["www-authenticate"].lower()
    assert subscriptions.is_subscribed(database, "web", "grandma")


async def test_a_forged_subscribe_and_a_query_token_change_nothing(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    database = app.state.database
    r = await client.post(
        f"/webhook?token={ACTION_TOKEN}",
        json=action_call("web:stranger", "action_subscribe_alerts"),
    )
    assert r.status_code == 401  # the token is only taken from the header (never logged)
    assert not subscriptions.is_subscribed(database, "web", "stranger")


async def test_rasa_with_its_token_still_runs_the_action(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    database = app.state.database
    subscriptions.subscribe(database, "web", "grandpa")
    r = await client.post(
        "/webhook",
        json=action_call("web:grandpa", "action_unsubscribe_alerts"),
        headers={"authorization": f"Bearer {ACTION_TOKEN}"},
    )
    assert r.status_code == 200, r.text
    assert r.json()["responses"][0]["response"] == "utter_unsubscribed"
    assert not subscriptions.is_subscribed(database, "web", "grandpa")


async def test_the_previous_token_works_only_while_rotating(tmp_path, real_retriever) -> None:  # type: ignore[no-untyped-def]
    settings = security_settings(
        tmp_path, action_token="new-token-abcdef", action_token_previous=ACTION_TOKEN
    )
    app = build_app(settings, real_retriever)
    try:
        async with client_for(app) as c:
            for token in ("new-token-abcdef", ACTION_TOKEN):
                r = await c.post(
                    "/webhook",
                    json=action_call("web:x", "action_unsubscribe_alerts"),
                    headers={"authorization": f"Bearer {token}"},
                )
                assert r.status_code == 200, token
            app.state.settings = settings.model_copy(update={"action_token_previous": ""})
            r = await c.post(
                "/webhook",
                json=action_call("web:x", "action_unsubscribe_alerts"),
                headers={"authorization": f"Bearer {ACTION_TOKEN}"},
            )
            assert r.status_code == 401
    finally:
        app.state.database.dispose()


def test_production_refuses_to_start_without_an_action_token(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match="YINFA_ACTION_TOKEN"):
        security_settings(tmp_path, env="production", action_token="change-me")


@pytest.mark.e2e
def test_forged_calls_against_the_running_stack_change_no_subscription(stack) -> None:  # type: ignore[no-untyped-def]
    """The real app and its database; the real Rasa still reaches the actions with its token."""
    from tests.support.db import open_database

    database = open_database(f"sqlite:///{stack.app_db}")
    try:
        subscriptions.subscribe(database, "web", "e2e-grandma")
        for headers in FORGED_HEADERS:
            r = httpx.post(
                stack.app_url + "/webhook",
                json=action_call("web:e2e-grandma", "action_unsubscribe_alerts"),
                headers=headers,
            )
            assert r.status_code == 401
        r = httpx.post(
            stack.app_url + "/webhook",
            json=action_call("web:e2e-stranger", "action_subscribe_alerts"),
        )
        assert r.status_code == 401
        assert subscriptions.is_subscribed(database, "web", "e2e-grandma")
        assert not subscriptions.is_subscribed(database, "web", "e2e-stranger")
        # Rasa itself sends the token (endpoints.yml): saying so still subscribes.
        reply = stack.chat("e2e-by-rasa", "订阅防骗提醒")
        assert reply.status_code == 200, reply.text
        assert subscriptions.is_subscribed(database, "web", "e2e-by-rasa")
    finally:
        database.dispose()
