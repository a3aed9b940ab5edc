"""Time in one place: the database stores naive UTC, the UI shows Asia/Ho_Chi_Minh."""
from __future__ import annotations

from datetime import UTC, datetime


def utcnow() -> datetime:
    """Naive UTC now (what every DateTime column stores)."""
    return datetime.now(UTC).replace(tzinfo=None)
