"""Searches counted per day and channel (the partners report): one upsert per search, the same SQL on SQLite and
PostgreSQL (``INSERT … ON CONFLICT DO UPDATE``), in a transaction of its own once the request is over
(``core.tx.independently``): a search is a GET that has read the inventory, and on SQLite turning that read into a
write fails at once ("database is locked") whenever another writer committed meanwhile."""
from __future__ import annotations

from sqlalchemy import Connection, text

from portal.core.time import vietnam_today
from portal.core.tx import independently

_UPSERT = text("INSERT INTO search_count (day, channel, n) VALUES (:day, :channel, 1) "
               "ON CONFLICT (day, channel) DO UPDATE SET n = search_count.n + 1")


def count_search(channel: str) -> None:
    """One more search today on ``channel`` ("web", "app", "partner:<id>"), written when the request ends."""
    independently(_add_one, vietnam_today(), channel[:40])


def _add_one(connection: Connection, day: object, channel: str) -> None:
    connection.execute(_UPSERT, {"day": day, "channel": channel})
