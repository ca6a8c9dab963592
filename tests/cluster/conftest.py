"""The whole cluster of `make run-cluster`, started once for the cluster tests on free
loopback ports under a temporary folder, with the same launcher (scripts/cluster.py).

Every test module is marked with ``tests.cluster.support.needs_cluster``: skipped, with the
reason, only when Debian's PostgreSQL, Redis or nginx is missing (`make test` installs them:
system-deps -> cluster-deps).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from scripts.cluster import Cluster
from scripts.cluster_config import Layout, Ports
from tests.alerts.e2e_support import create_accounts
from tests.cluster.support import Target, warm_up
from tests.support.stack import WECHAT_AES_KEY, WECHAT_APP_ID, WECHAT_TOKEN

PORTS = range(18000, 18100)  # this suite's range on shared machines; free ones are taken


def cluster_env() -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "YINFA_ENV": "test",
            "YINFA_RASA_TOKEN": "cluster-rasa-token",
            "YINFA_ACTION_TOKEN": "cluster-action-token",
            "YINFA_SESSION_SECRET": "cluster-session-secret",
            "YINFA_WECHAT_TOKEN": WECHAT_TOKEN,
            "YINFA_WECHAT_APP_ID": WECHAT_APP_ID,
            "YINFA_WECHAT_APP_SECRET": "cluster-wechat-secret",
            "YINFA_WECHAT_ENCODING_AES_KEY": WECHAT_AES_KEY,
            "YINFA_WECHAT_API_BASE": "http://127.0.0.1:9",  # no WeChat here; web subscribers only
            # The tests send fast from one address; the limits themselves are tested elsewhere.
            "YINFA_CHAT_RATE_PER_MIN": "100000",
            "YINFA_CHAT_BURST": "10000",
            "YINFA_CHAT_RATE_PER_ADDRESS_PER_MIN": "100000",
            "YINFA_ALERTS_POLL_S": "0.5",
            # A shared 2-core machine: the first turns of a cold replica can take long.
            "YINFA_RASA_TIMEOUT_S": "30",
        }
    )
    return env


@pytest.fixture(scope="session")
def cluster() -> Iterator[Cluster]:
    attach = os.environ.get("YINFA_TEST_CLUSTER")  # a developer's cluster already running
    if attach:
        yield Cluster.attach(Path(attach))  # started by the developer, with their environment
        return
    # Not pytest's tmp_path (0700): the postgres user must reach PostgreSQL's folder.
    base = Path(tempfile.mkdtemp(prefix="yinfa-cluster-", dir="/tmp"))
    base.chmod(0o755)
    layout = Layout(
        base=base,
        ports=Ports.free(PORTS),
        pg_options="-c fsync=off -c synchronous_commit=off",  # throwaway data: less disk work
    )
    running = Cluster(layout, cluster_env())
    try:
        running.start(timeout=600)
        warm_up(running)
        yield running
    finally:
        running.stop()
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture(scope="session")
def target(cluster: Cluster) -> Target:
    t = Target(cluster)
    create_accounts(t)  # type: ignore[arg-type]
    return t
