"""Durations in SQL on both engines: seconds between two naive-UTC DateTime columns."""
from __future__ import annotations

from typing import Any

from sqlalchemy import Float, cast, func

from portal.extensions import db


def seconds_between(start: Any, end: Any) -> Any:
    """``end - start`` in seconds (a float): julianday on SQLite, EXTRACT(EPOCH …) on PostgreSQL."""
    if db.engine.dialect.name == "sqlite":
        return (func.julianday(end) - func.julianday(start)) * 86400.0
    return cast(func.extract("epoch", end - start), Float)
