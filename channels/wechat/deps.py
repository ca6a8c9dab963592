"""FastAPI dependencies of the WeChat router, and the channel's factory.

The composition root (``app.bootstrap.app_services``) builds the channel once with
:func:`build_channel` (a plain factory: it caches nothing and no request calls it) and a
``SqlReplayGuard`` on the app database; the dependencies below hand that one channel and the
other services of ``app.bootstrap.Services`` to the router.

WeChat retries a callback that fails, so a channel or conversation that is not there yet is a
503 (as during start-up), not a server error; the subscription hook and the rate limiter are
optional (the channel then uses the ones it was built with, or none).
"""

from __future__ import annotations

import logging
from typing import Annotated, Any

from fastapi import Depends, HTTPException, Request

from channels.wechat.customer_service import CustomerServiceClient
from channels.wechat.replay import ReplayGuard
from channels.wechat.service import (
    ConversationLike,
    RateLimiterLike,
    SubscriptionHook,
    WeChatChannel,
)
from channels.wechat.texts import load_texts
from core.deps import optional_service
from core.settings import Settings

log = logging.getLogger(__name__)


def build_channel(settings: Settings, guard: ReplayGuard, **kwargs: Any) -> WeChatChannel:
    """Build the channel from the settings.

    Args:
        settings: the app settings (``wechat_*``, ``hotline``, ``max_text_chars``).
        guard: replay state; ``SqlReplayGuard`` in the app.
        **kwargs: passed on to :class:`WeChatChannel` (e.g. ``clock`` in tests).
    """
    return WeChatChannel(
        token=settings.wechat_token,
        app_id=settings.wechat_app_id,
        encoding_aes_key=settings.wechat_encoding_aes_key,
        texts=load_texts(settings.hotline),
        guard=guard,
        customer_service=CustomerServiceClient(
            settings.wechat_api_base, settings.wechat_app_id, settings.wechat_app_secret
        ),
        deadline_s=settings.wechat_reply_deadline_s,
        max_text_chars=settings.max_text_chars,
        **kwargs,
    )


def get_wechat_channel(request: Request) -> WeChatChannel:
    """The app's WeChat channel, built once by the composition root (503 until it is)."""
    channel: WeChatChannel | None = optional_service(request, "wechat_channel")
    if channel is None:
        raise HTTPException(status_code=503, detail="WeChat channel not ready")
    return channel


def get_conversation(request: Request) -> ConversationLike:
    """The conversation core (``Services.conversation``; 503 until it is built)."""
    conversation: ConversationLike | None = optional_service(request, "conversation")
    if conversation is None:
        raise HTTPException(status_code=503, detail="conversation core not ready")
    return conversation


def get_subscription_hook(request: Request) -> SubscriptionHook | None:
    """The callable told about subscribe/unsubscribe events
    (``Services.wechat_subscription_hook``), or None; it gets ``(sender_id, subscribed)``."""
    return optional_service(request, "wechat_subscription_hook")  # type: ignore[no-any-return]


def get_rate_limiter(request: Request) -> RateLimiterLike | None:
    """The app's per-sender limiter (``Services.chat_limiter``, shared with web chat), or
    None."""
    return optional_service(request, "chat_limiter")  # type: ignore[no-any-return]


WeChatChannelDep = Annotated[WeChatChannel, Depends(get_wechat_channel)]
ConversationDep = Annotated[ConversationLike, Depends(get_conversation)]
SubscriptionHookDep = Annotated[SubscriptionHook | None, Depends(get_subscription_hook)]
RateLimiterDep = Annotated[RateLimiterLike | None, Depends(get_rate_limiter)]
