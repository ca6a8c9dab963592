"""End to end through the real Rasa server and the real app (``/api/chat`` contract)."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.support.stack import RASA_BIN, ROOT, Stack, free_port, model_path

pytestmark = pytest.mark.e2e


def _assert_contract(body: dict) -> None:
    assert isinstance(body["messages"], list) and body["messages"]
    for m in body["messages"]:
        assert m["text"] is None or isinstance(m["text"], str)
        for b in m["buttons"]:
            assert isinstance(b["title"], str) and isinstance(b["payload"], str)
        for c in m["citations"]:
            assert isinstance(c["clause_id"], str) and isinstance(c["title"], str)


def test_health_and_ready(stack: Stack) -> None:
    assert httpx.get(stack.app_url + "/healthz").json() == {"status": "ok"}
    ready = httpx.get(stack.app_url + "/readyz")
    assert ready.status_code == 200
    assert ready.json()["rasa_model"].startswith("bot-")
    assert ready.json()["database"] == "sqlite"  # contract: "sqlite" or "postgresql"
    assert ready.json()["backends"] == {"database": "ok", "rasa": "ok"}


def test_greeting_in_chinese(stack: Stack) -> None:
    r = stack.chat("t1", "你好")
    assert r.status_code == 200
    body = r.json()
    _assert_contract(body)
    assert "您好" in body["messages"][0]["text"]


def test_help_menu_comes_from_the_action_webhook(stack: Stack) -> None:
    r = stack.chat("t-help", "帮助")
    assert r.status_code == 200
    body = r.json()
    _assert_contract(body)
    texts = " ".join(m["text"] or "" for m in body["messages"])
    # The hotline is filled in by action_help_menu from the app's settings.
    assert "12345" in texts
    assert any(m["buttons"] for m in body["messages"])
    # Rasa stored the action's turn in its SQLite tracker store.
    with sqlite3.connect(stack.tracker_db) as db:
        actions = {
            row[0]
            for row in db.execute("select action_name from events where sender_id='web:t-help'")
        }
    assert "action_help_menu" in actions


@pytest.mark.parametrize(
    "payload",
    [
        {"sender_id": "t1", "text": ""},
        {"sender_id": "t1", "text": "   "},
        {"sender_id": "t1", "text": "长" * 501},
        {"sender_id": "bad id!", "text": "你好"},
        {"sender_id": "x" * 65, "text": "你好"},
        {"sender_id": "t1"},
        {"text": "你好"},
    ],
)
def test_invalid_input_gets_422_in_chinese(stack: Stack, payload: dict) -> None:
    r = httpx.post(stack.app_url + "/api/chat", json=payload)
    assert r.status_code == 422
    detail = r.json()["detail"]
    assert any("\u4e00" <= ch <= "\u9fff" for ch in detail)


def test_malformed_json_gets_422(stack: Stack) -> None:
    r = httpx.post(
        stack.app_url + "/api/chat",
        content=b"{not json",
        headers={"content-type": "application/json"},
    )
    assert r.status_code == 422


@pytest.mark.parametrize("text", ["😀😀😀", "\x00\x07你好\x1b", "ｎｉｈａｏ你好hello"])
def test_odd_but_valid_text_gets_an_answer(stack: Stack, text: str) -> None:
    r = stack.chat("t-odd", text)
    assert r.status_code == 200
    _assert_contract(r.json())


def test_rasa_down_gives_503_then_recovers_without_restarting_the_app(stack: Stack) -> None:
    app_pid = stack.app.popen.pid  # type: ignore[union-attr]
    stack.rasa.stop()
    try:
        r = stack.chat("t-down", "你好")
        assert r.status_code == 503
        assert "12345" in r.json()["detail"]
        assert httpx.get(stack.app_url + "/readyz").status_code == 503
        assert httpx.get(stack.app_url + "/healthz").status_code == 200
    finally:
        stack.restart_rasa()
    r = stack.chat("t-down", "你好")
    assert r.status_code == 200
    assert "您好" in r.json()["messages"][0]["text"]
    assert stack.app.popen.pid == app_pid  # type: ignore[union-attr]


def test_rasa_refuses_to_start_without_its_tracker_store(tmp_path: Path) -> None:
    run_env = dict(os.environ)
    run_env["ACTION_ENDPOINT_URL"] = "http://127.0.0.1:9/webhook"
    run_env.setdefault("YINFA_ACTION_TOKEN", "unused")
    run_env["RASA_TRACKER_URL"] = "sqlite:////proc/no-such-dir/tracker.sqlite3"
    out = subprocess.run(
        [
            str(RASA_BIN),
            "run",
            "--interface",
            "127.0.0.1",
            "--port",
            str(free_port()),
            "--model",
            str(model_path()),
            "--endpoints",
            "endpoints.yml",
        ],
        cwd=ROOT,
        env=run_env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.returncode != 0
    assert "TrackerStoreUnavailable" in out.stdout + out.stderr


def test_app_refuses_to_start_without_its_database(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    run_env = dict(os.environ, YINFA_DATABASE_URL=f"sqlite:///{blocker}/app.sqlite3")
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "app.main:create_app",
            "--factory",
            "--port",
            str(free_port()),
        ],
        cwd=ROOT,
        env=run_env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode != 0
    assert "cannot open the app database" in out.stdout + out.stderr


def test_oversized_body_is_refused_before_reading(stack: Stack) -> None:
    r = httpx.post(
        stack.app_url + "/api/chat",
        content=b'{"sender_id":"t1","text":"' + b"a" * 70_000 + b'"}',
        headers={"content-type": "application/json"},
    )
    assert r.status_code == 413
    assert any("\u4e00" <= ch <= "\u9fff" for ch in r.json()["detail"])


def test_one_sender_flooding_is_rate_limited_without_hurting_others(
    stack: Stack, tmp_path: Path
) -> None:
    from fastapi.testclient import TestClient

    from app.main import create_app
    from core.settings import Settings

    settings = Settings(  # type: ignore[call-arg]
        _env_file=None,
        var_dir=tmp_path,
        rasa_url=stack.rasa_url,
        rasa_token=stack.token,
        chat_rate_per_min=1,
        chat_burst=3,
    )
    with TestClient(create_app(settings)) as client:
        codes = [
            client.post("/api/chat", json={"sender_id": "t-flood", "text": "你好"}).status_code
            for _ in range(5)
        ]
        calm = client.post("/api/chat", json={"sender_id": "t-calm", "text": "你好"})
    assert codes == [200, 200, 200, 429, 429]
    assert calm.status_code == 200
