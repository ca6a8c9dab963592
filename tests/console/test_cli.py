"""``python -m console accounts create|disable|list`` against a real database file."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def cli(db: Path, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, YINFA_DATABASE_URL=f"sqlite:///{db}", YINFA_ENV="development")
    return subprocess.run(
        [sys.executable, "-m", "console", "accounts", *args],
        input=stdin,
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )


def test_create_list_disable(tmp_path: Path) -> None:
    db = tmp_path / "app.sqlite3"
    ok = cli(
        db,
        "create",
        "Officer_X",
        "--role",
        "alert_officer",
        "--password-stdin",
        stdin="a long enough password\n",
    )
    assert ok.returncode == 0, ok.stderr
    assert (
        cli(
            db,
            "create",
            "officer_x",
            "--role",
            "operator",
            "--password-stdin",
            stdin="a long enough password\n",
        ).returncode
        == 2
    )  # taken
    weak = cli(db, "create", "op2", "--role", "operator", "--password-stdin", stdin="short\n")
    assert weak.returncode == 2 and "12" in weak.stderr
    assert cli(db, "list").stdout.split() == ["officer_x", "alert_officer", "active"]
    assert cli(db, "disable", "officer_x").returncode == 0
    assert cli(db, "list").stdout.split() == ["officer_x", "alert_officer", "disabled"]
    assert cli(db, "disable", "nobody").returncode == 2
