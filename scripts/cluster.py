"""Start, watch and stop the cluster of `make run-cluster` (one launcher for make and tests).

Under supervisord (restarts whatever dies): PostgreSQL and Redis on loopback ports with their
data under ``var/cluster/``, two Rasa servers (tracker store in PostgreSQL, lock store in
Redis), two app processes (database in PostgreSQL, limits in Redis), two delivery workers,
and nginx balancing the apps on 127.0.0.1:8000, the Rasa servers for the apps, and the apps'
action webhook for Rasa. Order: servers first; then the databases are created and the app's
migrations run once; then everything else starts at the same time.

    python -m scripts.cluster run      # start, wait until ready, stay until Ctrl-C
    python -m scripts.cluster start    # start, wait until ready, return (also: run --detach)
    python -m scripts.cluster stop | status
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
import xmlrpc.client
from pathlib import Path
from typing import Any

import httpx
from supervisor.xmlrpc import SupervisorTransport

from scripts.cluster_config import ROOT, ClusterError, Layout, environment, pg_home, pg_user, render
from scripts.cluster_config import in_use as port_in_use

RASA_PY = ROOT / ".venv-rasa" / "bin" / "python"
GROUPS = ("rasa", "app", "worker")  # started together once the schema is in place


def model_path(env: dict[str, str]) -> str:
    """``RASA_MODEL`` if set (make exports it), else the model for the current bot inputs."""
    if env.get("RASA_MODEL"):
        return env["RASA_MODEL"]
    cmd = [str(RASA_PY), str(ROOT / "scripts" / "train_if_stale.py")]
    out = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, check=False)
    if out.returncode != 0:
        raise ClusterError(f"cannot get a Rasa model:\n{out.stderr[-3000:]}")
    return out.stdout.strip().splitlines()[-1]


class Cluster:
    """One cluster laid out by ``layout``; :meth:`start` it, :meth:`stop` it.

    Args:
        layout: ports and folders (``Layout()``: the defaults of `make run-cluster`).
        env: the environment to start from (``os.environ`` by default); the cluster's own
            wiring (:func:`scripts.cluster_config.environment`) is set on top of it.
    """

    def __init__(self, layout: Layout | None = None, env: dict[str, str] | None = None) -> None:
        self.layout = layout or Layout()
        self.base_env = dict(os.environ if env is None else env)
        self.env: dict[str, str] = {}
        self.supervisord: subprocess.Popen[bytes] | None = None

    @classmethod
    def attach(cls, base: Path, env: dict[str, str] | None = None) -> Cluster:
        """The cluster already running from ``base`` (its ports from ``base/ports.json``)."""
        cluster = cls(Layout.load(base), env)
        if not cluster.running():
            raise ClusterError(f"no cluster runs from {base}")
        cluster.env = environment(cluster.layout, model_path(cluster.base_env), cluster.base_env)
        return cluster

    # -- supervisord ------------------------------------------------------------------------

    def rpc(self) -> Any:
        """supervisord's XML-RPC interface over its unix socket."""
        transport = SupervisorTransport(None, None, f"unix://{self.layout.socket}")
        return xmlrpc.client.ServerProxy("http://127.0.0.1", transport=transport).supervisor

    def running(self) -> bool:
        """A supervisord answers on this cluster's socket."""
        try:
            return self.rpc().getState()["statename"] == "RUNNING"
        except (OSError, xmlrpc.client.Fault):
            return False

    def info(self, program: str) -> dict[str, Any]:
        """supervisord's view of ``program`` (``app:app-1``, ``postgres`` ...): pid, state."""
        return dict(self.rpc().getProcessInfo(program))

    def pid(self, program: str) -> int:
        return int(self.info(program)["pid"])

    def kill(self, program: str, sig: int = signal.SIGKILL) -> int:
        """Send ``sig`` to ``program`` (its main process) behind supervisord's back; its pid."""
        pid = self.pid(program)
        os.kill(pid, sig)
        return pid

    def wait_restarted(self, program: str, old_pid: int, timeout: float = 120) -> int:
        """Wait until supervisord runs ``program`` again under a new pid; that pid."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            info = self.info(program)
            if info["statename"] == "RUNNING" and info["pid"] not in (0, old_pid):
                return int(info["pid"])
            time.sleep(0.3)
        raise ClusterError(f"supervisord did not restart {program} within {timeout:.0f} s")

    # -- start ------------------------------------------------------------------------------

    def start(self, timeout: float = 600) -> Cluster:
        """Start every process and wait until each app, each Rasa and the balancer are ready."""
        if self.running():
            raise ClusterError(
                f"a cluster already runs from {self.layout.base}: `make stop-cluster` first"
            )
        busy = sorted(p for p in self.layout.ports.as_dict().values() if port_in_use(p))
        if busy:
            raise ClusterError(
                f"ports in use: {busy} (`ss -ltnp` shows by whom; a cluster left running? "
                "`make stop-cluster`)"
            )
        self.env = environment(self.layout, model_path(self.base_env), self.base_env)
        pg_home(self.layout)
        render(self.layout)
        self.layout.save_ports()
        self._initdb()
        self.layout.socket.unlink(missing_ok=True)
        log = (self.layout.logs / "supervisord.out").open("ab")
        self.supervisord = subprocess.Popen(
            [
                str(Path(sys.executable).with_name("supervisord")),
                "-c",
                str(self.layout.supervisord_conf),
            ],
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # Ctrl-C reaches the launcher, which shuts down in order
        )
        try:
            self._wait_servers(60)
            self._create_databases()
            self._migrate()
            rpc = self.rpc()
            for group in GROUPS:
                rpc.startProcessGroup(group, False)
            rpc.startProcess("nginx", False)
            self.wait_ready(timeout)
        except BaseException:
            self.stop()
            raise
        return self

    def _initdb(self) -> None:
        if (self.layout.pg_data / "PG_VERSION").exists():
            return
        initdb = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
        if not initdb:
            raise ClusterError("PostgreSQL is not installed: make cluster-deps")
        cmd = [str(initdb[-1]), "-D", str(self.layout.pg_data), "-A", "trust", "-U", "yinfa"]
        cmd += ["-E", "UTF8", "--locale=C"]
        if os.geteuid() == 0:
            cmd = ["runuser", "-u", pg_user(), "--", *cmd]
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=180, check=False)
        if done.returncode != 0:
            raise ClusterError(f"initdb failed:\n{done.stdout[-2000:]}{done.stderr[-2000:]}")

    def _wait_servers(self, timeout: float) -> None:
        import psycopg
        import redis

        deadline = time.monotonic() + timeout
        last = ""
        while time.monotonic() < deadline:
            self._check_supervisord()
            try:
                psycopg.connect(self._pg_dsn("postgres"), connect_timeout=2).close()
                redis.Redis(port=self.layout.ports.redis, socket_timeout=2).ping()
                return
            except Exception as exc:  # not up yet
                last = str(exc)
            time.sleep(0.3)
        raise ClusterError(
            f"PostgreSQL or Redis not up after {timeout:.0f} s: {last}{self._logs()}"
        )

    def _pg_dsn(self, db: str) -> str:
        return f"host=127.0.0.1 port={self.layout.ports.postgres} user=yinfa dbname={db}"

    def _create_databases(self) -> None:
        """``yinfa`` (the app) and ``rasa`` (the tracker store), unless they exist."""
        import psycopg

        with psycopg.connect(self._pg_dsn("postgres"), autocommit=True) as conn:
            have = {r[0] for r in conn.execute("SELECT datname FROM pg_database")}
            for name in ("yinfa", "rasa"):
                if name not in have:
                    conn.execute(f'CREATE DATABASE "{name}"')

    def _migrate(self) -> None:
        """The app's schema, once, before any app or worker starts (they upgrade too, and
        find nothing to do)."""
        cmd = [sys.executable, "-m", "app.schema", "upgrade"]
        done = subprocess.run(
            cmd, cwd=ROOT, env=self.env, capture_output=True, text=True, timeout=300, check=False
        )
        if done.returncode != 0:
            raise ClusterError(f"migrations failed:\n{done.stdout[-2000:]}{done.stderr[-3000:]}")

    def _check_supervisord(self) -> None:
        if self.supervisord is not None and self.supervisord.poll() is not None:
            raise ClusterError(f"supervisord exited ({self.supervisord.returncode}){self._logs()}")

    def _logs(self, n: int = 1500) -> str:
        tails = []
        for path in sorted(self.layout.logs.glob("*.log")) + [self.layout.logs / "supervisord.out"]:
            if path.exists() and path.stat().st_size:
                tails.append(f"\n--- {path.name}\n{path.read_text(errors='replace')[-n:]}")
        return "".join(tails)

    # -- readiness --------------------------------------------------------------------------

    def not_ready(self) -> list[str]:
        """What is not ready yet: each app's and the balancer's ``/readyz``, each Rasa's model."""
        token = self.env.get("YINFA_RASA_TOKEN", "")
        checks = [(f"app-{i}", self.layout.url(f"app_{i}") + "/readyz") for i in (1, 2)]
        checks += [
            (f"rasa-{i}", self.layout.url(f"rasa_{i}") + f"/status?token={token}") for i in (1, 2)
        ]
        checks.append(("nginx", self.layout.url("web") + "/readyz"))
        waiting = []
        for name, url in checks:
            try:
                r = httpx.get(url, timeout=5)
                ok = r.status_code == 200 and (
                    not name.startswith("rasa") or bool(r.json().get("model_file"))
                )
            except httpx.HTTPError:
                ok = False
            if not ok:
                waiting.append(name)
        return waiting

    def wait_ready(self, timeout: float = 600) -> None:
        deadline = time.monotonic() + timeout
        waiting: list[str] = []
        while time.monotonic() < deadline:
            self._check_supervisord()
            waiting = self.not_ready()
            if not waiting:
                return
            time.sleep(1)
        raise ClusterError(f"not ready after {timeout:.0f} s: {waiting}{self._logs()}")

    # -- stop -------------------------------------------------------------------------------

    def stop(self, timeout: float = 90) -> bool:
        """Shut supervisord down (it stops every process first); False if none ran."""
        pid = self._supervisord_pid()
        if pid is None:
            return False
        try:
            self.rpc().shutdown()
        except (OSError, xmlrpc.client.Fault):
            os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and _alive(pid, self.supervisord):
            time.sleep(0.2)
        if _alive(pid, self.supervisord):
            os.killpg(pid, signal.SIGKILL)
        return True

    def _supervisord_pid(self) -> int | None:
        if self.supervisord is not None:
            return self.supervisord.pid if self.supervisord.poll() is None else None
        pidfile = self.layout.base / "supervisord.pid"
        if not pidfile.exists() or not self.running():
            return None
        return int(pidfile.read_text().strip())


