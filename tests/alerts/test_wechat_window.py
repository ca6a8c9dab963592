"""Every WeChat message restarts the subscriber's 48-hour customer-service window."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from sqlalchemy import select

from alerts import subscriptions
from alerts.hooks import wechat_inbound_hook
from alerts.models import Subscription
from core.database import Database


async def test_inbound_hook_restarts_the_window(database: Database) -> None:
    subscriptions.subscribe(database, "wechat", "oWin")
    old = datetime.now(timezone.utc) - timedelta(hours=47)
    subscriptions.touch(database, "wechat", "oWin", when=old)

    await wechat_inbound_hook(database)("wechat:oWin")

    with database.session() as s:
        sub = s.scalars(select(Subscription).where(Subscription.user_id == "oWin")).one()
    assert subscriptions.within_window(sub, 48, now=datetime.now(timezone.utc) + timedelta(hours=2))
