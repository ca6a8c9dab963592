"""Long conversations: is turn 100 of one conversation as fast as turn 1?

Starts the real stack (tests/support/stack.py), then holds one conversation of ``--turns``
policy questions (development set, in a fixed cycle). Right after each turn it sends the
same question as the first message of a new conversation, so every long-conversation turn
has a fresh turn-1 twin measured at the same moment (these machines drift). Prints the
median latency of the first and the last ``--window`` turns, each next to its twins, the
ratio turn N / turn 1, and what Rasa keeps: the events stored for the conversation and the
time Rasa takes to load its tracker (``GET /conversations/<id>/tracker``). Exits non-zero
when the paired ratio at the end is above ``--target`` (1.5).
"""

from __future__ import annotations

import argparse
import sqlite3
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

import httpx
import yaml
from bench_support import ROOT

from core.senders import web_sender
from tests.support.stack import Stack


def questions(n: int) -> list[str]:
    items = yaml.safe_load((ROOT / "tests/eval/dev/e2e.yml").read_text(encoding="utf-8"))
    return [str(i["q"]) for i in items if i.get("group") == "policy" and len(i["q"]) < 40][:n]


def timed_chat(client: httpx.Client, stack: Stack, sender: str, text: str) -> float:
    start = time.perf_counter()
    r = client.post(stack.app_url + "/api/chat", json={"sender_id": sender, "text": text})
    took = (time.perf_counter() - start) * 1000
    if r.status_code != 200 or not r.json().get("messages"):
        raise RuntimeError(f"bad answer to {text!r}: {r.status_code} {r.text[:200]}")
    return took


def tracker_ms(client: httpx.Client, stack: Stack, conversation: str, n: int = 5) -> float:
    url = f"{stack.rasa_url}/conversations/{conversation}/tracker"
    timings = []
    for _ in range(n):
        start = time.perf_counter()
        client.get(url, params={"token": stack.token}).raise_for_status()
        timings.append((time.perf_counter() - start) * 1000)
    return statistics.median(timings)


def stored_events(stack: Stack, conversation: str) -> int:
    with sqlite3.connect(stack.tracker_db) as db:
        row = db.execute("SELECT count(*) FROM events WHERE sender_id = ?", (conversation,))
        return int(row.fetchone()[0])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--turns", type=int, default=100)
    parser.add_argument("--window", type=int, default=10, help="turns averaged at each end")
    parser.add_argument("--target", type=float, default=1.5)
    args = parser.parse_args()
    cycle = questions(args.window)
    long_ms: list[float] = []
    twin_ms: list[float] = []
    with tempfile.TemporaryDirectory(prefix="bench-long-") as workdir:
        stack = Stack(Path(workdir))
        try:
            stack.start()
            sender = f"long-{uuid.uuid4().hex[:8]}"
            with httpx.Client(timeout=60) as client:
                for text in cycle[:3]:  # warm-up
                    timed_chat(client, stack, f"warm-{uuid.uuid4().hex[:8]}", text)
                fresh_tracker = tracker_ms(
                    client, stack, web_sender(f"warm-{uuid.uuid4().hex[:8]}")
                )
                for turn in range(args.turns):
                    text = cycle[turn % len(cycle)]
                    long_ms.append(timed_chat(client, stack, sender, text))
                    twin_ms.append(timed_chat(client, stack, f"twin-{turn}-{sender}", text))
                # Rasa knows the web page's sender under the app's channel prefix.
                rasa_id, rasa_twin = web_sender(sender), web_sender(f"twin-0-{sender}")
                long_tracker = tracker_ms(client, stack, rasa_id)
                first_tracker = tracker_ms(client, stack, rasa_twin)
            events = stored_events(stack, rasa_id)
            first_events = stored_events(stack, rasa_twin)
        finally:
            stack.stop()
    w = args.window
    head, tail = statistics.median(long_ms[:w]), statistics.median(long_ms[-w:])
    head_twin, tail_twin = statistics.median(twin_ms[:w]), statistics.median(twin_ms[-w:])
    paired = tail / tail_twin
    print(f"long conversation: {args.turns} turns, one sender, real stack")
    print(f"  turns 1-{w}: {head:.0f} ms (fresh conversations meanwhile {head_twin:.0f} ms)")
    print(
        f"  turns {args.turns - w + 1}-{args.turns}: {tail:.0f} ms"
        f" (fresh conversations meanwhile {tail_twin:.0f} ms)"
    )
    print(
        f"  turn {args.turns} / turn 1: {tail / head:.2f} unpaired, {paired:.2f} against the"
        f" fresh twins (target <= {args.target})"
    )
    print(
        f"  Rasa tracker: {events} events stored after {args.turns} turns ({first_events} after"
        f" one); GET tracker {long_tracker:.0f} ms vs {first_tracker:.0f} ms"
        f" (empty conversation {fresh_tracker:.0f} ms)"
    )
    return 0 if paired <= args.target else 1


if __name__ == "__main__":
    sys.exit(main())
