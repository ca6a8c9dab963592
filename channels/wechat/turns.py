"""One bot turn per user message, shared by WeChat's retries, answered in time or later.

A message is de-duplicated (MsgId, or sender + CreateTime for events): a retry shares the
first attempt's turn instead of starting another. The answer goes out as the passive reply
if it is ready within the deadline and fits in one text message; otherwise ``success`` is
answered at once and the answer goes out through the customer-service API when it is ready.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from channels.wechat.customer_service import CustomerServiceClient, WeChatAPIError
from channels.wechat.replay import ReplayGuard
from channels.wechat.replies import SENDER_PREFIX
from channels.wechat.xmlmsg import Inbound
from core.metrics import CHAT_SECONDS

log = logging.getLogger(__name__)

TURN_KEEP_S = 120.0  # how long a finished turn answers retries from memory

Answer = Callable[[], Awaitable[list[str]]]
"""Computes a turn's text parts (empty: nothing to say)."""


@dataclass
class Turn:
    """One user message's bot turn, shared by WeChat's retries of that message."""

    inbound: Inbound
    parts: list[str] | None = None
    via_api: bool = False
    delivering: bool = False
    task: asyncio.Task[None] | None = None
    done: asyncio.Event = field(default_factory=asyncio.Event)


class TurnCoordinator:
    """Runs turns, shares them with retries and delivers late answers through the API.

    Args:
        guard: where handled message keys are kept.
        customer_service: client for answers that miss the passive-reply deadline.
        busy_text: said when a turn crashes.
        clock: wall-clock seconds.
    """

    def __init__(
        self,
        *,
        guard: ReplayGuard,
        customer_service: CustomerServiceClient,
        busy_text: str,
        clock: Callable[[], float],
    ) -> None:
        self.guard = guard
        self.customer_service = customer_service
        self.busy_text = busy_text
        self.clock = clock
        self.turns: dict[str, Turn] = {}
        self.background: set[asyncio.Task[None]] = set()

    async def aclose(self) -> None:
        """Wait briefly for answers still being delivered."""
        pending = [t for t in self.background if not t.done()]
        if pending:
            await asyncio.wait(pending, timeout=5.0)

    async def drain(self) -> None:
        """Wait until every started turn and delivery has finished (tests, shutdown)."""
        while pending := [t for t in self.background if not t.done()]:
            await asyncio.wait(pending)

    async def passive_part(
        self, inbound: Inbound, answer: Answer, started: float, deadline_s: float
    ) -> str | None:
        """The single part to answer passively, or None to answer ``success``.

        Args:
            inbound: the (checked) message.
            answer: computes the parts; called once per message, not per retry.
            started: ``time.monotonic()`` at the request's arrival.
            deadline_s: time allowed for a passive reply, counted from ``started``.
        """
        turn = await self._join(inbound, answer)
        remaining = deadline_s - (time.monotonic() - started)
        try:
            if remaining > 0 and not turn.done.is_set():
                await asyncio.wait_for(turn.done.wait(), timeout=remaining)
        except asyncio.TimeoutError:
            pass
        except asyncio.CancelledError:
            self._deliver_later(turn)
            raise
        if not turn.done.is_set() or turn.via_api or turn.parts is None:
            self._deliver_later(turn)
            return None
        if not turn.parts:
            return None
        if len(turn.parts) > 1:
            # Several messages keep their order only through the API.
            self._deliver_later(turn)
            return None
        return turn.parts[0]

    async def _join(self, inbound: Inbound, answer: Answer) -> Turn:
        """The message's turn: the one in flight (a retry), or a new one."""
        key = inbound.dedupe_key
        turn = self.turns.get(key)
        if turn is not None:
            log.info("retry of %s shares the turn in flight", key)
            return turn
        # Registered before the (possibly slow) claim, so a concurrent retry shares it.
        turn = self.turns[key] = Turn(inbound)
        try:
            claimed = await self.guard.claim_message(key, self.clock())
        except BaseException:
            self._finish(key, turn, [])
            self._forget(key, turn)
            raise
        if claimed:
            turn.task = self._spawn(self._run(key, turn, answer))
        else:
            log.info("%s from %s was handled before; answering success", key, inbound.from_user)
            self._finish(key, turn, [])
        return turn

    def _spawn(self, coro: Awaitable[None]) -> asyncio.Task[None]:
        task: asyncio.Task[None] = asyncio.ensure_future(coro)
        self.background.add(task)
        task.add_done_callback(self.background.discard)
        return task

    async def _run(self, key: str, turn: Turn, answer: Answer) -> None:
        started = time.perf_counter()
        try:
            turn.parts = await answer()
        except Exception:  # never leave a retry waiting on a crashed turn
            log.exception("WeChat turn %s failed", key)
            turn.parts = [self.busy_text]
        finally:
            CHAT_SECONDS.labels("wechat").observe(time.perf_counter() - started)
            self._finish(key, turn, turn.parts if turn.parts is not None else [self.busy_text])
        if turn.via_api:
            await self._deliver(turn)

    def _finish(self, key: str, turn: Turn, parts: list[str]) -> None:
        """Record the turn's answer, wake its waiters, forget it after a while."""
        turn.parts = parts
        turn.done.set()
        asyncio.get_running_loop().call_later(TURN_KEEP_S, self._forget, key, turn)

    def _forget(self, key: str, turn: Turn) -> None:
        if self.turns.get(key) is turn:
            del self.turns[key]

    def _deliver_later(self, turn: Turn) -> None:
        """Send the turn's answer through the customer-service API (once)."""
        turn.via_api = True
        if turn.done.is_set() and not turn.delivering:
            self._spawn(self._deliver(turn))

    async def _deliver(self, turn: Turn) -> None:
        if turn.delivering or not turn.parts:
            return
        turn.delivering = True
        openid = turn.inbound.from_user
        for number, part in enumerate(turn.parts, 1):
            try:
                await self.customer_service.send_text(openid, part)
            except WeChatAPIError as exc:
                log.warning(
                    "customer-service delivery to %s%s failed at part %d/%d: %s",
                    SENDER_PREFIX,
                    openid,
                    number,
                    len(turn.parts),
                    exc,
                )
                return
