"""SIGKILL of one app under load: nginx sends the rest to the other app (at most 2 % of the
requests fail, those in flight on the killed app), supervisord starts it again, and the
outbox, in PostgreSQL and worked by separate processes, loses nothing."""

from __future__ import annotations

import threading

from core.database import Database
from scripts.cluster import Cluster
from tests.alerts.e2e_support import draft_and_publish, wait_until
from tests.cluster.support import Load, Target, needs_cluster

pytestmark = needs_cluster

REQUESTS = 400
SUBSCRIBERS = 100


def test_killing_one_app_under_load(cluster: Cluster, target: Target) -> None:
    from alerts.subscriptions import subscribe

    database = Database(target.env["YINFA_DATABASE_URL"])
    try:
        for n in range(SUBSCRIBERS):
            subscribe(database, "web", f"cl-kill-{n}")
    finally:
        database.dispose()
    load = Load(target, REQUESTS)
    runner = threading.Thread(target=load.run)
    runner.start()
    wait_until(lambda: load.done >= REQUESTS // 5, 120, step=0.05)
    alert = draft_and_publish(target)  # type: ignore[arg-type]
    killed = cluster.kill("app:app-1")
    runner.join(300)
    assert not runner.is_alive()

    errors = load.errors
    assert load.done == REQUESTS
    assert len(errors) <= REQUESTS * 0.02, f"{len(errors)} errors: {errors}"
    # supervisord started the killed app again, and it serves.
    cluster.wait_restarted("app:app-1", killed)
    cluster.wait_ready(900)  # loading the index takes minutes on a busy machine

    def delivered() -> bool:
        rows = target.query(
            "SELECT status, count(*) FROM alert_outbox WHERE alert_id = :a GROUP BY status",
            a=alert["id"],
        )
        return dict(rows).keys() == {"delivered"}

    wait_until(delivered, 180, step=1)
    rows = target.query(
        "SELECT count(*), count(DISTINCT user_id) FROM alert_receipts "
        "WHERE alert_id = :a AND user_id LIKE 'cl-kill-%'",
        a=alert["id"],
    )
    assert rows == [(SUBSCRIBERS, SUBSCRIBERS)]
