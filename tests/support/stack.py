"""Start the real Rasa server and the real app on free loopback ports, and stop them.

Used by end-to-end tests and by benchmark scripts. Every process is started in its own
process group and killed with it, so nothing outlives the test session.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[2]
RASA_BIN = ROOT / ".venv-rasa" / "bin" / "rasa"
RASA_PY = ROOT / ".venv-rasa" / "bin" / "python"


WECHAT_TOKEN = "test-wechat-token"
WECHAT_APP_ID = "wx0123456789abcdef"
WECHAT_AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"  # 43 characters


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def model_path() -> Path:
    """The trained model for the current bot inputs (trains if stale)."""
    out = subprocess.run(
        [str(RASA_PY), str(ROOT / "scripts" / "train_if_stale.py")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    if out.returncode != 0:
        raise RuntimeError(f"cannot get a Rasa model:\n{out.stderr[-3000:]}")
    return Path(out.stdout.strip().splitlines()[-1])


@dataclass
class Proc:
    name: str
    cmd: list[str]
    env: dict[str, str]
    log_path: Path
    popen: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        log = self.log_path.open("ab")
        self.popen = subprocess.Popen(
            self.cmd,
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 20) -> None:
        if self.popen is None or self.popen.poll() is not None:
            return
        try:
            os.killpg(self.popen.pid, sig)
            self.popen.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.popen.pid, signal.SIGKILL)
            self.popen.wait(timeout=10)
        except ProcessLookupError:
            pass

    def alive(self) -> bool:
        return self.popen is not None and self.popen.poll() is None

    def log_tail(self, n: int = 4000) -> str:
        return self.log_path.read_text(errors="replace")[-n:]


@dataclass
class Stack:
    """A running Rasa + app pair with its own databases under ``workdir``."""

    workdir: Path
    extra_env: dict[str, str] = field(default_factory=dict)
    rasa_port: int = field(default_factory=free_port)
    app_port: int = field(default_factory=free_port)
    token: str = "test-rasa-token"
    action_token: str = "test-action-token"

    def __post_init__(self) -> None:
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.model = model_path()
        self.tracker_db = self.workdir / "rasa_tracker.sqlite3"
        self.app_db = self.workdir / "app.sqlite3"
        env = dict(os.environ)
        env.update(
            {
                "YINFA_ENV": "test",
                "YINFA_RASA_TOKEN": self.token,
                "YINFA_ACTION_TOKEN": self.action_token,  # Rasa -> /webhook (endpoints.yml)
                "YINFA_SESSION_SECRET": "test-session-secret",
                "YINFA_WECHAT_TOKEN": WECHAT_TOKEN,
                "YINFA_WECHAT_APP_SECRET": "test-wechat-secret",
                "YINFA_WECHAT_APP_ID": WECHAT_APP_ID,
                "YINFA_WECHAT_ENCODING_AES_KEY": WECHAT_AES_KEY,
                "YINFA_RASA_URL": f"http://127.0.0.1:{self.rasa_port}",
                "YINFA_DATABASE_URL": f"sqlite:///{self.app_db}",
                "YINFA_HOST": "127.0.0.1",
                "YINFA_PORT": str(self.app_port),
                "ACTION_ENDPOINT_URL": f"http://127.0.0.1:{self.app_port}/webhook",
                "RASA_TRACKER_URL": f"sqlite:///{self.tracker_db}",
                "PYTHONUNBUFFERED": "1",
                "RASA_TELEMETRY_ENABLED": "false",
                # Tests and benchmarks send fast; the limiter itself is tested on its own app.
                "YINFA_CHAT_RATE_PER_MIN": "100000",
                "YINFA_CHAT_BURST": "10000",
                "YINFA_CHAT_RATE_PER_ADDRESS_PER_MIN": "100000",
            }
        )
        env.update(self.extra_env)
        self.env = env
        self.rasa = Proc(
            "rasa",
            [
                str(RASA_BIN),
                "run",
                "--enable-api",
                "--interface",
                "127.0.0.1",
                "--port",
                str(self.rasa_port),
                "--auth-token",
                self.token,
                "--model",
                str(self.model),
                "--endpoints",
                "endpoints.yml",
                "--credentials",
                "credentials.yml",
            ],
            env,
            self.workdir / "rasa.log",
        )
        self.app = Proc(
            "app",
            [
                sys.executable,
                "-m",
                "uvicorn",
                "app.main:create_app",
                "--factory",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.app_port),
                "--no-proxy-headers",  # as in the Procfile: the app alone reads X-Forwarded-For
                "--log-config",
                "app/logging.yml",  # as in the Procfile: every line names its request
            ],
            env,
            self.workdir / "app.log",
        )

    @property
    def app_url(self) -> str:
        return f"http://127.0.0.1:{self.app_port}"

    @property
    def rasa_url(self) -> str:
        return f"http://127.0.0.1:{self.rasa_port}"

    def start(self, timeout: float = 240) -> Stack:
        self.rasa.start()
        self.app.start()
        self.wait_ready(timeout)
        return self

    def wait_ready(self, timeout: float = 240) -> None:
        deadline = time.monotonic() + timeout
        last = ""
        while time.monotonic() < deadline:
            for p in (self.rasa, self.app):
                if not p.alive():
                    raise RuntimeError(f"{p.name} exited:\n{p.log_tail()}")
            try:
                r = httpx.get(self.app_url + "/readyz", timeout=5)
                if r.status_code == 200:
                    return
                last = r.text
            except httpx.HTTPError as exc:
                last = repr(exc)
            time.sleep(1)
        raise RuntimeError(f"stack not ready after {timeout} s: {last}\n{self.rasa.log_tail()}")

    def restart_rasa(self, timeout: float = 240) -> None:
        self.rasa.stop()
        self.rasa.start()
        self.wait_ready(timeout)

    def stop(self) -> None:
        self.app.stop()
        self.rasa.stop()

    def chat(self, sender_id: str, text: str, timeout: float = 30) -> httpx.Response:
        return httpx.post(
            self.app_url + "/api/chat",
            json={"sender_id": sender_id, "text": text},
            timeout=timeout,
        )
