"""Web chat channel: ``POST /api/chat`` (contract) and feedback."""

from __future__ import annotations

import logging
import re
import unicodedata
import uuid
from typing import Annotated

from fastapi import APIRouter, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field, StringConstraints, field_validator

from channels.web.models import Feedback
from core.conversation import RasaUnavailable
from core.deps import (
    AnswerFeedbackDep,
    ChatLimiterDep,
    ConversationDep,
    DatabaseDep,
    SettingsDep,
)
from core.limits import refusals
from core.messages import BotMessage
from core.redact import redact
from core.senders import web_sender
from core.texts import text

log = logging.getLogger(__name__)

router = APIRouter(prefix="/api", tags=["web chat"])

SenderId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_.:-]{1,64}$")]

EntryId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_.-]{1,80}$")]

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def clean_text(value: str) -> str:
    """Normalise width (Ｆｕｌｌ → Full), drop control characters, trim spaces."""
    value = unicodedata.normalize("NFKC", value)
    return _CONTROL.sub("", value).strip()


class ChatRequest(BaseModel):
    """One user message: ``text`` is not empty after trimming; its longest length is the
    ``max_text_chars`` setting (checked by the route, as a 422 like any invalid field)."""

    sender_id: SenderId
    text: str = Field(min_length=1)

    @field_validator("text")
    @classmethod
    def _clean(cls, value: str) -> str:
        value = clean_text(value)
        if not value:
            raise ValueError("empty message")
        return value


class WebBotMessage(BotMessage):
    """A bot bubble with an id the page sends back with 有用/没用 feedback."""

    message_id: str


class ChatResponse(BaseModel):
    """The bot's answer: one or more bubbles."""

    messages: list[WebBotMessage]


def with_ids(messages: list[BotMessage]) -> list[WebBotMessage]:
    """Give each bubble of one turn an id: ``<turn>-<index>`` (turn is random)."""
    turn = uuid.uuid4().hex[:16]
    return [
        WebBotMessage(**m.model_dump(), message_id=f"{turn}-{i}") for i, m in enumerate(messages)
    ]


class FeedbackRequest(BaseModel):
    """有用/没用 on one answer."""

    sender_id: SenderId
    message_id: Annotated[str, StringConstraints(min_length=1, max_length=80)]
    useful: bool
    answer_text: str = Field(default="", max_length=2000)
    # The knowledge entry the rated turn answered with (its bubbles' ``entry_id``), if any.
    entry_id: EntryId | None = None


@router.post(
    "/chat",
    response_model=ChatResponse,
    responses=refusals(
        "Too many messages from this sender or address; friendly message",
        "Rasa unavailable; friendly message names 12345",
    ),
)
async def chat(
    body: ChatRequest,
    request: Request,
    conversation: ConversationDep,
    limiter: ChatLimiterDep,
    settings: SettingsDep,
) -> ChatResponse | JSONResponse:
    """Send one message to the assistant and get its answer."""
    if len(body.text) > settings.max_text_chars:
        raise RequestValidationError(
            [
                {
                    "loc": ("body", "text"),
                    "type": "string_too_long",
                    "msg": f"at most {settings.max_text_chars} characters",
                    "ctx": {"max_length": settings.max_text_chars},
                }
            ]
        )
    address = request.client.host if request.client else ""
    wait = limiter.check(web_sender(body.sender_id), address)
    if wait > 0:
        log.warning("rate limited: %s from %s", body.sender_id, address)
        return JSONResponse(
            {"detail": text("rate_limited"), "messages": []},
            status_code=429,
            headers={"Retry-After": str(int(wait) + 1)},
        )
    try:
        messages = await conversation.send(web_sender(body.sender_id), body.text)
    except RasaUnavailable as exc:
        log.warning("chat unavailable for %s: %s", body.sender_id, exc)
        return JSONResponse({"detail": text("rasa_unavailable"), "messages": []}, status_code=503)
    return ChatResponse(messages=with_ids(messages))


@router.post("/feedback", status_code=201)
def feedback(
    body: FeedbackRequest, database: DatabaseDep, question_log: AnswerFeedbackDep
) -> dict[str, bool]:
    """Store 有用/没用 for one answer in the app database (and in the question log)."""
    if question_log is not None:
        question_log(web_sender(body.sender_id), body.entry_id, body.useful)
    with database.session() as s:
        s.add(
            Feedback(
                sender_id=web_sender(body.sender_id),
                message_id=body.message_id,
                useful=body.useful,
                answer_text=redact(body.answer_text).text,
            )
        )
    return {"stored": True}
