"""FastAPI dependencies of the WeChat router, and the channel's factory.

The composition root (``app.bootstrap``) builds the channel with :func:`build_channel` and a
``SqlReplayGuard`` on the app database, and stores it at ``app.state.wechat_channel``.
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
    """The app's WeChat channel, built once by the composition root."""
    channel: WeChatChannel | None = getattr(request.app.state, "wechat_channel", None)
    if channel is None:
        raise HTTPException(status_code=503, detail="WeChat channel not ready")
    return channel


def get_conversation(request: Request) -> ConversationLike:
    """The conversation core stored by the app's lifespan at ``app.state.conversation``."""
    conversation = getattr(request.app.state, "conversation", None)
    if conversation is None:
        raise HTTPException(status_code=503, detail="conversation core not ready")
    return conversation  # type: ignore[no-any-return]


def get_subscription_hook(request: Request) -> SubscriptionHook | None:
    """The callable told about subscribe/unsubscribe events, if the app set one at
    ``app.state.wechat_subscription_hook``; it gets ``(sender_id, subscribed)``."""
    return getattr(request.app.state, "wechat_subscription_hook", None)


def get_rate_limiter(request: Request) -> RateLimiterLike | None:
    """The app's per-sender limiter (``app.state.chat_limiter``), shared with web chat."""
    return getattr(request.app.state, "chat_limiter", None)


WeChatChannelDep = Annotated[WeChatChannel, Depends(get_wechat_channel)]
ConversationDep = Annotated[ConversationLike, Depends(get_conversation)]
SubscriptionHookDep = Annotated[SubscriptionHook | None, Depends(get_subscription_hook)]
RateLimiterDep = Annotated[RateLimiterLike | None, Depends(get_rate_limiter)]
