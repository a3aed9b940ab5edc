"""Package offers with their conditions (SPEC: the TN4G eSIM promotion is one of this kind)."""
from __future__ import annotations

from datetime import date, datetime
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, Boolean, Date, DateTime, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from portal.core.time import utcnow
from portal.extensions import Model

# Sales channels an offer may be limited to; a ticket's channel "partner:<id>" counts as "partner".
CHANNELS = {"web": _l("Website Chọn số"), "app": _l("Ứng dụng Chọn số"), "partner": _l("Kênh đối tác (API)")}


class Offer(Model):
    """An offer of a tariff package, with the conditions an order must meet to get it."""

    __tablename__ = "offer"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)  # what staff and the order keep: "TN4G"
    name: Mapped[str] = mapped_column(String(120))
    package: Mapped[str] = mapped_column(String(20))  # the tariff package given, e.g. TN4G
    description: Mapped[str] = mapped_column(String(500), default="")
    # Conditions: empty list = any.
    sim_types: Mapped[list[str]] = mapped_column(JSON, default=list)
    channels: Mapped[list[str]] = mapped_column(JSON, default=list)
    starts_on: Mapped[date] = mapped_column(Date)  # first day, Vietnam time
    ends_on: Mapped[date] = mapped_column(Date)  # last day included
    new_subscriber_only: Mapped[bool] = mapped_column(Boolean, default=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)

    @property
    def summary(self) -> str:
        """What the order keeps and the customer reads before paying."""
        return f"{self.name} — {self.description}"[:300] if self.description else self.name[:300]

    def as_dict(self) -> dict[str, Any]:
        return {"code": self.code, "name": self.name, "package": self.package, "description": self.description,
                "sim_types": list(self.sim_types or []), "channels": list(self.channels or []),
                "starts_on": self.starts_on.isoformat(), "ends_on": self.ends_on.isoformat(),
                "new_subscriber_only": self.new_subscriber_only, "active": self.active}
