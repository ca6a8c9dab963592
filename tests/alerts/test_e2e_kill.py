"""Kill the delivery worker in the middle of a broadcast; after a restart every subscriber
has exactly one delivery."""

from __future__ import annotations

import pytest

from alerts import subscriptions
from core.database import Database
from tests.alerts.e2e_support import (
    WorkerProcess,
    draft_and_publish,
    outbox_counts,
    query,
    wait_until,
)
from tests.support.db import open_database

pytestmark = pytest.mark.e2e

SUBSCRIBERS = 200


def test_sigkill_mid_broadcast_then_restart_delivers_exactly_once(alert_stack) -> None:  # type: ignore[no-untyped-def]
    stack, _ = alert_stack
    database = open_database(f"sqlite:///{stack.app_db}")
    users = [f"kill-{i:03d}" for i in range(SUBSCRIBERS)]
    for user in users:
        subscriptions.subscribe(database, "web", user)
    database.dispose()

    alert = draft_and_publish(
        stack,
        title="虚假中奖要交钱",
        scam_type="fake_prize",
        body="有人说您中奖了，要先交手续费才能领。这是骗局，别交钱。",
    )
    alert_id = alert["id"]
    assert outbox_counts(stack, alert_id).get("pending", 0) >= SUBSCRIBERS

    env = {"YINFA_ALERTS_BATCH_SIZE": "16", "YINFA_ALERTS_CONCURRENCY": "8"}
    first = WorkerProcess(stack, stack.workdir / "worker-kill-1.log", **env).start()
    try:
        wait_until(lambda: outbox_counts(stack, alert_id).get("delivered", 0) >= 40, 120, 0.05)
    finally:
        first.kill()
    counts = outbox_counts(stack, alert_id)
    assert counts.get("delivered", 0) < SUBSCRIBERS, "killed too late to prove anything"
    assert counts.get("in_progress", 0) > 0 or counts.get("pending", 0) > 0

    second = WorkerProcess(stack, stack.workdir / "worker-kill-2.log", **env).start()
    try:
        wait_until(lambda: outbox_counts(stack, alert_id) == {"delivered": SUBSCRIBERS}, 180, 0.5)
    finally:
        second.stop()

    per_user = dict(
        query(
            stack,
            "SELECT user_id, count(*) FROM alert_receipts WHERE alert_id = ? AND kind = 'alert' "
            "GROUP BY user_id",
            alert_id,
        )
    )
    assert set(per_user) >= set(users)
    assert all(per_user[u] == 1 for u in users)
    keys = query(
        stack,
        "SELECT count(DISTINCT idempotency_key), count(*) FROM alert_receipts WHERE alert_id = ?",
        alert_id,
    )
    assert keys[0][0] == keys[0][1] >= SUBSCRIBERS

    database = Database(f"sqlite:///{stack.app_db}")  # leave the stack as we found it
    for user in users:
        subscriptions.unsubscribe(database, "web", user)
    database.dispose()
