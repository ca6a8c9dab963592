"""The declarative base of every table of the app database (a leaf: imports no feature)."""

from __future__ import annotations

from sqlalchemy.orm import DeclarativeBase


class Base(DeclarativeBase):
    """Base class of every table of the app database."""
