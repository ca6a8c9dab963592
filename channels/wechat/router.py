"""``GET /wechat`` (URL verification) and ``POST /wechat`` (message callbacks)."""

from __future__ import annotations

import logging

from fastapi import APIRouter, Request
from fastapi.responses import PlainTextResponse, Response

from channels.wechat.deps import (
    ConversationDep,
    RateLimiterDep,
    SubscriptionHookDep,
    WeChatChannelDep,
)
from channels.wechat.service import Refused

log = logging.getLogger(__name__)

router = APIRouter(tags=["wechat"])


class _TooLarge(Exception):
    pass


async def _read_capped(request: Request, limit: int) -> bytes:
    """Read the body, giving up as soon as it exceeds ``limit`` bytes."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise _TooLarge
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise _TooLarge
        chunks.append(chunk)
    return b"".join(chunks)


def _refusal(exc: Refused) -> Response:
    log.warning("WeChat request refused (%d): %s", exc.status, exc.reason)
    return PlainTextResponse("", status_code=exc.status)


@router.get("/wechat", response_class=PlainTextResponse)
async def verify_url(request: Request, channel: WeChatChannelDep) -> Response:
    """WeChat's server-address check: echo ``echostr`` when the signature is right."""
    try:
        echostr = await channel.verify_url(dict(request.query_params))
    except Refused as exc:
        return _refusal(exc)
    return PlainTextResponse(echostr)


@router.post("/wechat")
async def callback(
    request: Request,
    channel: WeChatChannelDep,
    conversation: ConversationDep,
    on_subscription: SubscriptionHookDep,
    limiter: RateLimiterDep,
) -> Response:
    """A message or event from WeChat; answered within the passive-reply deadline."""
    try:
        body = await _read_capped(request, channel.max_body_bytes)
    except _TooLarge:
        return _refusal(Refused(413, "body too large"))
    try:
        reply = await channel.handle(
            dict(request.query_params), body, conversation, on_subscription, limiter
        )
    except Refused as exc:
        return _refusal(exc)
    return Response(reply.body, media_type=reply.media_type)
