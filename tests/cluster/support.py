"""Helpers of the cluster tests: the cluster as the alert helpers expect a stack, SQL on its
PostgreSQL, a live-alert reader, and a load that counts errors."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import create_engine, text

from scripts.cluster import Cluster

BINARIES = {
    "postgresql": "usr/lib/postgresql/*/bin/postgres",
    "redis-server": "usr/bin/redis-server",
    "nginx": "usr/sbin/nginx",
}
MISSING = [pkg for pkg, pattern in BINARIES.items() if not list(Path("/").glob(pattern))]
needs_cluster = [
    pytest.mark.e2e,
    pytest.mark.skipif(
        bool(MISSING),
        reason=f"Debian packages missing: {' '.join(MISSING)} (make cluster-deps installs them)",
    ),
]


@dataclass
class Target:
    """The cluster seen through its balancer, with what ``tests.alerts.e2e_support`` uses
    (``app_url`` and ``env``)."""

    cluster: Cluster

    @property
    def app_url(self) -> str:
        return self.cluster.layout.url("web")

    @property
    def env(self) -> dict[str, str]:
        return self.cluster.env

    def chat(self, sender: str, text: str, timeout: float = 60) -> httpx.Response:
        return httpx.post(
            self.app_url + "/api/chat", json={"sender_id": sender, "text": text}, timeout=timeout
        )

    def say(self, sender: str, text: str) -> list[dict[str, Any]]:
        r = self.chat(sender, text)
        assert r.status_code == 200, r.text
        return list(r.json()["messages"])

    def query(self, sql: str, **params: Any) -> list[tuple[Any, ...]]:
        """Rows of ``sql`` on the app database (PostgreSQL)."""
        engine = create_engine(self.env["YINFA_DATABASE_URL"])
        try:
            with engine.connect() as conn:
                return [tuple(r) for r in conn.execute(text(sql), params)]
        finally:
            engine.dispose()

    def tracker(self, sender: str) -> dict[str, Any]:
        """Rasa's tracker of ``sender`` through the Rasa balancer."""
        r = httpx.get(
            f"{self.cluster.layout.url('rasa_lb')}/conversations/{sender}/tracker",
            params={"token": self.env["YINFA_RASA_TOKEN"]},
            timeout=30,
        )
        r.raise_for_status()
        return dict(r.json())


def joined(messages: list[dict[str, Any]]) -> str:
    return "\n".join(m.get("text") or "" for m in messages)


@dataclass
class Load:
    """Requests sent by ``workers`` threads until ``total`` are done; statuses counted."""

    target: Target
    total: int
    workers: int = 8
    statuses: list[int] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def _one(self, n: int) -> None:
        try:
            if n % 2:
                r = httpx.post(
                    self.target.app_url + "/api/chat",
                    json={"sender_id": f"load-{n}", "text": "你好"},
                    timeout=30,
                )
                status = r.status_code if r.status_code != 200 or r.json()["messages"] else 0
            else:
                status = httpx.get(
                    self.target.app_url + "/api/alerts/banner", timeout=30
                ).status_code
        except httpx.HTTPError:
            status = -1  # connection error
        with self._lock:
            self.statuses.append(status)

    def run(self) -> None:
        with ThreadPoolExecutor(self.workers) as pool:
            list(pool.map(self._one, range(self.total)))

    @property
    def done(self) -> int:
        return len(self.statuses)

    @property
    def errors(self) -> list[int]:
        return [s for s in self.statuses if s != 200]


def warm_up(cluster: Cluster, timeout: float = 300) -> None:
    """A greeting and a policy question on each app directly (each reaches both Rasa servers
    through their balancer), until they answer: caches, connections and the first action
    calls are made before anything is asserted."""
    deadline = time.monotonic() + timeout
    for port in ("app_1", "app_2"):
        for n, words in enumerate(("你好", "老年食堂吃饭要钱吗", "你好", "老年食堂吃饭要钱吗")):
            while True:
                try:
                    r = httpx.post(
                        cluster.layout.url(port) + "/api/chat",
                        json={"sender_id": f"warm-{port}-{n}", "text": words},
                        timeout=60,
                    )
                    if r.status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if time.monotonic() > deadline:
                    raise AssertionError(f"{port} does not answer chat after {timeout:.0f} s")
                time.sleep(2)
