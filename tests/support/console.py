"""Helpers of the console tests: the console and alert routers in an app, and signing in."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from fastapi import FastAPI
    from fastapi.testclient import TestClient

    from core.database import Database

PASSWORD = "correct horse battery"
ROLES = {
    "op1": "operator",
    "officer_a": "alert_officer",
    "officer_b": "alert_officer",
    "admin1": "admin",
    "editor1": "editor",
}


def create_accounts(database: Database) -> None:
    """One account of each role (see ``ROLES``), all with ``PASSWORD``."""
    from console import accounts

    for name, role in ROLES.items():
        accounts.create(database, name, role, PASSWORD)


def build_app(database: Database, retriever: object) -> FastAPI:
    """The console and alert API routers with the state the app's lifespan would set."""
    from fastapi import FastAPI

    from actions import scam_desk
    from alerts import routes as alert_routes
    from console import routes as console_routes
    from console.deps import session_operator
    from console.ratelimit import LoginLimiter
    from core.settings import Settings

    app = FastAPI()
    app.state.database = database
    app.state.retriever = retriever
    app.state.settings = Settings(_env_file=None, session_secret="test-secret")  # type: ignore[call-arg]
    app.state.login_limiter = LoginLimiter()
    app.state.authenticate = session_operator
    app.state.scam_desk = scam_desk
    app.include_router(console_routes.router)
    app.include_router(alert_routes.api)
    return app


def login(client: TestClient, username: str) -> None:
    """Sign in as ``username`` (dropping any earlier session)."""
    client.cookies.clear()
    r = client.post("/api/operator/login", json={"username": username, "password": PASSWORD})
    assert r.status_code == 200, r.text
