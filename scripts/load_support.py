"""What ``make bench-load`` and ``make profile`` share: a target stack, Locust runs, fixed
costs and process memory.

A target is either a stack started here (tests/support/stack.py: the real Rasa and the real
app, as ``make run`` starts them, on free ports with their own databases) or an already
running ``make run`` (``YINFA_URL``, with ``YINFA_RASA_URL`` for Rasa), whose processes
are found by their command lines and working directory (this checkout).
"""

from __future__ import annotations

import csv
import os
import re
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from bench_support import ROOT

from tests.support.stack import Stack

LOCUST = ROOT / ".venv" / "bin" / "locust"
LOCUSTFILE = ROOT / "scripts" / "locustfile.py"
START_TIMEOUT_S = 900
WARM_UP_ATTEMPTS = 5
DEV_E2E = ROOT / "tests" / "eval" / "dev" / "e2e.yml"


def policy_questions() -> list[str]:
    """The development set's policy questions (never the frozen test set)."""
    import yaml

    items = yaml.safe_load(DEV_E2E.read_text(encoding="utf-8"))
    return [str(item["q"]) for item in items if item.get("group") == "policy"]


@dataclass
class Target:
    app_url: str
    rasa_url: str
    pids: dict[str, int] = field(default_factory=dict)  # process name -> pid
    stack: Stack | None = None

    def stop(self) -> None:
        if self.stack is not None:
            self.stack.stop()


def open_target(workdir: Path, extra_env: dict[str, str] | None = None) -> Target:
    """The running ``make run`` when ``YINFA_URL`` is set, else a stack started here."""
    url = os.environ.get("YINFA_URL")
    if url:
        rasa = os.environ.get("YINFA_RASA_URL", "http://127.0.0.1:5005")
        return Target(url.rstrip("/"), rasa.rstrip("/"), local_processes())
    stack = Stack(workdir, extra_env=dict(extra_env or {}))
    try:
        # The machine is shared: under other work Rasa may take minutes to load its model.
        stack.start(timeout=START_TIMEOUT_S)
    except BaseException:
        stack.stop()  # never leave a half-started stack running
        raise
    assert stack.rasa.popen is not None and stack.app.popen is not None
    pids = {"rasa": stack.rasa.popen.pid, "app": stack.app.popen.pid}
    return Target(stack.app_url, stack.rasa_url, pids, stack)


def warm_up(target: Target) -> None:
    """Load models, caches and connections before anything is timed."""
    for text in ("你好", "老年食堂吃饭要钱吗", "帮我一步步看看助餐", "刚才有人打电话让我转钱"):
        for attempt in range(WARM_UP_ATTEMPTS):
            # The first turns load lazily (models, jieba); on a busy machine they can take
            # longer than the app's Rasa timeout, which answers 503: try again.
            r = httpx.post(
                target.app_url + "/api/chat",
                json={"sender_id": f"warmup-{time.monotonic_ns()}", "text": text},
                timeout=60,
            )
            if r.status_code != 503 or attempt == WARM_UP_ATTEMPTS - 1:
                r.raise_for_status()
                break


@dataclass
class FixedCosts:
    healthz_ms: float
    rasa_hello_ms: float


def _median_ms(call: object, n: int) -> float:
    timings = []
    for _ in range(n):
        start = time.perf_counter()
        call()  # type: ignore[operator]
        timings.append((time.perf_counter() - start) * 1000)
    return statistics.median(timings)


def fixed_costs(target: Target, n: int = 30) -> FixedCosts:
    """Median of ``n`` sequential calls: the app's ``/healthz`` and Rasa's REST channel
    answering 你好 (NLU, policies, tracker store, no custom action)."""
    with httpx.Client(timeout=30) as client:

        def healthz() -> None:
            client.get(target.app_url + "/healthz").raise_for_status()

        def hello() -> None:
            client.post(
                target.rasa_url + "/webhooks/rest/webhook",
                json={"sender": f"fixed-{time.monotonic_ns()}", "message": "你好"},
            ).raise_for_status()

        healthz()
        hello()
        return FixedCosts(_median_ms(healthz, n), _median_ms(hello, n))


@dataclass
class LoadResult:
    """Locust's figures for ``/api/chat`` (latency in ms), and the errors of every request."""

    label: str
    chat_requests: int
    chat_rps: float
    p50: float
    p95: float
    p99: float
    feedback_requests: int
    feedback_p95: float
    requests: int
    rps: float
    failures: int
    failure_kinds: str = ""


