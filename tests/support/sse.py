"""Server-Sent Events as the live stream sends them: FastAPI's wire format, and a reader."""

from __future__ import annotations

from fastapi.sse import ServerSentEvent, format_sse_event


def wire(event: ServerSentEvent) -> str:
    """The text FastAPI writes for ``event`` (``fastapi.routing`` uses ``raw_data`` as is)."""
    assert event.data is None, "the live stream sends raw_data only"
    return format_sse_event(
        data_str=event.raw_data,
        event=event.event,
        id=event.id,
        retry=event.retry,
        comment=event.comment,
    ).decode("utf-8")


def fields(text: str) -> dict[str, str]:
    """The fields of one event (``name: value`` lines); comment lines are left out."""
    found: dict[str, str] = {}
    for line in text.strip("\n").split("\n"):
        if line and not line.startswith(":"):
            name, _, value = line.partition(":")
            found[name] = value[1:] if value.startswith(" ") else value
    return found


def events(text: str) -> list[dict[str, str]]:
    """Every event in a stretch of stream text (blank-line separated), comments left out."""
    return [f for block in text.split("\n\n") if (f := fields(block))]