def _alive(pid: int, child: subprocess.Popen[bytes] | None) -> bool:
    if child is not None:
        return child.poll() is None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def describe(cluster: Cluster) -> str:
    """Where things are, for the operator who started the cluster."""
    lay, p = cluster.layout, cluster.layout.ports
    return "\n".join(
        [
            f"==> 银发助手 cluster is ready (data and logs under {lay.base})",
            f"==> Web chat and API:  {lay.url('web')}/  (nginx over apps :{p.app_1} :{p.app_2})",
            f"==> Rasa balancer:     {lay.url('rasa_lb')}  (Rasa :{p.rasa_1} :{p.rasa_2})",
            f"==> Action balancer:   {lay.url('actions_lb')}/webhook  (for Rasa)",
            f"==> PostgreSQL:        127.0.0.1:{p.postgres} (databases yinfa, rasa; user yinfa)",
            f"==> Redis:             127.0.0.1:{p.redis}",
            f"==> Processes:         {Path(sys.executable).with_name('supervisorctl')} "
            f"-c {lay.supervisord_conf} status",
        ]
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m scripts.cluster", description=__doc__)
    parser.add_argument("command", choices=("run", "start", "stop", "status"))
    parser.add_argument("--base", type=Path, default=Layout().base, help="data and logs")
    parser.add_argument("--timeout", type=float, default=900, help="seconds to wait for ready")
    parser.add_argument("--detach", action="store_true", help="run: return once ready")
    args = parser.parse_args(argv)
    cluster = Cluster(Layout(base=args.base.resolve()))
    if args.command == "stop":
        print("==> cluster stopped" if cluster.stop() else "==> no cluster was running")
        return 0
    if args.command == "status":
        if not cluster.running():
            print("==> no cluster is running")
            return 1
        for info in cluster.rpc().getAllProcessInfo():
            print(
                f"{info['group']}:{info['name']:<10} {info['statename']:<9} {info['description']}"
            )
        return 0
    try:
        cluster.start(args.timeout)
    except ClusterError as exc:
        print(f"==> the cluster did not start: {exc}", file=sys.stderr)
        return 1
    print(describe(cluster), flush=True)
    if args.command == "start" or args.detach:
        print("==> Stop with: make stop-cluster")
        return 0
    return _stay(cluster)


def _stay(cluster: Cluster) -> int:
    """Keep the cluster until Ctrl-C or SIGTERM, then shut it down."""
    print("==> Stop with Ctrl-C (or `make stop-cluster`)", flush=True)
    stop = False

    def _on_signal(_sig: int, _frame: object) -> None:
        nonlocal stop
        stop = True

    signal.signal(signal.SIGINT, _on_signal)
    signal.signal(signal.SIGTERM, _on_signal)
    assert cluster.supervisord is not None
    while not stop and cluster.supervisord.poll() is None:
        time.sleep(0.5)
    print("==> stopping the cluster", flush=True)
    cluster.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
