"""WeChat delivery for the worker: the sender's contract and how its errors are read.

Kept apart from :mod:`alerts.worker` (which decides what to send) so that both stay small;
alerts may not import ``channels.wechat``, so the codes are repeated here.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Protocol

from core.messages import BotMessage

# WeChat error codes after which a message can never be delivered (the same codes as
# ``channels.wechat.customer_service``, which alerts may not import).
OUTSIDE_WINDOW = 45015  # the user has not written within 48 hours
USER_GONE = frozenset({43004, 40003})  # unsubscribed / invalid openid
# Customer-service messages refused for the window (45015) or the 20 messages a window
# allows (45047): a template message may still reach the user.
WINDOW_CLOSED = frozenset({OUTSIDE_WINDOW, 45047})


class WeChatSender(Protocol):
    """Sends one text to a WeChat user (``channels.wechat.customer_service``).

    Contract: a failed ``send_text`` raises an exception whose ``errcode`` attribute is
    WeChat's error code: :data:`OUTSIDE_WINDOW` when the 48-hour window is closed, one of
    :data:`USER_GONE` when the user is gone, any other code (or none) for anything else.
    The worker decides by ``errcode`` alone (:func:`wechat_final_reason`), never by the
    exception's class. ``CustomerServiceClient`` keeps this contract: everything it raises
    is a ``WeChatAPIError``, whose constructor always sets ``errcode`` (0 when the transport
    failed), including its subclasses ``OutsideServiceWindow`` (45015) and
    ``UserUnreachable`` (43004/40003).
    """

    async def send_text(self, openid: str, text: str) -> None: ...


WeChatRenderer = Callable[[Sequence[BotMessage]], list[str]]


class Undeliverable(Exception):
    """This row can never be delivered; the reason is recorded."""


class WindowClosed(Undeliverable):
    """WeChat refused the customer-service message before any part went out."""


def wechat_errcode(exc: BaseException) -> int:
    """The WeChat error code an exception carries (0 when it has none)."""
    return int(getattr(exc, "errcode", 0) or 0)


def wechat_final_reason(exc: BaseException) -> str | None:
    """Why a failed WeChat send can never succeed, or ``None`` when a retry may.

    Only the ``errcode`` attribute counts, so ``OutsideServiceWindow``, ``UserUnreachable``,
    their base ``WeChatAPIError``, any subclass of them and test doubles are all classified
    the same way for the same code.
    """
    code = wechat_errcode(exc)
    if code == OUTSIDE_WINDOW:
        return f"WeChat {OUTSIDE_WINDOW}: outside the 48-hour window"
    if code in USER_GONE:
        return f"WeChat {code}: user unsubscribed or unknown"
    return None
