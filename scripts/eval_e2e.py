"""End-to-end evaluation through ``/api/chat`` on the real stack (Rasa + app).

Each question of a set is sent as the first message of a new conversation; each
conversation turn by turn in one conversation. Every reply is checked automatically by
what the question is about:

* policy — a bubble cites one of the expected entry or clause ids;
* scam — the first bubble warns and names 110 or 96110;
* other_place — the reply says it knows Yangquan and refers to that place's 12345;
* unanswerable / referral — an honest referral naming a department or a hotline;
* in_domain — never a bare "没听懂 / 我不会";
* any — any reply without an error; not_form_question — the reply does not ask a form's
  question again.

Prints one table per set and exits non-zero under the targets of issue 10.

Usage::

    .venv/bin/python scripts/eval_e2e.py --set test           # starts its own stack
    .venv/bin/python scripts/eval_e2e.py --set dev --url http://127.0.0.1:8000
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import sys
import time
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TARGET_GOOD = 0.90
TARGET_GROUP = 0.90
TARGET_SCAM = 1.00
TARGET_OTHER_PLACE = 1.00
TARGET_BARE_FALLBACK = 0.05
TARGET_TURNS = 0.90

BARE_FALLBACK_RE = re.compile(r"没听懂|没太听懂|没听明白|我不会|听不懂")
WARN_RE = re.compile(r"不转|别转|不要转|不说|别说|不要说|挂|别信|不要信|不给|别给|别急着")
SCAM_NUMBER_RE = re.compile(r"(?<!\d)(110|96110)(?!\d)")
YANGQUAN_RE = re.compile(r"阳泉")
PLACE_REFER_RE = re.compile(r"当地.{0,6}12345|12345")
REFERRAL_RE = re.compile(r"社区|村委会|居委会|12345|12333|医保|民政|人社|部门|热线|110|96110|120")


@dataclass
class Turn:
    """What one message got."""

    texts: list[str]
    cited: set[str]
    status: int
    ms: float


@dataclass
class Tally:
    n: int = 0
    good: int = 0
    bare_fallback: int = 0
    failures: list[tuple[str, list[str]]] = field(default_factory=list)


def send(client: httpx.Client, url: str, sender: str, text: str) -> Turn:
    started = time.perf_counter()
    try:
        r = client.post(url + "/api/chat", json={"sender_id": sender, "text": text}, timeout=60)
        status = r.status_code
        data = r.json() if r.headers.get("content-type", "").startswith("application/json") else {}
    except httpx.HTTPError as exc:
        return Turn([f"<error {exc!r}>"], set(), 0, (time.perf_counter() - started) * 1000)
    ms = (time.perf_counter() - started) * 1000
    texts, cited = [], set()
    for m in data.get("messages") or []:
        if m.get("text"):
            texts.append(str(m["text"]))
        for b in m.get("buttons") or []:
            texts.append("[" + str(b.get("title", "")) + "]")
        if m.get("entry_id"):
            cited.add(str(m["entry_id"]))
        for c in m.get("citations") or []:
            if c.get("kind", "clause") == "clause" and c.get("clause_id"):
                cited.add(str(c["clause_id"]))
    return Turn(texts, cited, status, ms)


def form_questions() -> list[str]:
    domain = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))
    out = []
    for name, variants in (domain.get("responses") or {}).items():
        if name.startswith("utter_ask_") and variants:
            out.append(str(variants[0].get("text", ""))[:20])
    return [q for q in out if q]


def check(kind: str, value: Any, turn: Turn, form_qs: list[str]) -> bool:
    """Whether one reply passes the check of its kind."""
    if turn.status != 200 or not turn.texts:
        return False
    joined = "\n".join(turn.texts)
    bare = bool(BARE_FALLBACK_RE.search(joined)) and not REFERRAL_RE.search(joined)
    if kind == "policy":
        return bool(set(value or []) & turn.cited)
    if kind == "scam":
        first = turn.texts[0]
        return bool(WARN_RE.search(first) and SCAM_NUMBER_RE.search(first))
    if kind == "other_place":
        return bool(YANGQUAN_RE.search(joined) and PLACE_REFER_RE.search(joined))
    if kind in {"unanswerable", "referral"}:
        return bool(REFERRAL_RE.search(joined)) and not bare
    if kind == "in_domain":
        return not bare
    if kind == "not_form_question":
        return not any(q and q in joined for q in form_qs)
    return True  # any


def run_questions(client: httpx.Client, url: str, path: Path, form_qs: list[str]) -> dict[str, Any]:
    items = yaml.safe_load(path.read_text(encoding="utf-8")) or []
    groups: dict[str, Tally] = defaultdict(Tally)
    latencies = []
    for item in items:
        group = str(item.get("group", "policy"))
        if group == "policy" and not item.get("expect"):
            continue
        turn = send(client, url, f"eval-{uuid.uuid4().hex[:12]}", str(item["q"]))
        latencies.append(turn.ms)
        ok = check(group, item.get("expect"), turn, form_qs)
        joined = "\n".join(turn.texts)
        for key in (group, "all"):
            t = groups[key]
            t.n += 1
            t.good += ok
            if group in {"policy", "in_domain", "unanswerable", "other_place"}:
                t.bare_fallback += bool(BARE_FALLBACK_RE.search(joined)) and not REFERRAL_RE.search(
                    joined
                )
            if not ok and key != "all":
                t.failures.append((str(item["q"]), turn.texts[:4]))
    return {"groups": groups, "latencies": latencies}


def run_conversations(client: httpx.Client, url: str, path: Path, form_qs: list[str]) -> Tally:
    convs = yaml.safe_load(path.read_text(encoding="utf-8")) or []
    tally = Tally()
    for conv in convs:
        sender = f"evalc-{uuid.uuid4().hex[:12]}"
        for step in conv.get("turns") or []:
            turn = send(client, url, sender, str(step["user"]))
            ((kind, value),) = (step.get("check") or {"any": True}).items()
            ok = check(kind, value, turn, form_qs)
            tally.n += 1
            tally.good += ok
            if not ok:
                tally.failures.append(
                    (f"{conv.get('name')}: {step['user']} [{kind}]", turn.texts[:4])
                )
    return tally


def table(name: str, result: dict[str, Any], convs: Tally | None) -> tuple[str, list[str]]:
    groups: dict[str, Tally] = result["groups"]
    lines = [f"== {name} ==", f"{'group':<14}{'n':>5}{'good':>7}{'rate':>8}"]
    misses = []
    for key in ["all", *sorted(k for k in groups if k != "all")]:
        t = groups[key]
        lines.append(f"{key:<14}{t.n:>5}{t.good:>7}{t.good / max(t.n, 1):>8.3f}")
    in_dom = [
        groups[k] for k in ("policy", "in_domain", "unanswerable", "other_place") if k in groups
    ]
    n_in = sum(t.n for t in in_dom)
    bare = sum(t.bare_fallback for t in in_dom)
    lines.append(f"bare fallback on in-domain questions: {bare}/{n_in} = {bare / max(n_in, 1):.3f}")
    if convs is not None:
        lines.append(
            f"conversation turns good: {convs.good}/{convs.n} = {convs.good / max(convs.n, 1):.3f}"
        )
    lat = sorted(result["latencies"])
    if lat:
        p95 = lat[int(0.95 * (len(lat) - 1))]
        lines.append(
            f"latency per message: p50 {statistics.median(lat):.0f} ms, p95 {p95:.0f} ms (one user)"
        )
    all_t = groups.get("all", Tally())
    if all_t.good / max(all_t.n, 1) < TARGET_GOOD:
        misses.append("overall good below 0.90")
    for key, t in groups.items():
        if key != "all" and t.good / max(t.n, 1) < TARGET_GROUP:
            misses.append(f"group {key} below 0.90")
    if "scam" in groups and groups["scam"].good < groups["scam"].n * TARGET_SCAM:
        misses.append("a scam first reply does not warn")
    if (
        "other_place" in groups
        and groups["other_place"].good < groups["other_place"].n * TARGET_OTHER_PLACE
    ):
        misses.append("an other-place question not answered honestly")
    if bare / max(n_in, 1) > TARGET_BARE_FALLBACK:
        misses.append("bare fallback above 5 %")
    if convs is not None and convs.good / max(convs.n, 1) < TARGET_TURNS:
        misses.append("conversation turns below 0.90")
    return "\n".join(lines), misses


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--set", action="append", choices=["dev", "test"], help="dev, test or both (default both)"
    )
    parser.add_argument("--url", help="use a running app instead of starting the stack")
    parser.add_argument("--failures", type=int, default=0, help="print N failures per group")
    parser.add_argument("--json", type=Path, help="write the numbers to this file")
    args = parser.parse_args()
    sets = args.set or ["dev", "test"]

    stack = None
    url = args.url
    if url is None:
        from tests.support.stack import Stack

        stack = Stack(ROOT / "var" / "eval" / f"e2e-{uuid.uuid4().hex[:8]}").start()
        url = stack.app_url
    form_qs = form_questions()
    all_misses: list[str] = []
    numbers: dict[str, Any] = {}
    try:
        with httpx.Client() as client:
            for name in sets:
                base = ROOT / "tests" / "eval" / name
                qfile = base / ("e2e.yml" if name == "dev" else "questions.yml")
                if not qfile.exists():
                    print(f"({name}: no {qfile.name})")
                    continue
                result = run_questions(client, url, qfile, form_qs)
                cfile = base / "conversations.yml"
                convs = run_conversations(client, url, cfile, form_qs) if cfile.exists() else None
                text, misses = table(name, result, convs)
                print(text)
                numbers[name] = {
                    k: {"n": t.n, "good": t.good} for k, t in result["groups"].items()
                } | ({"turns": {"n": convs.n, "good": convs.good}} if convs else {})
                if args.failures:
                    for key, t in sorted(result["groups"].items()):
                        for q, texts in t.failures[: args.failures]:
                            print(f"  MISS [{key}] {q}\n      -> {' | '.join(texts)[:300]}")
                    if convs:
                        for q, texts in convs.failures[: args.failures]:
                            print(f"  MISS [turn] {q}\n      -> {' | '.join(texts)[:300]}")
                all_misses += [f"{name}: {m}" for m in misses]
                print()
    finally:
        if stack is not None:
            stack.stop()
    if args.json:
        args.json.write_text(json.dumps(numbers, ensure_ascii=False, indent=2), encoding="utf-8")
    if all_misses:
        print("UNDER TARGET:\n  " + "\n  ".join(all_misses))
        return 1
    print("all targets met")
    return 0


if __name__ == "__main__":
    sys.exit(main())
