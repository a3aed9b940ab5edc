"""Tariff packages (gói cước) and the offers of them with their conditions (SPEC: the TN4G eSIM promotion is one of
this kind)."""
from __future__ import annotations

from datetime import date, datetime
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, BigInteger, Boolean, Date, DateTime, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.core.editing import Versioned
from portal.core.time import utcnow
from portal.extensions import Model

# Sales channels an offer may be limited to; a ticket's channel "partner:<id>" counts as "partner".
CHANNELS = {"web": _l("Website Chọn số"), "app": _l("Ứng dụng Chọn số"), "partner": _l("Kênh đối tác (API)")}


class Package(Versioned, Model):
    """A tariff package of the catalogue (e.g. TN4G); offers give one. Its code is what offers keep: it never
    changes; a package no longer sold is deactivated, never deleted."""

    __tablename__ = "package"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    monthly_price: Mapped[int | None] = mapped_column(BigInteger)  # VND; None: not entered yet (seeded from offers)
    allowance: Mapped[str] = mapped_column(String(300), default="")  # data / minutes: "15 GB trong 10 ngày"
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)


class Offer(Versioned, Model):
    """An offer of a tariff package, with the conditions an order must meet to get it."""

    __tablename__ = "offer"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)  # what staff and the order keep: "TN4G"
    name: Mapped[str] = mapped_column(String(120))
    package: Mapped[str] = mapped_column(ForeignKey("package.code"))  # the tariff package given, e.g. TN4G
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

    package_row: Mapped[Package] = relationship(Package, lazy="joined", innerjoin=True)

    @property
    def summary(self) -> str:
        """What the order keeps and the customer reads before paying."""
        return f"{self.name} — {self.description}"[:300] if self.description else self.name[:300]

    def as_dict(self) -> dict[str, Any]:
        return {"code": self.code, "name": self.name, "package": self.package, "description": self.description,
                "sim_types": list(self.sim_types or []), "channels": list(self.channels or []),
                "starts_on": self.starts_on.isoformat(), "ends_on": self.ends_on.isoformat(),
                "new_subscriber_only": self.new_subscriber_only, "active": self.active}
