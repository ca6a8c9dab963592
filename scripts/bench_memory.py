"""Memory under load (``make bench-memory``): does the app grow, does Rasa stay in budget?

Sends web chat messages to the target, as residents would (new conversations of one to
four policy questions from the development set, now and then 你好 or the scam check),
``--concurrency`` at a time, and prints the RSS of every process (app, Rasa, delivery
workers; with their children) after ready, after every ``--every`` messages, and at the
end. Then two checks, each PASS or FAIL:

* the app's RSS after ``--messages`` (10,000) is within 10 % of its RSS after
  ``--checkpoint`` (1,000): the app must not grow under load;
* every Rasa process stays at or under 1.3 GB.

The target is the same as ``make bench-load``'s: a stack started here, or the running
``make run`` / ``make run-cluster`` when ``YINFA_URL`` is set. On a slow, shared machine
``--max-seconds`` ends the run early; the figures then say how many messages were sent,
and the growth check compares the last snapshot with the checkpoint.

Usage::

    .venv/bin/python scripts/bench_memory.py
    .venv/bin/python scripts/bench_memory.py --messages 3000 --checkpoint 500
    YINFA_URL=http://127.0.0.1:8000 .venv/bin/python scripts/bench_memory.py
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
import tempfile
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from bench_support import ROOT
from load_support import Target, open_target, policy_questions, print_rss, warm_up

MAX_GROWTH = 1.10
RASA_MAX_MB = 1.3 * 1024
SCAM_TURNS = ("我接了个电话心里不踏实，你帮我看看是不是骗子", "还没转", "打电话")


@dataclass
class Progress:
    """Messages sent so far, errors, and the RSS snapshots taken on the way."""

    goal: int
    every: int
    checkpoint: int
    sent: int = 0
    errors: Counter[str] = field(default_factory=Counter)  # kind -> count
    snapshots: dict[int, dict[str, float]] = field(default_factory=dict)


def conversation(questions: list[str]) -> list[str]:
    """One resident's messages: mostly policy questions, sometimes 你好 or the scam check."""
    roll = random.random()
    if roll < 0.1:
        return ["你好", random.choice(questions)]
    if roll < 0.2:
        return list(SCAM_TURNS)
    return random.sample(questions, k=random.randint(1, 4))


async def resident_loop(
    client: httpx.AsyncClient, target: Target, progress: Progress, questions: list[str]
) -> None:
    while progress.sent < progress.goal:
        sender = f"mem-{uuid.uuid4().hex[:16]}"
        for text in conversation(questions):
            if progress.sent >= progress.goal:
                return
            progress.sent += 1
            number = progress.sent
            try:
                r = await client.post("/api/chat", json={"sender_id": sender, "text": text})
                if r.status_code != 200:
                    progress.errors[f"status {r.status_code}"] += 1
            except httpx.HTTPError as exc:
                progress.errors[exc.__class__.__name__] += 1
            if number % progress.every == 0 or number == progress.checkpoint:
                # Off the loop: psutil reads /proc, a little slow under load.
                sizes = await asyncio.to_thread(print_rss, target, f"after {number} messages")
                progress.snapshots[number] = sizes


async def drive(target: Target, args: argparse.Namespace) -> tuple[Progress, float]:
    progress = Progress(args.messages, args.every, args.checkpoint)
    questions = policy_questions()
    started = time.monotonic()
    limits = httpx.Limits(max_connections=args.concurrency)
    async with httpx.AsyncClient(base_url=target.app_url, timeout=60, limits=limits) as client:
        loops = [
            resident_loop(client, target, progress, questions) for _ in range(args.concurrency)
        ]
        try:
            await asyncio.wait_for(asyncio.gather(*loops), timeout=args.max_seconds)
        except asyncio.TimeoutError:
            print(f"  stopped after {args.max_seconds:.0f} s (--max-seconds)")
    return progress, time.monotonic() - started


def verdicts(progress: Progress, ready: dict[str, float], end: dict[str, float]) -> bool:
    """Print the two checks; True when both pass."""
    ok = True
    base = progress.snapshots.get(progress.checkpoint)
    apps = [name for name in end if name.split("-")[0] == "app"]
    if base is None or not apps:
        print(f"app growth: not measured (fewer than {progress.checkpoint} messages sent)")
        ok = False
    for name in apps if base else []:
        ratio = end[name] / max(base.get(name, 0.0), 1e-9)
        passed = ratio <= MAX_GROWTH
        ok &= passed
        print(
            f"app growth {name}: {base[name]:.0f} MB after {progress.checkpoint} messages ->"
            f" {end[name]:.0f} MB after {progress.sent} = x{ratio:.3f}"
            f" (limit x{MAX_GROWTH:.2f}) {'PASS' if passed else 'FAIL'}"
        )
    for name in (n for n in end if n.split("-")[0] == "rasa"):
        peak = max(
            end[name],
            ready.get(name, 0.0),
            *(s.get(name, 0.0) for s in progress.snapshots.values()),
        )
        passed = peak <= RASA_MAX_MB
        ok &= passed
        print(
            f"Rasa memory {name}: peak {peak:.0f} MB (limit {RASA_MAX_MB:.0f} MB)"
            f" {'PASS' if passed else 'FAIL'}"
        )
    return ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--messages", type=int, default=10_000, help="messages to send")
    parser.add_argument("--checkpoint", type=int, default=1_000, help="baseline snapshot")
    parser.add_argument("--every", type=int, default=1_000, help="print RSS this often")
    parser.add_argument("--concurrency", type=int, default=8, help="residents at once")
    parser.add_argument("--max-seconds", type=float, default=3600.0, help="stop after this")
    args = parser.parse_args()
    if not 0 < args.checkpoint < args.messages:
        parser.error("--checkpoint must be between 0 and --messages")
    with tempfile.TemporaryDirectory(prefix="bench-memory-") as workdir:
        target = open_target(Path(workdir))
        try:
            warm_up(target)
            ready = print_rss(target, "after ready")
            progress, seconds = asyncio.run(drive(target, args))
            end = print_rss(target, f"after the load ({progress.sent} messages)")
        finally:
            target.stop()
    rate = progress.sent / max(seconds, 1e-9)
    print(
        f"{progress.sent} messages in {seconds:.0f} s ({rate:.1f} msg/s),"
        f" {sum(progress.errors.values())} errors; repository {ROOT}"
    )
    if progress.errors:
        print("  errors: " + ", ".join(f"{k} x{n}" for k, n in progress.errors.most_common()))
    ok = verdicts(progress, ready, end)
    print("memory check: " + ("PASS" if ok else "FAIL"))
    return 0 if ok and not progress.errors else 1


if __name__ == "__main__":
    sys.exit(main())