def run_locust(
    target: Target, label: str, users: int, seconds: int, think_s: float, out: Path
) -> LoadResult:
    """Run the scenario headless; the figures from Locust's CSV."""
    out.mkdir(parents=True, exist_ok=True)
    prefix = out / re.sub(r"[^A-Za-z0-9]+", "_", label)
    # Closed loop: everyone at once. Open model: arrivals spread over one think time, as
    # residents would come (not 300 requests in the first second).
    spawn = max(1, min(users, 50)) if think_s <= 0 else max(1.0, users / think_s)
    cmd = [str(LOCUST), "-f", str(LOCUSTFILE), "--headless", "--only-summary"]
    cmd += ["-u", str(users), "-r", str(spawn), "-t", f"{seconds}s", "--stop-timeout", "10"]
    cmd += ["--host", target.app_url, "--csv", str(prefix), "--loglevel", "WARNING"]
    env = dict(os.environ, LOAD_THINK_S=str(think_s))
    done = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    stats = Path(f"{prefix}_stats.csv")
    if not stats.exists():
        sys.stderr.write(done.stdout[-3000:] + done.stderr[-3000:])
        raise RuntimeError(f"locust wrote no statistics (exit {done.returncode})")
    rows = {r["Name"]: r for r in csv.DictReader(stats.open(encoding="utf-8"))}
    empty = {"Request Count": "0", "Requests/s": "0", "95%": "0", "Failure Count": "0"}
    chat, feedback, total = (
        rows.get(n, empty) for n in ("/api/chat", "/api/feedback", "Aggregated")
    )
    return LoadResult(
        label=label,
        chat_requests=int(chat["Request Count"]),
        chat_rps=float(chat["Requests/s"]),
        p50=float(chat.get("50%", 0)),
        p95=float(chat["95%"]),
        p99=float(chat.get("99%", 0)),
        feedback_requests=int(feedback["Request Count"]),
        feedback_p95=float(feedback["95%"]),
        requests=int(total["Request Count"]),
        rps=float(total["Requests/s"]),
        failures=int(total["Failure Count"]),
        failure_kinds=_failure_kinds(Path(f"{prefix}_failures.csv")),
    )


def _failure_kinds(path: Path) -> str:
    """``name: error xN`` for each kind of failure Locust counted."""
    if not path.exists():
        return ""
    rows = csv.DictReader(path.open(encoding="utf-8"))
    return "; ".join(f"{r['Name']}: {r['Error']} x{r['Occurrences']}" for r in rows)


def rss_mb(pid: int) -> float:
    """Resident memory of ``pid`` and all its descendants, in MB (psutil if installed,
    else ``/proc``); 0 for a process that is gone."""
    try:
        import psutil
    except ImportError:
        psutil = None
    if psutil is None:
        return _proc_rss_kb(pid) / 1024
    try:
        proc = psutil.Process(pid)
        procs = [proc, *proc.children(recursive=True)]
    except psutil.Error:
        return 0.0
    total = 0
    for p in procs:
        try:
            total += p.memory_info().rss
        except psutil.Error:
            continue
    return total / 2**20


def _proc_rss_kb(pid: int) -> int:
    total = 0
    for p in [pid, *_descendants(pid)]:
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            continue
    return total


def _descendants(pid: int) -> list[int]:
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        return []
    out = [int(c) for c in children]
    for child in list(out):
        out += _descendants(child)
    return out


ROLES = (
    ("app", re.compile(r"uvicorn\b.*\bapp\.main:create_app")),
    ("rasa", re.compile(r"\brasa run\b")),
    ("worker", re.compile(r"-m alerts worker\b")),
)


def local_processes(root: Path = ROOT) -> dict[str, int]:
    """This checkout's app, Rasa and delivery-worker processes (working directory
    ``root``), for a target started elsewhere (``make run``, ``make run-cluster``):
    ``{"app": pid, "app-2": pid, "rasa": pid, ...}``. A match inside another match (a
    child) is left out: its parent's figures include it. Empty without psutil."""
    try:
        import psutil
    except ImportError:
        return {}
    found: list[tuple[str, int, int]] = []
    for proc in psutil.process_iter(["pid", "ppid", "cmdline", "cwd"]):
        info = proc.info
        if info.get("cwd") != str(root) or not info.get("cmdline"):
            continue
        line = " ".join(info["cmdline"])
        role = next((name for name, pattern in ROLES if pattern.search(line)), None)
        if role is not None:
            found.append((role, info["pid"], info["ppid"]))
    pids = {pid for _, pid, _ in found}
    names: dict[str, int] = {}
    for role, pid, ppid in sorted(found, key=lambda f: (f[0], f[1])):
        if ppid in pids:
            continue
        count = sum(1 for name in names if name.split("-")[0] == role)
        names[role if not count else f"{role}-{count + 1}"] = pid
    return names


def print_rss(target: Target, when: str) -> dict[str, float]:
    """Print and return the RSS (MB) of each of the target's processes."""
    if not target.pids:
        print(f"  RSS {when}: not measured (no process of this checkout found; psutil?)")
        return {}
    sizes = {name: rss_mb(pid) for name, pid in target.pids.items()}
    print(f"  RSS {when}: " + ", ".join(f"{name} {mb:.0f} MB" for name, mb in sizes.items()))
    return sizes


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of ``pid`` and its descendants so far, in seconds."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for p in [pid, *_descendants(pid)]:
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / ticks


def cpu_snapshot(target: Target) -> dict[str, float]:
    return {name: cpu_seconds(pid) for name, pid in target.pids.items()}


def print_cpu_per_message(
    target: Target, before: dict[str, float], result: LoadResult, seconds: float
) -> dict[str, float]:
    """Print and return the CPU milliseconds each process spent per chat message."""
    if not target.pids or not result.chat_requests:
        return {}
    after = cpu_snapshot(target)
    parts = []
    per_message = {}
    for name in target.pids:
        used = after[name] - before[name]
        per_message[f"cpu_{name}_ms"] = used * 1000 / result.chat_requests
        parts.append(
            f"{name} {used * 1000 / result.chat_requests:.1f} ms"
            f" ({used / seconds * 100:.0f} % of one core)"
        )
    print("  CPU per chat message: " + ", ".join(parts))
    return per_message
