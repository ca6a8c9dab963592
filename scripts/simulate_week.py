"""A simulated week of residents for the insights page: real messages through the real app.

The mix is the load scenario's (``scripts/locustfile.py``, messages in ``scripts/question_mix.py``: development-set policy questions,
the meal guide, the scam check, greetings, with 有用/没用 clicks) plus what a real week also
brings: questions in the knowledge entries' own phrasings, in-domain questions the plan does
not answer, questions about other places, unanswerable and off-topic ones, and described
scams. Development set only (``tests/eval/dev/``), never the frozen test set. A quarter of
the conversations come over WeChat (signed like WeChat's servers) when the WeChat token is
known.

Every message goes through ``POST /api/chat`` or ``POST /wechat`` of a running app, so the
question log is written by the app itself, as in production. The log's day is the app's
clock, so a run of a few minutes lands on one day. ``--backdate`` then spreads this run's
rows over the last ``--days`` days, a whole conversation on one day, by rewriting their
timestamps in the database (only rows written since the run started; say so when you show
the result). Without it the rows keep their real time.

    .venv/bin/python scripts/simulate_week.py --url http://127.0.0.1:8000 --backdate
    .venv/bin/python scripts/simulate_week.py --own-stack --backdate   # starts Rasa + app

With ``--own-stack`` the stack keeps running after the run (Ctrl-C stops it) and an admin
account ``admin1`` is created, so the page can be opened and screenshotted.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "scripts")]

from question_mix import (  # noqa: E402
    GUIDE_TRIGGER,
    GUIDE_TURNS,
    OFF_TOPIC,
    SCAM_TURNS,
    dev_questions,
    entry_phrasings,
    policy_questions,
)
from week_backdate import backdate, last_id, settle  # noqa: E402

from tests.channels.wechat.peer import text_xml, wechat_signature  # noqa: E402


@dataclass
class Mix:
    """Weighted kinds of conversations; each kind is a list of first messages."""

    kinds: dict[str, tuple[float, list[str]]] = field(default_factory=dict)

    @classmethod
    def week(cls) -> Mix:
        return cls(
            {
                "policy": (5.0, policy_questions()),
                "phrasing": (2.0, entry_phrasings()),
                "in_domain": (1.5, dev_questions("in_domain")),
                "unanswerable": (1.0, dev_questions("unanswerable") + list(OFF_TOPIC)),
                "other_place": (0.5, dev_questions("other_place")),
                "scam": (1.0, dev_questions("scam")),
                "guide": (0.5, [GUIDE_TRIGGER]),
                "scam_check": (0.3, [SCAM_TURNS[0]]),
                "greeting": (0.5, ["你好"]),
            }
        )

    def pick(self, rng: random.Random) -> tuple[str, str]:
        names = list(self.kinds)
        name = rng.choices(names, weights=[self.kinds[n][0] for n in names])[0]
        return name, rng.choice(self.kinds[name][1])


@dataclass
class Client:
    """Sends one resident's messages on the web or over WeChat."""

    url: str
    wechat_token: str | None
    http: httpx.Client
    counts: dict[str, int] = field(default_factory=dict)

    def count(self, key: str) -> None:
        self.counts[key] = self.counts.get(key, 0) + 1

    def web(self, sender: str, text: str) -> list[dict[str, object]]:
        for _ in range(3):  # 503: Rasa busy; a resident tries again
            r = self.http.post(self.url + "/api/chat", json={"sender_id": sender, "text": text})
            self.count(f"web {r.status_code}")
            if r.status_code != 503:
                break
            time.sleep(2)
        return list((r.json() or {}).get("messages") or []) if r.status_code == 200 else []

    def feedback(self, sender: str, messages: list[dict[str, object]], useful: bool) -> None:
        """有用/没用 on the turn's last bubble, with the entry it answered with (as the page's
        feedback.js sends it)."""
        entry = next((str(m["entry_id"]) for m in messages if m.get("entry_id")), None)
        body = {
            "sender_id": sender,
            "message_id": str(messages[-1].get("message_id") or ""),
            "useful": useful,
            "answer_text": "\n".join(str(m.get("text") or "") for m in messages)[:2000],
            "entry_id": entry,
        }
        r = self.http.post(self.url + "/api/feedback", json=body)
        self.count(f"feedback {'有用' if useful else '没用'} {r.status_code}")

    def wechat(self, openid: str, text: str) -> None:
        assert self.wechat_token is not None
        ts, nonce = str(int(time.time())), uuid.uuid4().hex[:12]
        msg_id = str(random.randrange(10**15, 10**16))
        params = {
            "signature": wechat_signature(self.wechat_token, ts, nonce),
            "timestamp": ts,
            "nonce": nonce,
            "openid": openid,
        }
        body = text_xml(openid, text, msg_id, int(ts)).encode()
        r = self.http.post(self.url + "/wechat", params=params, content=body)
        self.count(f"wechat {r.status_code}")


