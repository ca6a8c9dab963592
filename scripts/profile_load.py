"""Profile the real stack under a short load (``make profile``).

Starts the real Rasa server and the real app on free ports (tests/support/stack.py), warms
them up, then samples both processes with py-spy while the Locust scenario of
``make bench-load`` runs (closed loop, ``--users`` users, ``--seconds`` seconds). Writes,
for each process, under ``var/profile/``:

* ``<name>.svg`` — a flame graph (open it in a browser);
* ``<name>.txt`` — the collapsed stacks py-spy sampled (one line per stack, with a count);
* ``<name>-top.txt`` — the top functions by own time and by total time;

and prints the top functions. py-spy samples only threads that are running (not idle), so
a function's share of the samples is its share of the process's CPU time. py-spy reads the
processes with ptrace: as root, or with ``kernel.yama.ptrace_scope`` 0 for the same user.

Usage::

    .venv/bin/python scripts/profile_load.py --seconds 30 --users 20
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from bench_support import ROOT
from load_support import cpu_snapshot, open_target, print_cpu_per_message, run_locust, warm_up

PY_SPY = ROOT / ".venv" / "bin" / "py-spy"
OUT = ROOT / "var" / "profile"
ROOT_SHARE = 0.6
PLUMBING = (
    "dask/", "sanic/", "starlette/", "fastapi/", "uvicorn/", "asyncio/", "click/", "anyio/",
    "rasa_sdk/", "concurrent/", "threading.py", "<frozen", "connection_task", "handle_request",
    "app/middleware.py", "rasa/engine/", "rasa/core/run.py", "rasa/api.py", "rasa/cli/",
)  # fmt: skip


def start_sampler(
    pid: int, fmt: str, out: Path, seconds: int, rate: int
) -> subprocess.Popen[bytes]:
    cmd = [str(PY_SPY), "record", "--pid", str(pid), "--rate", str(rate), "--nonblocking"]
    cmd += ["--duration", str(seconds), "--format", fmt, "--output", str(out)]
    return subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def _plumbing(frame: str) -> bool:
    """A frame of the web servers, task runners or wrappers every request passes through."""
    where = frame.rpartition("(")[2]
    return where.startswith(PLUMBING) or "traceback_utils" in where or "polymorphic" in where


def top_tables(collapsed: Path, n: int) -> str:
    """Top ``n`` functions by own samples (leaf frame) and by total samples (anywhere)."""
    own: Counter[str] = Counter()
    total: Counter[str] = Counter()
    samples = 0
    for line in collapsed.read_text(errors="replace").splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        frames = [f for f in stack.split(";") if not f.startswith(("process ", "thread "))]
        if not frames:
            continue
        weight = int(count)
        samples += weight
        own[frames[-1]] += weight
        for frame in set(frames):
            total[frame] += weight
    # The entry points (server loop, request handler) are in almost every stack: leave them
    # out of the total-time table, which is about where the work branches off.
    inner = Counter(
        {f: w for f, w in total.items() if w < ROOT_SHARE * samples and not _plumbing(f)}
    )
    lines = [f"{samples} samples"]
    title_inner = "total time (incl. callees; without server and task-runner plumbing)"
    for title, counter in (("own time", own), (title_inner, inner)):
        lines.append(f"  top {n} by {title}:")
        for frame, weight in counter.most_common(n):
            lines.append(f"    {weight * 100 / max(samples, 1):5.1f} %  {frame[:150]}")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=int, default=30, help="load and sampling time")
    parser.add_argument("--users", type=int, default=20, help="closed-loop Locust users")
    parser.add_argument("--rate", type=int, default=100, help="py-spy samples per second")
    parser.add_argument("--top", type=int, default=20, help="functions in each top table")
    args = parser.parse_args()
    if not PY_SPY.exists():
        print("py-spy is missing: make install (it is in requirements/dev.txt)", file=sys.stderr)
        return 2
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="profile-") as workdir:
        target = open_target(Path(workdir))
        try:
            if not target.pids:
                print("make profile starts its own stack; unset YINFA_URL", file=sys.stderr)
                return 2
            warm_up(target)
            samplers = []
            for name, pid in target.pids.items():
                for fmt, suffix in (("flamegraph", ".svg"), ("raw", ".txt")):
                    path = OUT / f"{name}{suffix}"
                    samplers.append(start_sampler(pid, fmt, path, args.seconds + 2, args.rate))
            time.sleep(1)
            for sampler in samplers:
                if sampler.poll() is not None:
                    err = sampler.stderr.read().decode(errors="replace") if sampler.stderr else ""
                    print(f"py-spy cannot sample (ptrace not allowed?):\n{err}", file=sys.stderr)
                    return 2
            before = cpu_snapshot(target)
            result = run_locust(target, "profile", args.users, args.seconds, 0, OUT / "locust")
            print_cpu_per_message(target, before, result, args.seconds)
            for sampler in samplers:
                sampler.wait(timeout=120)
        finally:
            target.stop()
    print(
        f"profile: {args.users} users, {args.seconds} s: {result.chat_requests} chat messages,"
        f" {result.chat_rps:.1f} msg/s, p50 {result.p50:.0f} ms, p95 {result.p95:.0f} ms,"
        f" {result.failures} failures"
    )
    for name in target.pids:
        table = top_tables(OUT / f"{name}.txt", args.top)
        (OUT / f"{name}-top.txt").write_text(table + "\n", encoding="utf-8")
        print(f"\n== {name}: {OUT / name}.svg, {table}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
