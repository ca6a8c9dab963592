"""The page, its static files and the small JSON endpoints (no Rasa needed)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from app.main import create_app
from core.settings import Settings
from tests.channels.web.banner_rows import insert_banner
from tests.support.db import open_database


@pytest.fixture
def client(app_settings: Settings, tmp_path: Path) -> Iterator[TestClient]:
    """The real app without its lifespan (no Rasa, no index); the database is opened here."""
    settings = app_settings.model_copy(update={"hotline": "0353-12345"})
    app = create_app(settings)
    database = open_database(settings.database_url)
    app.state.database = database
    with_client = TestClient(app)  # not entered: the lifespan does not run
    yield with_client
    database.dispose()


def test_page_is_served_with_a_strict_csp(client: TestClient) -> None:
    r = client.get("/")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/html")
    assert "银发助手" in r.text
    csp = r.headers["content-security-policy"]
    assert "default-src 'self'" in csp and "script-src 'self'" in csp
    assert "http://" not in r.text.replace("http://www.w3.org", "")
    assert "https://" not in r.text


@pytest.mark.parametrize("name", ["js/main.js", "app.css"])
def test_static_files_are_local_and_served(client: TestClient, name: str) -> None:
    r = client.get(f"/static/{name}")
    assert r.status_code == 200
    assert "https://" not in r.text and "http://" not in r.text


def test_static_path_traversal_is_refused(client: TestClient) -> None:
    assert client.get("/static/../router.py").status_code == 404
    assert client.get("/static/%2e%2e/router.py").status_code == 404


def test_config_names_the_hotline_from_settings(client: TestClient) -> None:
    r = client.get("/api/config")
    assert r.status_code == 200
    assert r.json()["hotline"] == "0353-12345"
    assert r.json()["banner_poll_s"] == 60


def test_banner_endpoint_reads_the_alerts_table(client: TestClient) -> None:
    assert client.get("/api/alerts/banner").json() == {"banner": None}
    url = client.app.state.database.url  # type: ignore[attr-defined]
    insert_banner(url, public_code="FZ-9", title="不要给陌生人转账", body="先打电话问家人。")
    banner = client.get("/api/alerts/banner").json()["banner"]
    assert banner["title"] == "不要给陌生人转账" and banner["public_code"] == "FZ-9"


def test_config_names_the_live_stream_only_when_the_app_has_one(client: TestClient) -> None:
    assert client.get("/api/config").json()["events_url"] == "/api/events"
    from fastapi import FastAPI

    from channels.web import router as web_router

    bare = FastAPI()
    bare.state.settings = client.app.state.settings  # type: ignore[attr-defined]
    bare.include_router(web_router.router)
    assert TestClient(bare).get("/api/config").json()["events_url"] is None
