"""In-process wake-ups for live streams: the inline worker calls ``notify`` after a web
delivery, and that subscriber's open streams read the database at once instead of waiting
for their next poll. Streams of other processes still see the delivery on their poll."""

from __future__ import annotations

import asyncio
from collections import defaultdict


class Notifier:
    """Per-user wake-up events of open live streams."""

    def __init__(self) -> None:
        self._waiters: dict[str, set[asyncio.Event]] = defaultdict(set)

    def register(self, user_key: str) -> asyncio.Event:
        event = asyncio.Event()
        self._waiters[user_key].add(event)
        return event

    def unregister(self, user_key: str, event: asyncio.Event) -> None:
        waiters = self._waiters.get(user_key)
        if waiters is not None:
            waiters.discard(event)
            if not waiters:
                del self._waiters[user_key]

    def notify(self, user_key: str) -> None:
        for event in list(self._waiters.get(user_key, ())):
            event.set()

    @property
    def listeners(self) -> int:
        return sum(len(w) for w in self._waiters.values())
