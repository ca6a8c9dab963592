"""What a cluster of `make run-cluster` is made of: its ports, its folders, the environment of
its processes, and its configuration files (rendered from the templates in ``cluster/``).

``scripts/cluster.py`` starts and stops it; the cluster tests (tests/cluster/) build the same
:class:`Layout` on free ports under a temporary folder, so both run the same cluster.
"""

from __future__ import annotations

import getpass
import glob
import hashlib
import json
import os
import shutil
import socket
import string
import sys
from dataclasses import dataclass, fields
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TEMPLATES = ROOT / "cluster"
DEFAULT_BASE = ROOT / "var" / "cluster"
DEV_TOKENS = {"YINFA_RASA_TOKEN": "dev-rasa-token", "YINFA_ACTION_TOKEN": "dev-action-token"}


class ClusterError(RuntimeError):
    """The cluster cannot be set up or started; the message says why and what to do."""


@dataclass(frozen=True)
class Ports:
    """Loopback ports of the cluster. ``web`` is the contract: the API on 127.0.0.1:8000."""

    web: int = 8000  # nginx: both apps
    rasa_lb: int = 5005  # nginx: both Rasa servers (the apps' Rasa URL)
    actions_lb: int = 5055  # nginx: the apps' /webhook (Rasa's action endpoint)
    app_1: int = 8001
    app_2: int = 8002
    rasa_1: int = 5006
    rasa_2: int = 5007
    postgres: int = 5433  # not 5432/6379: a system PostgreSQL or Redis may hold those
    redis: int = 6380

    @classmethod
    def free(cls, candidates: range) -> Ports:
        """Ports from ``candidates`` that nothing listens on now (tests)."""
        found = [p for p in candidates if not in_use(p)]
        if len(found) < len(fields(cls)):
            raise ClusterError(f"not enough free ports in {candidates}")
        return cls(*found[: len(fields(cls))])

    def as_dict(self) -> dict[str, int]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


def in_use(port: int) -> bool:
    """Something listens on (or holds) 127.0.0.1:``port``."""
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return True
    return False


class _Template(string.Template):
    delimiter = "@"  # nginx uses $ and supervisord %(...)s: @{name} is neither


def _binary(pattern: str, package: str) -> Path:
    found = sorted(glob.glob(pattern))
    if not found:
        raise ClusterError(f"{pattern} not found: install Debian's {package} (make cluster-deps)")
    return Path(found[-1])


@dataclass(frozen=True)
class Layout:
    """Folders and ports of one cluster; everything it writes lives under ``base``."""

    base: Path = DEFAULT_BASE
    ports: Ports = Ports()
    pg_options: str = ""  # extra ``-c name=value`` for PostgreSQL (tests turn fsync off)

    @property
    def logs(self) -> Path:
        return self.base / "logs"

    @property
    def pg_dir(self) -> Path:
        return self.base / "pg"

    @property
    def pg_data(self) -> Path:
        return self.pg_dir / "data"

    @property
    def socket(self) -> Path:
        return self.base / "supervisor.sock"

    @property
    def supervisord_conf(self) -> Path:
        return self.base / "supervisord.conf"

    def save_ports(self) -> None:
        (self.base / "ports.json").write_text(json.dumps(self.ports.as_dict()), encoding="utf-8")

    @classmethod
    def load(cls, base: Path) -> Layout:
        """The layout a cluster started from ``base`` saved."""
        ports = json.loads((base / "ports.json").read_text(encoding="utf-8"))
        return cls(base=base, ports=Ports(**ports))

    def url(self, name: str) -> str:
        return f"http://127.0.0.1:{getattr(self.ports, name)}"

    def database_url(self, db: str, driver: str = "postgresql+psycopg") -> str:
        return f"{driver}://yinfa@127.0.0.1:{self.ports.postgres}/{db}"


def pg_user() -> str:
    """PostgreSQL refuses to run as root: as root it runs as the ``postgres`` user."""
    return "postgres" if os.geteuid() == 0 else getpass.getuser()


