"""The SQLite tracker store commits through WAL and still keeps every event (run in Rasa's
environment, ``.venv-rasa``)."""

from __future__ import annotations

import json
import subprocess

from tests.support.stack import RASA_BIN, ROOT

PROBE = r"""
import asyncio, json, os, sqlite3, sys, tempfile
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from bot.tracker_store import StrictSQLTrackerStore

path = os.path.join(tempfile.mkdtemp(), "t.sqlite3")
store = StrictSQLTrackerStore(domain=Domain.empty(), url="sqlite:///" + path)

async def turns():
    for n in range(3):
        tracker = await store.retrieve("s1") or DialogueStateTracker("s1", [])
        tracker.update(UserUttered(f"第{n}句"))
        tracker.update(BotUttered(f"答{n}"))
        tracker.update(ActionExecuted("action_listen"))
        await store.save(tracker)
    return await store.retrieve("s1")

tracker = asyncio.run(turns())
with store.engine.connect() as conn:
    synchronous = conn.exec_driver_sql("PRAGMA synchronous").scalar()
with sqlite3.connect(path) as db:
    mode = db.execute("PRAGMA journal_mode").fetchone()[0]
    stored = db.execute("SELECT count(*) FROM events WHERE sender_id = 's1'").fetchone()[0]
users = [e.text for e in tracker.events if isinstance(e, UserUttered)]
print(json.dumps({"mode": mode, "synchronous": synchronous, "stored": stored, "users": users}))
"""


