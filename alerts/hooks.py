"""WeChat follow and message hooks: they keep alert subscriptions and the 48-hour window."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from alerts import subscriptions
from core.database import Database
from core.senders import split_sender


def wechat_follow_hook(database: Database) -> Callable[[str, bool], Awaitable[None]]:
    """Hook for WeChat ``subscribe``/``unsubscribe`` events.

    Following the account opens the 48-hour window (the welcome message offers the alert
    subscription); unfollowing ends any alert subscription, since nothing can reach them.
    """

    async def hook(sender_id: str, subscribed: bool) -> None:
        channel, user_id = split_sender(sender_id)
        if subscribed:
            await asyncio.to_thread(subscriptions.touch, database, channel, user_id)
        else:
            await asyncio.to_thread(subscriptions.unsubscribe, database, channel, user_id)

    return hook


def wechat_inbound_hook(database: Database) -> Callable[[str], Awaitable[None]]:
    """Hook for every WeChat message: restarts the subscriber's 48-hour window."""

    async def hook(sender_id: str) -> None:
        channel, user_id = split_sender(sender_id)
        await asyncio.to_thread(subscriptions.touch, database, channel, user_id)

    return hook
