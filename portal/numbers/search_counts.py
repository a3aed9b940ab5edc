"""Searches counted per day and channel (the partners report): one upsert per search, the same SQL on SQLite and
PostgreSQL (``INSERT … ON CONFLICT DO UPDATE``), in the request's transaction: the caller commits."""
from __future__ import annotations

from sqlalchemy import text

from portal.core.time import vietnam_today
from portal.extensions import db

_UPSERT = text("INSERT INTO search_count (day, channel, n) VALUES (:day, :channel, 1) "
               "ON CONFLICT (day, channel) DO UPDATE SET n = search_count.n + 1")


def count_search(channel: str) -> None:
    """One more search today on ``channel`` ("web", "app", "partner:<id>")."""
    db.session.execute(_UPSERT, {"day": vietnam_today(), "channel": channel[:40]})
