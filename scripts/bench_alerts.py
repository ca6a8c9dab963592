"""Benchmark alerts and the console on the real stack (Rasa + app + worker process).

1. Deliveries per second of one alert to N web subscribers, end to end: from the publish
   request to the last outbox row ``delivered``, with ``python -m alerts worker``. Today's
   per-subscriber path (one Rasa turn per subscriber, ``YINFA_ALERTS_FANOUT=false``) and
   the fan-out path (render once, append the turn to each conversation) run in the same
   stack, one after the other; the ratio is printed. Sizes above ``--old-max`` run the
   fan-out path only; the old path's time there is extrapolated from its own rate and
   marked as such.
2. What recording the alert in one conversation costs: Rasa's tracker events API alone,
   N appends at the worker's concurrency (the price of "record now" over "attach later").
3. Kill test at size: SIGKILL the worker in the middle of a ``--kill`` subscriber broadcast,
   restart it; every subscriber ends with exactly one receipt; the time to finish is printed.
4. Console search latency over HTTP (signed-in operator): Chinese, full pinyin, initials.

Usage: ``python scripts/bench_alerts.py [--subscribers 1000,100000] [--old-max 1000]
[--kill 10000] [--searches 300]``
"""

from __future__ import annotations

import argparse
import asyncio
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench_support import time_queries

QUERIES = [
    "老年助餐",
    "zhucan",
    "zc",
    "lnzc",
    "助餐点在哪",
    "适老化改造补贴",
    "shilaohua",
    "slh",
    "96110",
    "安全账户",
    "养老金认证短信",
    "yljrz",
    "以旧换新",
    "yjhx",
    "长期护理保险",
    "冒充公检法",
    "mcgjf",
    "保健品",
    "bjp",
    "家里装扶手",
    "居家养老",
    "jjyl",
    "老年大学",
]


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1))))
    return ordered[k]


WORKER_ENV = {"YINFA_ALERTS_BATCH_SIZE": "200", "YINFA_ALERTS_CONCURRENCY": "32"}


def add_web_subscribers(stack: Any, prefix: str, n: int) -> list[str]:
    """``n`` fresh web subscribers (one bulk insert); every earlier one is deactivated."""
    users = [f"{prefix}-{i:06d}" for i in range(n)]
    with sqlite3.connect(stack.app_db, timeout=60) as conn:
        conn.execute("UPDATE alert_subscriptions SET active = 0")
        conn.executemany(
            "INSERT INTO alert_subscriptions (channel, user_id, district, active, subscribed_at)"
            " VALUES ('web', ?, NULL, 1, datetime('now'))",
            [(u,) for u in users],
        )
    return users


def delivered(stack: Any, alert_id: int) -> int:
    from tests.alerts.e2e_support import outbox_counts

    return int(outbox_counts(stack, alert_id).get("delivered", 0))


def start_worker(stack: Any, log: Path, **env: str) -> Any:
    """A worker process, once it has started (its imports are not part of any timing)."""
    from tests.alerts.e2e_support import WorkerProcess, wait_until

    size = log.stat().st_size if log.exists() else 0
    worker = WorkerProcess(stack, log, **env).start()
    wait_until(lambda: b"started" in log.read_bytes()[size:], timeout=120, step=0.1)
    return worker


def approved_alert(stack: Any, **fields: object) -> tuple[int, Any]:
    """An approved alert and a signed-in client of the officer who will publish it."""
    from datetime import datetime, timedelta, timezone

    from tests.alerts.e2e_support import PASSWORD, session

    body: dict[str, object] = {
        "title": "冒充公检法电话",
        "scam_type": "impersonate_police",
        "districts": [],
        "body": "有人冒充公安打电话，说您涉嫌洗钱，让您转账。这是骗局，别转钱，挂电话。",
        "expires_at": (datetime.now(timezone.utc) + timedelta(days=3)).isoformat(),
    }
    body.update(fields)
    with session(stack, "officer_a") as a:
        r = a.post("/api/operator/alerts", json=body)
        assert r.status_code == 201, r.text
        alert_id = int(r.json()["id"])
    import httpx

    b = httpx.Client(base_url=stack.app_url, timeout=600)
    r = b.post("/api/operator/login", json={"username": "officer_b", "password": PASSWORD})
    assert r.status_code == 200, r.text
    assert b.post(f"/api/operator/alerts/{alert_id}/approve").status_code == 200
    return alert_id, b


