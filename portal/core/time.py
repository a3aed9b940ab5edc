"""Time in one place: the database stores naive UTC, the UI shows Asia/Ho_Chi_Minh."""
from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")


def utcnow() -> datetime:
    """Naive UTC now (what every DateTime column stores)."""
    return datetime.now(UTC).replace(tzinfo=None)


def vietnam_today() -> date:
    """Today's date in Vietnam (days of offers, pickups and cash reports)."""
    return datetime.now(VIETNAM).date()


def vietnam_to_utc(local: datetime) -> datetime:
    """A naive Vietnamese wall-clock time as the naive UTC the columns store."""
    return local.replace(tzinfo=VIETNAM).astimezone(UTC).replace(tzinfo=None)
