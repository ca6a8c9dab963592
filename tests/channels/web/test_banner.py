"""The banner read interface over the ``alerts`` table."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

from alerts.banner import current_banner
from core.database import Database
from tests.channels.web.banner_rows import clear_banners, insert_banner

NOW = datetime(2025, 6, 1, 12, 0, tzinfo=timezone.utc)


def test_no_table_means_no_banner(tmp_path: Path) -> None:
    bare = Database(f"sqlite:///{tmp_path / 'bare.sqlite3'}")  # not opened: no tables
    try:
        assert current_banner(bare, now=NOW) is None
    finally:
        bare.dispose()


def test_empty_table_means_no_banner(database: Database) -> None:
    assert current_banner(database, now=NOW) is None


def test_published_unexpired_alert_is_the_banner(database: Database) -> None:
    insert_banner(
        database.url,
        public_code="FZ-001",
        title="小心冒充医保的电话",
        body="挂掉电话，打12345问。",
        expires_at=NOW + timedelta(days=1),
    )
    banner = current_banner(database, now=NOW)
    assert banner is not None
    assert banner["public_code"] == "FZ-001"
    assert banner["title"] == "小心冒充医保的电话"
    assert banner["body"] == "挂掉电话，打12345问。"
    assert banner["expires_at"].startswith("2025-06-02T12:00")


def test_drafts_and_expired_alerts_are_not_shown(database: Database) -> None:
    insert_banner(database.url, public_code="D1", title="草稿", body="x", status="draft")
    insert_banner(
        database.url,
        public_code="E1",
        title="过期",
        body="x",
        expires_at=NOW - timedelta(minutes=1),
    )
    assert current_banner(database, now=NOW) is None


def test_newest_published_alert_wins(database: Database) -> None:
    insert_banner(database.url, public_code="A1", title="旧提醒", body="x")
    insert_banner(database.url, public_code="A2", title="新提醒", body="y")
    banner = current_banner(database, now=NOW)
    assert banner is not None and banner["public_code"] == "A2"
    clear_banners(database.url)
    assert current_banner(database, now=NOW) is None
