"""Load test (``make bench-load``): the Locust scenario of scripts/locustfile.py, headless.

Runs, one after another on the same stack:

* closed loop with 1, 20 and 50 users (each sends its next message as soon as the answer
  arrives);
* an open model: 300 residents, each thinking about 15 s between messages.

The target is a stack started here (the real Rasa and the real app, as ``make run`` starts
them, on free ports with their own databases), or the running ``make run`` when
``YINFA_URL`` is set (``YINFA_RASA_URL`` for its Rasa). Before each run it measures two
fixed costs on the idle stack: the app's ``/healthz`` and a bare Rasa REST call (你好), and
prints every figure with its ratio to them, since these machines are noisy and absolute
times drift. It prints the RSS of each process after ready and after the load, and the CPU
each spent per chat message.

``--baseline REV`` first runs the same load on the code of git revision ``REV`` (a snapshot
of it under a temporary folder, sharing the environments, the model and the index), then
on the working tree, and prints after/before ratios.

Usage::

    .venv/bin/python scripts/bench_load.py --seconds 60
    .venv/bin/python scripts/bench_load.py --runs closed:20 --seconds 30 --baseline HEAD~1
    YINFA_URL=http://127.0.0.1:8000 .venv/bin/python scripts/bench_load.py
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict
from pathlib import Path

from bench_support import ROOT
from load_support import (
    cpu_snapshot,
    fixed_costs,
    open_target,
    print_cpu_per_message,
    print_rss,
    run_locust,
    warm_up,
)

DEFAULT_RUNS = "closed:1,closed:20,closed:50,open:300"
LOAD_SCRIPTS = (
    "bench_load.py",
    "load_support.py",
    "locustfile.py",
    "question_mix.py",
    "bench_support.py",
)
SHARED = (".venv", ".venv-rasa", "node_modules", "var/index", "var/models")


def parse_runs(spec: str) -> list[tuple[str, int]]:
    runs = []
    for part in spec.split(","):
        kind, _, users = part.strip().partition(":")
        if kind not in {"closed", "open"} or not users.isdigit():
            raise SystemExit(f"bad run {part!r}: closed:N or open:N")
        runs.append((kind, int(users)))
    return runs


def show(row: dict[str, float | int | str]) -> None:
    hello, health = float(row["rasa_hello_ms"]), float(row["healthz_ms"])
    print(
        f"{row['label']}: {row['chat_rps']:.1f} chat msg/s ({row['chat_requests']} messages,"
        f" {row['feedback_requests']} feedback, {row['failures']} errors of {row['requests']})"
    )
    print(f"  fixed costs: /healthz {health:.1f} ms, Rasa REST 你好 {hello:.1f} ms")
    for q in ("p50", "p95", "p99"):
        ms = float(row[q])
        print(
            f"  chat {q} {ms:6.0f} ms = {ms / hello:5.1f} x Rasa 你好 = {ms / health:6.0f} x /healthz"
        )
    if row.get("failure_kinds"):
        print(f"  errors: {row['failure_kinds']}")
    fb = float(row["feedback_p95"])
    print(
        f"  feedback p95 {fb:.0f} ms = {fb / hello:.2f} x Rasa 你好 = {fb / health:.0f} x /healthz"
    )
    print(
        f"  throughput x Rasa 你好 time: {float(row['chat_rps']) * hello / 1000:.2f}"
        " (1.00 = one bare Rasa call at a time, back to back)"
    )


def bench(args: argparse.Namespace) -> list[dict[str, float | int | str]]:
    rows: list[dict[str, float | int | str]] = []
    with tempfile.TemporaryDirectory(prefix="bench-load-") as workdir:
        target = open_target(Path(workdir))
        try:
            warm_up(target)
            print_rss(target, "after ready")
            for kind, users in parse_runs(args.runs):
                think = args.think if kind == "open" else 0.0
                label = f"{kind} loop, {users} users" if kind == "closed" else (
                    f"open model, {users} users, {think:.0f} s think time"
                )  # fmt: skip
                costs = fixed_costs(target)
                before = cpu_snapshot(target)
                result = run_locust(target, label, users, args.seconds, think, Path(workdir))
                row = asdict(result) | asdict(costs)
                show(row)
                row |= print_cpu_per_message(target, before, result, args.seconds)
                rows.append(row)
                print_rss(target, "after the load")
                sys.stdout.flush()
        finally:
            target.stop()
    return rows


def snapshot(rev: str, into: Path) -> Path:
    """The files of ``rev`` under ``into``, with today's load scripts and shared artefacts."""
    archive = subprocess.run(["git", "archive", rev], cwd=ROOT, capture_output=True, check=True)
    into.mkdir(parents=True)
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive.stdout, check=True)
    for name in LOAD_SCRIPTS:
        shutil.copy(ROOT / "scripts" / name, into / "scripts" / name)
    for name in SHARED:
        (into / name).parent.mkdir(parents=True, exist_ok=True)
        (into / name).symlink_to((ROOT / name).resolve())
    return into


def baseline(rev: str, argv: list[str]) -> list[dict[str, float | int | str]]:
    with tempfile.TemporaryDirectory(prefix="bench-load-base-") as tmp:
        root = snapshot(rev, Path(tmp) / "src")
        out = Path(tmp) / "rows.json"
        print(f"== before: {rev} ({_describe(rev)})", flush=True)
        cmd = [sys.executable, str(root / "scripts" / "bench_load.py"), *argv, "--json", str(out)]
        subprocess.run(cmd, cwd=root, check=False)  # exit 1 = errors counted, still figures
        return list(json.loads(out.read_text()))


def _describe(rev: str) -> str:
    done = subprocess.run(
        ["git", "log", "-1", "--format=%h %s", rev], cwd=ROOT, capture_output=True, text=True
    )
    return done.stdout.strip()[:80]


Row = dict[str, float | int | str]


def compare(before: list[Row], after: list[Row]) -> None:
    print("\n== after / before (each relative to its own run's Rasa 你好 time)")
    for old, new in zip(before, after, strict=True):
        parts = []
        for key in ("chat_rps", "p50", "p95", "p99"):
            # latency in units of the run's Rasa 你好 time; throughput in its inverse
            power = 1 if key == "chat_rps" else -1
            o = float(old[key]) * float(old["rasa_hello_ms"]) ** power
            n = float(new[key]) * float(new["rasa_hello_ms"]) ** power
            raw = float(new[key]) / max(float(old[key]), 1e-9)
            parts.append(f"{key} {raw:.2f} (normalised {n / max(o, 1e-9):.2f})")
        print(
            f"  {new['label']}: "
            + ", ".join(parts)
            + f"; errors {old['failures']} -> {new['failures']}"
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", default=DEFAULT_RUNS, help=f"default {DEFAULT_RUNS}")
    parser.add_argument("--seconds", type=int, default=60, help="length of each run")
    parser.add_argument("--think", type=float, default=15.0, help="open model: think time, s")
    parser.add_argument("--baseline", metavar="REV", help="first run on git revision REV")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    before = None
    if args.baseline:
        argv = ["--runs", args.runs, "--seconds", str(args.seconds), "--think", str(args.think)]
        before = baseline(args.baseline, argv)
        print("\n== after: working tree", flush=True)
    started = time.monotonic()
    rows = bench(args)
    print(f"load test took {time.monotonic() - started:.0f} s")
    if args.json:
        args.json.write_text(json.dumps(rows, ensure_ascii=False))
    if before is not None:
        compare(before, rows)
    return 1 if any(int(r["failures"]) for r in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