def conversation(client: Client, mix: Mix, rng: random.Random, wechat_share: float) -> None:
    """One resident: a first message of some kind, maybe follow-ups and a 有用/没用 click."""
    kind, text = mix.pick(rng)
    if client.wechat_token and rng.random() < wechat_share:
        openid = f"o-sim-{uuid.uuid4().hex[:20]}"
        client.wechat(openid, text)
        if kind == "policy" and rng.random() < 0.3:
            client.wechat(openid, rng.choice(("那要钱不", "去哪儿办", "谢谢")))
        return
    sender = f"sim-{uuid.uuid4().hex[:16]}"
    messages = client.web(sender, text)
    if kind == "guide":
        for _ in range(GUIDE_TURNS - 1):
            buttons = [b for m in messages for b in m.get("buttons") or []]  # type: ignore[attr-defined]
            if not buttons:
                break
            messages = client.web(sender, str(buttons[0]["payload"]))
    elif kind == "scam_check":
        for turn in SCAM_TURNS[1:]:
            messages = client.web(sender, turn)
    elif messages and kind in ("policy", "phrasing", "in_domain") and rng.random() < 0.4:
        # Questions the plan answers get mostly 有用; in-domain gaps mostly 没用.
        useful = rng.random() < (0.85 if kind != "in_domain" else 0.3)
        client.feedback(sender, messages, useful)


def run(args: argparse.Namespace, url: str, wechat_token: str | None) -> dict[str, int]:
    rng_seed = random.Random(args.seed)
    seeds = [rng_seed.randrange(2**32) for _ in range(args.conversations)]
    mix = Mix.week()
    with httpx.Client(timeout=60) as http:
        client = Client(url.rstrip("/"), wechat_token, http)
        done = 0

        def one(seed: int) -> None:
            nonlocal done
            conversation(client, mix, random.Random(seed), args.wechat_share)
            done += 1
            if done % 25 == 0:
                print(f"  {done}/{args.conversations} conversations", flush=True)

        with ThreadPoolExecutor(args.concurrency) as pool:
            list(pool.map(one, seeds))
    return client.counts


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--url", default=os.environ.get("YINFA_URL", ""), help="a running app")
    p.add_argument("--own-stack", action="store_true", help="start Rasa + app here (tests/support)")
    p.add_argument("--database-url", default=os.environ.get("YINFA_DATABASE_URL", ""))
    p.add_argument("--wechat-token", default=os.environ.get("YINFA_WECHAT_TOKEN", ""))
    p.add_argument("--conversations", type=int, default=280)
    p.add_argument("--concurrency", type=int, default=4)
    p.add_argument("--wechat-share", type=float, default=0.25)
    p.add_argument("--days", type=int, default=7)
    p.add_argument("--backdate", action="store_true", help="spread this run's rows over --days")
    p.add_argument("--seed", type=int, default=16)
    p.add_argument("--app-port", type=int, default=0, help="with --own-stack (0: a free port)")
    p.add_argument("--rasa-port", type=int, default=0, help="with --own-stack (0: a free port)")
    p.add_argument("--no-wait", action="store_true", help="with --own-stack: stop it at the end")
    return p.parse_args(argv)


def with_target(args: argparse.Namespace, body: Callable[[str, str, str | None], None]) -> None:
    """Run ``body(url, database_url, wechat_token)`` against the chosen app."""
    if not args.own_stack:
        if not args.url:
            raise SystemExit("give --url of a running app (make run) or --own-stack")
        database = args.database_url or f"sqlite:///{ROOT / 'var' / 'app.sqlite3'}"
        body(args.url, database, args.wechat_token or None)
        return
    from tests.alerts.e2e_support import PASSWORD, create_accounts
    from tests.support.stack import WECHAT_TOKEN, Stack, free_port

    stack = Stack(
        ROOT / "var" / "simulate_week",
        extra_env={"YINFA_ALERTS_POLL_S": "1"},
        app_port=args.app_port or free_port(),
        rasa_port=args.rasa_port or free_port(),
    )
    stack.start()
    try:
        create_accounts(stack)
        body(stack.app_url, f"sqlite:///{stack.app_db}", WECHAT_TOKEN)
        if args.no_wait:
            return
        print(f"\nthe app keeps running: {stack.app_url}/operator (admin1 / {PASSWORD})")
        print("Ctrl-C stops it.", flush=True)
        while stack.app.alive():
            time.sleep(1)
    except KeyboardInterrupt:
        pass
    finally:
        stack.stop()


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)

    def body(url: str, database_url: str, wechat_token: str | None) -> None:
        started = time.time()
        before = last_id(database_url)
        print(f"sending {args.conversations} conversations to {url} ...", flush=True)
        counts = run(args, url, wechat_token)
        took = time.time() - started
        for key in sorted(counts):
            print(f"  {key}: {counts[key]}")
        print(f"took {took:.0f} s")
        if args.backdate:
            print(f"question-log rows of this run: {settle(database_url) - before}")
            moved = backdate(database_url, after_id=before, days=args.days, seed=args.seed)
            print(f"backdated {moved} question-log rows over the last {args.days} days")

    with_target(args, body)
    return 0


if __name__ == "__main__":
    sys.exit(main())
