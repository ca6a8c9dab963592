"""A broadcast delivered by the cluster's two workers, claiming outbox rows from PostgreSQL
with ``FOR UPDATE SKIP LOCKED``: every row is delivered once, by one claim."""

from __future__ import annotations

from core.database import Database
from tests.alerts.e2e_support import draft_and_publish, wait_until
from tests.cluster.support import Target, needs_cluster

pytestmark = needs_cluster

SUBSCRIBERS = 400


def test_two_workers_deliver_every_row_exactly_once(target: Target) -> None:
    from alerts.subscriptions import subscribe

    database = Database(target.env["YINFA_DATABASE_URL"])
    try:
        for n in range(SUBSCRIBERS):
            subscribe(database, "web", f"cl-bulk-{n}")
    finally:
        database.dispose()
    alert = draft_and_publish(target)  # type: ignore[arg-type]
    params = {"a": alert["id"]}

    def settled() -> bool:
        rows = target.query(
            "SELECT count(*) FROM alert_outbox WHERE alert_id = :a AND status <> 'delivered'",
            **params,
        )
        return rows[0][0] == 0

    wait_until(settled, 180, step=1)
    rows = target.query(
        "SELECT count(*), count(DISTINCT idempotency_key), max(attempts), min(attempts) "
        "FROM alert_outbox WHERE alert_id = :a AND user_id LIKE 'cl-bulk-%'",
        **params,
    )
    assert rows == [(SUBSCRIBERS, SUBSCRIBERS, 1, 1)]  # one claim per row: none taken twice
    receipts = target.query(
        "SELECT count(*), count(DISTINCT idempotency_key), count(DISTINCT user_id), "
        "count(DISTINCT render_id) FROM alert_receipts "
        "WHERE alert_id = :a AND user_id LIKE 'cl-bulk-%'",
        **params,
    )
    assert receipts == [(SUBSCRIBERS, SUBSCRIBERS, SUBSCRIBERS, 1)]  # rendered once for all
    renders = target.query("SELECT count(*) FROM alert_renders WHERE alert_id = :a", **params)
    assert renders == [(1,)]
