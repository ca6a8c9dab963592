"""Helpers of the end-to-end alert tests and the benchmark: accounts, API calls, workers."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

from tests.channels.wechat.peer import text_xml, wechat_signature
from tests.support.stack import ROOT, WECHAT_TOKEN, Stack

PASSWORD = "e2e-password-0123"
ACCOUNTS = [
    ("officer_a", "alert_officer"),
    ("officer_b", "alert_officer"),
    ("op1", "operator"),
    ("admin1", "admin"),
]


def create_accounts(stack: Stack) -> None:
    """Create the test accounts with the real CLI."""
    for name, role in ACCOUNTS:
        out = subprocess.run(
            [
                sys.executable,
                "-m",
                "console",
                "accounts",
                "create",
                name,
                "--role",
                role,
                "--password-stdin",
            ],
            input=PASSWORD + "\n",
            env=stack.env,
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=False,
        )
        assert out.returncode == 0 or "taken" in out.stderr, out.stderr


@contextmanager
def session(stack: Stack, username: str) -> Iterator[httpx.Client]:
    """An HTTP client signed in as ``username``."""
    with httpx.Client(base_url=stack.app_url, timeout=30) as client:
        r = client.post("/api/operator/login", json={"username": username, "password": PASSWORD})
        assert r.status_code == 200, r.text
        yield client


def query(stack: Stack, sql: str, *args: object) -> list[tuple]:
    with sqlite3.connect(stack.app_db, timeout=30) as conn:
        return list(conn.execute(sql, args))


def outbox_counts(stack: Stack, alert_id: int) -> dict[str, int]:
    return dict(
        query(
            stack,
            "SELECT status, count(*) FROM alert_outbox WHERE alert_id = ? GROUP BY status",
            alert_id,
        )
    )


def wait_until(predicate, timeout: float, step: float = 0.2) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(step)
    raise AssertionError(f"condition not met within {timeout} s")


class EventReader:
    """Reads ``GET /api/events`` in a thread and keeps the parsed events."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.events: list[dict[str, Any]] = []
        self.connected = threading.Event()
        self._stop = False
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        with httpx.stream("GET", self.url, timeout=httpx.Timeout(10, read=None)) as r:
            self.connected.set()
            event: dict[str, Any] = {}
            for line in r.iter_lines():
                if self._stop:
                    return
                if not line:
                    if "data" in event:
                        self.events.append(event)
                    event = {}
                elif line.startswith("id: "):
                    event["id"] = int(line[4:])
                elif line.startswith("event: "):
                    event["event"] = line[7:]
                elif line.startswith("data: "):
                    event["data"] = json.loads(line[6:])

    def start(self, connect_timeout: float = 15) -> EventReader:
        self.thread.start()
        assert self.connected.wait(connect_timeout)
        time.sleep(0.5)
        return self

    def stop(self) -> None:
        self._stop = True

    def alerts(self) -> list[dict[str, Any]]:
        return [e for e in self.events if e.get("event") == "alert"]


class WorkerProcess:
    """``python -m alerts worker`` as its own process group."""

    def __init__(self, stack: Stack, log: Path, **env: str) -> None:
        self.env = dict(stack.env)
        self.env.update(env)
        self.log = log
        self.popen: subprocess.Popen[bytes] | None = None

    def start(self) -> WorkerProcess:
        self.popen = subprocess.Popen(
            [sys.executable, "-m", "alerts", "worker"],
            cwd=ROOT,
            env=self.env,
            stdout=self.log.open("ab"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        return self

    def kill(self) -> None:
        """SIGKILL: no cleanup at all, as if the machine lost power."""
        if self.popen and self.popen.poll() is None:
            os.killpg(self.popen.pid, signal.SIGKILL)
            self.popen.wait(10)

    def stop(self) -> None:
        if self.popen and self.popen.poll() is None:
            os.killpg(self.popen.pid, signal.SIGTERM)
            try:
                self.popen.wait(15)
            except subprocess.TimeoutExpired:
                self.kill()


def draft_and_publish(stack: Stack, **fields: object) -> dict:
    """officer_a drafts, officer_b approves and publishes; returns the published alert."""
    from datetime import datetime, timedelta, timezone

    body = {
        "title": "冒充公检法电话",
        "scam_type": "impersonate_police",
        "districts": [],
        "body": "有人冒充公安打电话，说您涉嫌洗钱，让您把钱转到“安全账户”。这是骗局，别转钱，挂电话。",
        "expires_at": (datetime.now(timezone.utc) + timedelta(days=3)).isoformat(),
    }
    body.update(fields)
    with session(stack, "officer_a") as a:
        r = a.post("/api/operator/alerts", json=body)
        assert r.status_code == 201, r.text
        alert = r.json()
    with session(stack, "officer_b") as b:
        assert b.post(f"/api/operator/alerts/{alert['id']}/approve").status_code == 200
        r = b.post(f"/api/operator/alerts/{alert['id']}/publish")
        assert r.status_code == 200, r.text
        return dict(r.json())


def wechat_say(stack: Stack, openid: str, text: str, msg_id: str) -> httpx.Response:
    """One signed WeChat text message from ``openid`` to the app, as WeChat sends it."""
    ts, nonce = str(int(time.time())), f"n{msg_id}"
    params = {
        "signature": wechat_signature(WECHAT_TOKEN, ts, nonce),
        "timestamp": ts,
        "nonce": nonce,
        "openid": openid,
    }
    body = text_xml(openid, text, msg_id, int(ts))
    return httpx.post(stack.app_url + "/wechat", params=params, content=body.encode(), timeout=30)