def test_sqlite_tracker_store_uses_wal_and_keeps_every_event() -> None:
    python = RASA_BIN.parent / "python"
    result = subprocess.run(
        [str(python), "-c", PROBE], cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["mode"] == "wal"  # set on the file: every later connection uses it
    assert report["synchronous"] == 1  # NORMAL, on the store's own connections
    assert report["stored"] == 9  # three turns of three events, none lost or doubled
    assert report["users"] == ["第0句", "第1句", "第2句"]


LONG = r"""
import asyncio, json, os, sqlite3, tempfile, time
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (
    ActionExecuted, ActiveLoop, BotUttered, SessionStarted, SlotSet, UserUttered,
)
from rasa.shared.core.trackers import DialogueStateTracker
from bot.tracker_store import RECENT_TURNS, StrictSQLTrackerStore

domain = Domain.load("domain.yml")
path = os.path.join(tempfile.mkdtemp(), "t.sqlite3")
store = StrictSQLTrackerStore(domain=domain, url="sqlite:///" + path)
TURNS = 3 * RECENT_TURNS

def turn(n):
    events = [UserUttered(f"问题{n}"), ActionExecuted("action_answer_policy")]
    if n == 1:
        events.append(SlotSet("topic", "meal"))  # set once, long before the kept turns
    if TURNS - RECENT_TURNS - 2 <= n < TURNS - RECENT_TURNS + 1:  # a form across the cut
        events.append(ActiveLoop("meal_guide_form"))
    elif n == TURNS - RECENT_TURNS + 1:
        events.append(ActiveLoop(None))
    events += [SlotSet("last_entry_id", f"entry-{n}"), BotUttered(f"回答{n}")]
    return events + [ActionExecuted("action_listen")]

async def talk():
    lengths = []
    for n in range(TURNS):
        tracker = await store.retrieve("s1")
        if tracker is None:
            tracker = DialogueStateTracker("s1", domain.slots)
            start = time.time()  # as Rasa does: the session's first events share its time
            for e in (ActionExecuted("action_session_start", timestamp=start),
                      SessionStarted(timestamp=start),
                      ActionExecuted("action_listen", timestamp=start)):
                tracker.update(e)
        lengths.append(len(tracker.events))
        for e in turn(n)[:2]:
            tracker.update(e)
        await store.save(tracker)  # Rasa saves after the user message ...
        for e in turn(n)[2:]:
            tracker.update(e)
        await store.save(tracker)  # ... and again after the actions
    return lengths, await store.retrieve("s1"), await store.retrieve_full_tracker("s1")

lengths, recent, full = asyncio.run(talk())
with sqlite3.connect(path) as db:
    stored = db.execute("SELECT count(*) FROM events WHERE sender_id = 's1'").fetchone()[0]
def users(t):
    return [e.text for e in t.events if isinstance(e, UserUttered)]
print(json.dumps({
    "turns": TURNS, "recent_turns": RECENT_TURNS, "stored": stored,
    "expected": 3 + sum(len(turn(n)) for n in range(TURNS)),
    "lengths": lengths, "recent_users": users(recent), "full_users": users(full),
    "recent_slots": {k: recent.get_slot(k) for k in ("topic", "last_entry_id")},
    "full_slots": {k: full.get_slot(k) for k in ("topic", "last_entry_id")},
    "recent_loop": recent.active_loop_name, "full_loop": full.active_loop_name,
}, ensure_ascii=False))
"""


def test_a_long_conversation_gives_rasa_recent_turns_and_keeps_every_event() -> None:
    python = RASA_BIN.parent / "python"
    result = subprocess.run(
        [str(python), "-c", LONG], cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr[-3000:]
    r = json.loads(result.stdout.strip().splitlines()[-1])
    turns, recent = r["turns"], r["recent_turns"]
    # Nothing lost, nothing written twice, in order.
    assert r["stored"] == r["expected"]
    assert r["full_users"] == [f"问题{n}" for n in range(turns)]
    # Rasa gets a bounded tracker: at most the recent turns (the cut never falls inside the
    # form, so a few more there), the latest ones, in order.
    assert len(r["recent_users"]) <= recent + 3
    assert r["recent_users"] == r["full_users"][-len(r["recent_users"]) :]
    assert max(r["lengths"]) <= r["expected"] / 2
    # The state is the same as the whole conversation's.
    assert (
        r["recent_slots"]
        == r["full_slots"]
        == {"topic": "meal", "last_entry_id": f"entry-{turns - 1}"}
    )
    assert r["recent_loop"] == r["full_loop"] is None


SAME_ROWS = r"""
import asyncio, json, os, sqlite3, tempfile
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from bot.tracker_store import StrictSQLTrackerStore

domain = Domain.load("domain.yml")
tmp = tempfile.mkdtemp()
ours = StrictSQLTrackerStore(domain=domain, url="sqlite:///" + os.path.join(tmp, "ours.db"))
rasa = SQLTrackerStore(domain=domain, dialect="sqlite", db=os.path.join(tmp, "rasa.db"))

async def talk(store):
    for n in range(3):
        tracker = await store.retrieve("s1") or DialogueStateTracker("s1", domain.slots)
        tracker.update(UserUttered(f"第{n}句", {"name": "greet", "confidence": 0.9},
                                   timestamp=100.0 + n))
        await store.save(tracker)  # Rasa saves after the user message and after the actions
        for e in (ActionExecuted("action_answer_policy", timestamp=100.1 + n),
                  SlotSet("topic", "meal", timestamp=100.2 + n),
                  BotUttered(f"答{n}", timestamp=100.3 + n),
                  ActionExecuted("action_listen", timestamp=100.4 + n)):
            tracker.update(e)
        await store.save(tracker)

def rows(path):
    with sqlite3.connect(path) as db:
        return db.execute("SELECT id, sender_id, type_name, timestamp, intent_name,"
                          " action_name, data FROM events ORDER BY id").fetchall()

asyncio.run(talk(ours))
asyncio.run(talk(rasa))
print(json.dumps({"ours": rows(os.path.join(tmp, "ours.db")),
                  "rasa": rows(os.path.join(tmp, "rasa.db"))}, ensure_ascii=False))
"""


def test_the_store_writes_the_rows_rasas_own_store_writes() -> None:
    python = RASA_BIN.parent / "python"
    result = subprocess.run(
        [str(python), "-c", SAME_ROWS], cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr[-3000:]
    r = json.loads(result.stdout.strip().splitlines()[-1])
    assert len(r["ours"]) == 15  # three turns of five events, each stored once
    assert r["ours"] == r["rasa"]
    assert {row[4] for row in r["ours"] if row[2] == "user"} == {"greet"}


BROKEN_ADAPTER = r"""
import json, os, tempfile
from rasa.core.tracker_store import TrackerStore
from rasa.shared.core.domain import Domain
from rasa.utils.endpoints import EndpointConfig
from bot import action_validation

def missing():
    raise ImportError("No module named 'a_package_not_installed'")

action_validation.install = missing
url = "sqlite:///" + os.path.join(tempfile.mkdtemp(), "t.sqlite3")
config = EndpointConfig(url=url, type="bot.tracker_store.StrictSQLTrackerStore")
try:
    store = TrackerStore.create(config, Domain.empty())
    print(json.dumps({"store": type(store).__name__}))
except Exception as exc:
    print(json.dumps({"error": type(exc).__name__, "message": str(exc)}))
"""


def test_an_adapter_that_cannot_be_imported_stops_rasa_instead_of_memory() -> None:
    """Rasa turns an ImportError while building the store into a warning and an
    ``InMemoryTrackerStore`` (conversations lost at restart); ours refuses to start."""
    python = RASA_BIN.parent / "python"
    result = subprocess.run(
        [str(python), "-c", BROKEN_ADAPTER], cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report.get("error") == "TrackerStoreUnavailable", report
    assert "a_package_not_installed" in report["message"]
