"""The app database as the app opens it: connected and migrated by Alembic."""

from __future__ import annotations

from app import schema
from core.database import Database


def open_database(url: str) -> Database:
    """A database at ``url`` with the newest schema."""
    database = Database(url)
    database.open()
    schema.upgrade(database)
    return database