def pg_home(layout: Layout) -> None:
    """Make ``layout.pg_dir`` a folder the PostgreSQL user can reach.

    As root the server runs as ``postgres``, which cannot enter a clone under ``/root``; then
    the data goes to ``/var/tmp/yinfa-cluster-<hash of the folder>`` and ``pg_dir`` links there.
    """
    layout.base.mkdir(parents=True, exist_ok=True)
    if os.geteuid() != 0 or layout.pg_dir.exists():
        layout.pg_dir.mkdir(exist_ok=True)
        return
    reachable = all(os.stat(p).st_mode & 0o001 for p in [layout.base, *layout.base.parents])
    if reachable:
        layout.pg_dir.mkdir()
    else:
        digest = hashlib.sha1(str(layout.base).encode()).hexdigest()[:10]
        target = Path("/var/tmp") / f"yinfa-cluster-{digest}"
        target.mkdir(mode=0o755, exist_ok=True)
        layout.pg_dir.symlink_to(target)
        print(f"==> PostgreSQL data in {target} (the postgres user cannot enter {layout.base})")
    shutil.chown(layout.pg_dir, "postgres")


def environment(layout: Layout, model: str, base_env: dict[str, str]) -> dict[str, str]:
    """The environment supervisord and every process of the cluster get.

    ``base_env`` (the caller's environment) comes first, so tokens, limits and other
    ``YINFA_*`` settings pass through; the cluster's own wiring is set on top of it.
    """
    env = {**DEV_TOKENS, **base_env}
    p = layout.ports
    env.update(
        {
            "YINFA_DATABASE_URL": layout.database_url("yinfa"),
            "YINFA_LIMITS_STORAGE_URL": f"redis://127.0.0.1:{p.redis}/0",
            "YINFA_ALERTS_WORKER": "off",  # two `python -m alerts worker` deliver
            "YINFA_TRUSTED_PROXIES": "127.0.0.1",  # nginx passes X-Forwarded-For
            "YINFA_RASA_URL": layout.url("rasa_lb"),
            "YINFA_HOST": "127.0.0.1",
            "ACTION_ENDPOINT_URL": layout.url("actions_lb") + "/webhook",
            "RASA_TRACKER_URL": layout.database_url("rasa", "postgresql"),
            "RASA_LOCK_REDIS_HOST": "127.0.0.1",
            "RASA_LOCK_REDIS_PORT": str(p.redis),
            "RASA_MODEL": model,
            "RASA_TELEMETRY_ENABLED": "false",
            "PYTHONUNBUFFERED": "1",
        }
    )
    return env


def render(layout: Layout) -> None:
    """Write ``supervisord.conf`` and ``nginx/nginx.conf`` under ``layout.base``."""
    nginx_dir = layout.base / "nginx"
    for sub in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (nginx_dir / "tmp" / sub).mkdir(parents=True, exist_ok=True)
    (layout.base / "redis").mkdir(parents=True, exist_ok=True)
    layout.logs.mkdir(parents=True, exist_ok=True)
    values = {
        **{k: str(v) for k, v in layout.ports.as_dict().items()},
        "base": str(layout.base),
        "logs": str(layout.logs),
        "root": str(ROOT),
        "python": sys.executable,
        "pg_bin": str(_binary("/usr/lib/postgresql/*/bin/postgres", "postgresql").parent),
        "pg_data": str(layout.pg_data),
        "pg_user": pg_user(),
        "pg_options": layout.pg_options,
        "redis_server": str(_binary("/usr/bin/redis-server", "redis-server")),
        "redis_dir": str(layout.base / "redis"),
        "nginx_bin": str(_binary("/usr/sbin/nginx", "nginx")),
        "nginx_dir": str(nginx_dir),
    }
    for template, target in (
        ("supervisord.conf.in", layout.supervisord_conf),
        ("nginx.conf.in", nginx_dir / "nginx.conf"),
    ):
        text = (TEMPLATES / template).read_text(encoding="utf-8")
        target.write_text(_Template(text).substitute(values), encoding="utf-8")