def publish(client: Any, alert_id: int) -> None:
    r = client.post(f"/api/operator/alerts/{alert_id}/publish")
    assert r.status_code == 200, r.text
    client.close()


def broadcast(stack: Any, n: int, fanout: bool, tag: str) -> float:
    """Seconds from the publish request to the last of ``n`` web deliveries."""
    from tests.alerts.e2e_support import wait_until

    add_web_subscribers(stack, tag, n)
    env = dict(WORKER_ENV, YINFA_ALERTS_FANOUT="true" if fanout else "false")
    worker = start_worker(stack, stack.workdir / f"worker-{tag}.log", **env)
    try:
        alert_id, officer = approved_alert(stack, title=f"测试提醒{tag}"[:40])
        started = time.perf_counter()
        publish(officer, alert_id)
        wait_until(lambda: delivered(stack, alert_id) >= n, timeout=4 * 3600, step=0.1)
        return time.perf_counter() - started
    finally:
        worker.stop()


def report(n: int, old_s: float | None, old_rate: float | None, new_s: float) -> None:
    new_rate = n / new_s
    if old_s is not None:
        old = f"today's path {old_s:.1f} s ({n / old_s:.1f}/s)"
        ratio = old_s / new_s
    else:
        assert old_rate is not None
        old = f"today's path ~{n / old_rate:.0f} s EXTRAPOLATED from its {old_rate:.1f}/s"
        ratio = (n / old_rate) / new_s
    print(
        f"alerts, {n} web subscribers, publish to last delivery: fan-out {new_s:.1f} s "
        f"({new_rate:.1f}/s); {old}; speed-up x{ratio:.1f}",
        flush=True,
    )


async def _appends(stack: Any, n: int, concurrency: int) -> float:
    from alerts.fanout import render_sender, turn_events
    from core.rasa_client import RasaClient
    from tests.alerts.e2e_support import query

    key = query(stack, "SELECT alert_id, kind, district FROM alert_renders ORDER BY id DESC")[0]
    rasa = RasaClient(stack.rasa_url, stack.token, timeout_s=30)
    turn = turn_events(await rasa.tracker_events(render_sender(tuple(key))))  # type: ignore[arg-type]
    gate = asyncio.Semaphore(concurrency)

    async def one(i: int) -> None:
        async with gate:
            await rasa.append_events(f"web:append-bench-{i:06d}", turn)

    started = time.perf_counter()
    await asyncio.gather(*(one(i) for i in range(n)))
    took = time.perf_counter() - started
    await rasa.aclose()
    return took


