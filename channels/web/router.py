"""Serves the senior-mode web chat page (``/``), its files (``/static``) and small JSON APIs.

The chat itself goes through ``POST /api/chat`` and ``POST /api/feedback``
(:mod:`channels.webchat`).
"""

from __future__ import annotations

import mimetypes
from pathlib import Path

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel

from core.deps import SettingsDep

STATIC_DIR = Path(__file__).resolve().parent / "static"
# The page loads native ES modules (static/js/), which browsers refuse unless they come with a
# JavaScript type; pin it so it does not depend on the host's MIME table.
mimetypes.add_type("text/javascript", ".js")
EVENTS_PATH = "/api/events"  # live alerts (Server-Sent Events), served by the alerts feature

# Everything the page needs comes from this origin; no inline scripts or styles.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; media-src 'self'; font-src 'self'; object-src 'none'; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
PAGE_HEADERS = {
    "Content-Security-Policy": CSP,
    "Cache-Control": "no-cache",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}

router = APIRouter(tags=["web page"])
router.mount("/static", StaticFiles(directory=STATIC_DIR, check_dir=False), name="web-static")


class WebConfig(BaseModel):
    """What the page needs to know about this deployment."""

    hotline: str
    max_text_chars: int
    banner_poll_s: int
    events_url: str | None = None


@router.get("/", include_in_schema=False)
async def index() -> FileResponse:
    """The chat page."""
    return FileResponse(STATIC_DIR / "index.html", headers=PAGE_HEADERS)


def _serves(app: FastAPI, path: str) -> bool:
    """Whether the app has a GET route at ``path`` (read from its cached OpenAPI schema)."""
    try:
        return "get" in app.openapi().get("paths", {}).get(path, {})
    except Exception:  # a broken schema must not break the page's config
        return False


@router.get("/api/config", response_model=WebConfig)
async def config(request: Request, settings: SettingsDep) -> WebConfig:
    """Hotline and limits from the settings; the live-alert stream when the app has one."""
    return WebConfig(
        hotline=settings.hotline,
        max_text_chars=settings.max_text_chars,
        banner_poll_s=settings.banner_poll_s,
        events_url=EVENTS_PATH if _serves(request.app, EVENTS_PATH) else None,
    )
