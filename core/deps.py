"""Typed FastAPI dependencies on the services the composition root built (``app.bootstrap``).

Routes name what they need (``database: DatabaseDep``) instead of reading ``app.state``.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from core.database import Database
from core.settings import Settings


def get_database(request: Request) -> Database:
    """The app database."""
    return request.app.state.database  # type: ignore[no-any-return]


def get_app_settings(request: Request) -> Settings:
    """The settings the app was built with."""
    return request.app.state.settings  # type: ignore[no-any-return]


DatabaseDep = Annotated[Database, Depends(get_database)]
SettingsDep = Annotated[Settings, Depends(get_app_settings)]