def kill_test(stack: Any, n: int) -> None:
    """SIGKILL the worker mid-broadcast, restart it, check exactly one receipt each."""
    from tests.alerts.e2e_support import query, wait_until

    users = add_web_subscribers(stack, "kill", n)
    alert_id, officer = approved_alert(stack, title="虚假中奖要交钱", scam_type="fake_prize")
    log = stack.workdir / "worker-kill.log"
    first = start_worker(stack, log, **WORKER_ENV)
    started = time.perf_counter()
    try:
        publish(officer, alert_id)
        wait_until(lambda: delivered(stack, alert_id) >= n // 3, 3600, 0.01)
    finally:
        first.kill()
    at_kill = delivered(stack, alert_id)
    second = start_worker(stack, log, **WORKER_ENV)
    try:
        wait_until(lambda: delivered(stack, alert_id) >= n, 3600, 0.1)
    finally:
        second.stop()
    took = time.perf_counter() - started
    per_user = dict(
        query(
            stack,
            "SELECT user_id, count(*) FROM alert_receipts WHERE alert_id = ? GROUP BY user_id",
            alert_id,
        )
    )
    statuses = dict(
        query(
            stack,
            "SELECT status, count(*) FROM alert_outbox WHERE alert_id = ? GROUP BY status",
            alert_id,
        )
    )
    exact = sum(1 for u in users if per_user.get(u) == 1)
    ok = exact == n and len(per_user) == n and statuses == {"delivered": n}
    verdict = "PASS" if ok else "FAIL"
    print(
        f"kill test: {n} web subscribers, SIGKILL at {at_kill} delivered, restart: "
        f"{exact} of {n} with exactly one receipt, outbox {statuses} ({verdict}); publish "
        f"to last delivery {took:.1f} s incl. the worker restart and the "
        f"{stack.env['YINFA_ALERTS_LEASE_S']} s lease of the killed worker's rows",
        flush=True,
    )
    if verdict != "PASS":
        raise SystemExit(1)


def search_bench(stack: Any, searches: int) -> None:
    from tests.alerts.e2e_support import session

    with session(stack, "op1") as op:
        timed = time_queries(  # each query once as warm-up
            lambda q: op.get("/api/operator/search", params={"q": q}),
            QUERIES,
            searches,
            warmup=len(QUERIES),
        )
        for _, r in timed:
            r.raise_for_status()
    client_ms = [ms for ms, _ in timed]
    server_ms = [float(r.json()["took_ms"]) for _, r in timed]
    print(
        f"console search over HTTP ({searches} queries, incl. auth and audit "
        f"write): p50 {statistics.median(client_ms):.1f} ms, "
        f"p95 {percentile(client_ms, 95):.1f} ms, max {max(client_ms):.1f} ms; "
        f"retrieval alone p95 {percentile(server_ms, 95):.1f} ms"
    )


def delivery_bench(stack: Any, sizes: list[int], old_max: int) -> None:
    old_rate: float | None = None
    for n in sizes:
        old_s = broadcast(stack, n, fanout=False, tag=f"old{n}") if n <= old_max else None
        if old_s is not None:
            old_rate = n / old_s
        new_s = broadcast(stack, n, fanout=True, tag=f"new{n}")
        report(n, old_s, old_rate, new_s)
        if n == sizes[0]:
            took = asyncio.run(_appends(stack, n, int(WORKER_ENV["YINFA_ALERTS_CONCURRENCY"])))
            print(
                f"recording alone: {n} tracker-event appends to fresh conversations in "
                f"{took:.1f} s ({n / took:.0f}/s, {took / n * 1000:.1f} ms of Rasa per conversation at "
                f"concurrency {WORKER_ENV['YINFA_ALERTS_CONCURRENCY']})",
                flush=True,
            )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--subscribers", default="1000,100000", help="comma-separated sizes")
    parser.add_argument("--old-max", type=int, default=1000, help="largest old-path run")
    parser.add_argument("--kill", type=int, default=10000, help="kill test size (0: skip)")
    parser.add_argument("--searches", type=int, default=300)
    args = parser.parse_args()
    sizes = [int(n) for n in args.subscribers.split(",") if n.strip()]

    from tests.alerts.e2e_support import create_accounts
    from tests.support.stack import Stack

    with tempfile.TemporaryDirectory(prefix="bench-alerts-") as tmp:
        stack = Stack(
            Path(tmp),
            extra_env={
                "YINFA_ALERTS_WORKER": "off",
                "YINFA_ALERTS_POLL_S": "0.2",
                "YINFA_ALERTS_LEASE_S": "10",
            },
        )
        try:
            stack.start()
            create_accounts(stack)
            stack.chat("bench-warmup", "你好")  # load Rasa's model paths once
            delivery_bench(stack, sizes, args.old_max)
            if args.kill:
                kill_test(stack, args.kill)
            search_bench(stack, args.searches)
        finally:
            stack.stop()


if __name__ == "__main__":
    try:
        main()
    except subprocess.CalledProcessError as exc:
        sys.exit(exc.returncode)
