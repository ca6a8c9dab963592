"""Benchmark alerts and the console on the real stack (Rasa + app).

1. Time to deliver one alert to N web subscribers (default 1,000) through the bot: from the
   publish request to the last outbox row ``delivered``, with the app's inline worker.
2. Console search latency over HTTP (signed-in operator): Chinese, full pinyin, initials.

Usage: ``python scripts/bench_alerts.py [--subscribers 1000] [--searches 300]``
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

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


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--subscribers", type=int, default=1000)
    parser.add_argument("--searches", type=int, default=300)
    parser.add_argument("--concurrency", type=int, default=16)
    args = parser.parse_args()

    from alerts import subscriptions
    from core.database import Database
    from tests.alerts.e2e_support import (
        create_accounts,
        draft_and_publish,
        outbox_counts,
        session,
        wait_until,
    )
    from tests.support.stack import Stack

    with tempfile.TemporaryDirectory(prefix="bench-alerts-") as tmp:
        stack = Stack(
            Path(tmp),
            extra_env={
                "YINFA_ALERTS_WORKER": "inline",
                "YINFA_ALERTS_POLL_S": "0.2",
                "YINFA_ALERTS_CONCURRENCY": str(args.concurrency),
                "YINFA_ALERTS_BATCH_SIZE": "64",
            },
        )
        try:
            stack.start()
            create_accounts(stack)
            database = Database(f"sqlite:///{stack.app_db}")
            database.open()
            for i in range(args.subscribers):
                subscriptions.subscribe(database, "web", f"bench-{i:05d}")
            database.dispose()
            stack.chat("bench-warmup", "你好")  # load Rasa's model paths once

            started = time.perf_counter()
            alert = draft_and_publish(stack)
            published = time.perf_counter()
            wait_until(
                lambda: outbox_counts(stack, alert["id"]).get("delivered", 0) >= args.subscribers,
                timeout=3600,
                step=0.25,
            )
            done = time.perf_counter()
            counts = outbox_counts(stack, alert["id"])
            total = done - started
            print(
                f"alerts: delivered one alert to {args.subscribers} web subscribers through "
                f"Rasa in {total:.1f} s ({args.subscribers / total:.1f}/s; publish request "
                f"{(published - started) * 1000:.0f} ms incl. 3 logins); outbox {counts}"
            )

            with session(stack, "op1") as op:
                timed = time_queries(  # each query once as warm-up
                    lambda q: op.get("/api/operator/search", params={"q": q}),
                    QUERIES,
                    args.searches,
                    warmup=len(QUERIES),
                )
                for _, r in timed:
                    r.raise_for_status()
            client_ms = [ms for ms, _ in timed]
            server_ms = [float(r.json()["took_ms"]) for _, r in timed]
            print(
                f"console search over HTTP ({args.searches} queries, incl. auth and audit "
                f"write): p50 {statistics.median(client_ms):.1f} ms, "
                f"p95 {percentile(client_ms, 95):.1f} ms, max {max(client_ms):.1f} ms; "
                f"retrieval alone p95 {percentile(server_ms, 95):.1f} ms"
            )
        finally:
            stack.stop()


if __name__ == "__main__":
    try:
        main()
    except subprocess.CalledProcessError as exc:
        sys.exit(exc.returncode)
