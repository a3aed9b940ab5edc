"""What the carrier told us: one row per status callback, kept whatever it changed."""
from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, BigInteger, DateTime, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from portal.core.models import status_enum
from portal.core.time import utcnow
from portal.extensions import Model


class EventOutcome(StrEnum):
    APPLIED = "applied"  # moved the order to another tab
    RECORDED = "recorded"  # same tab (e.g. storing while delivering): carrier status noted
    STALE = "stale"  # out of order (a late "picking" after "delivered"): nothing changed
    DUPLICATE = "duplicate"  # the same event again
    NEEDS_PERSON = "needs_person"  # fits no move from where the order is (lost, "delivered" before the hand-over)
    UNKNOWN_ORDER = "unknown_order"


class CarrierEvent(Model):
    __tablename__ = "carrier_event"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    received_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)
    carrier: Mapped[str] = mapped_column(String(20))
    # sha256(carrier|order code|status|time): the same callback twice is one event (checklist 23).
    event_key: Mapped[str] = mapped_column(String(64), unique=True)
    order_id: Mapped[int | None] = mapped_column(ForeignKey("customer_order.id"), index=True)
    carrier_order_code: Mapped[str] = mapped_column(String(40), default="")
    client_order_code: Mapped[str] = mapped_column(String(40), default="")
    status: Mapped[str] = mapped_column(String(30))
    reason: Mapped[str] = mapped_column(String(300), default="")
    cod_amount: Mapped[int | None] = mapped_column(BigInteger)
    event_time: Mapped[str] = mapped_column(String(40), default="")
    outcome: Mapped[EventOutcome] = mapped_column(status_enum(EventOutcome))
    payload: Mapped[dict] = mapped_column(JSON, default=dict)


class OrderTabCount(Model):
    """How many orders each (region, status, receiving method) holds: the board's unfiltered counts in O(1).

    Kept by database triggers on ``customer_order`` (migration 0009_shipping), so every writer — the
    orders domain placing orders, transitions, bulk loads — keeps it right without knowing it exists.
    """

    __tablename__ = "order_tab_count"

    region_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    status: Mapped[str] = mapped_column(String(20), primary_key=True)
    receive_method: Mapped[str] = mapped_column(String(10), primary_key=True)
    n: Mapped[int] = mapped_column(BigInteger, default=0)
