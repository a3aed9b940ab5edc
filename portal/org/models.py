"""Regions (0 = head office, 1–9 = CTKV 1–9), their shopcodes and stores, and which region serves each province.

Each is edited on the admin screens through ``portal.core.editing`` (``Versioned``: two admins at once, the second
is told)."""
from __future__ import annotations

from sqlalchemy import Boolean, ForeignKey, Integer, String, true
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.core.editing import Versioned
from portal.extensions import Model


class Region(Versioned, Model):
    __tablename__ = "region"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    code: Mapped[str] = mapped_column(String(10), unique=True)  # TCT, CTKV1 … CTKV9
    name: Mapped[str] = mapped_column(String(120))

    shopcodes: Mapped[list[Shopcode]] = relationship(back_populates="region", order_by="Shopcode.code")

    @property
    def is_head_office(self) -> bool:
        return self.id == 0

    @property
    def short_name(self) -> str:
        """"CTKV1 (Hà Nội)": the regional company's code and its seat, for selects and tables where the full name
        ("Công ty Dịch vụ MobiFone Khu vực 1 (Hà Nội)") does not fit."""
        seat = self.name[self.name.find("("):] if "(" in self.name else ""
        return f"{self.code} {seat}".strip()

    def __str__(self) -> str:
        return self.name


class Shopcode(Versioned, Model):
    """A regional company's shop code: orders are routed to one (SPEC routing rule)."""

    __tablename__ = "shopcode"

    code: Mapped[str] = mapped_column(String(20), primary_key=True)
    region_id: Mapped[int] = mapped_column(ForeignKey("region.id"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())

    region: Mapped[Region] = relationship(back_populates="shopcodes")

    @property
    def id(self) -> str:
        """The code is the key: the audit log names the record by it."""
        return self.code


class Store(Versioned, Model):
    """A store (cửa hàng / điểm giao dịch) where customers may pick up a SIM."""

    __tablename__ = "store"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(160))
    address: Mapped[str] = mapped_column(String(300), default="")
    province: Mapped[str] = mapped_column(String(80), default="")
    region_id: Mapped[int] = mapped_column(ForeignKey("region.id"), index=True)
    shopcode: Mapped[str | None] = mapped_column(ForeignKey("shopcode.code"))
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    region: Mapped[Region] = relationship()


class ProvinceRegion(Versioned, Model):
    """Which regional company serves a province (the routing rule of new orders and dossiers; SPEC "Actors and
    systems"). Seeded from ``places.PROVINCES``; admins change it on their screen. Records already routed keep their
    region: only what is routed afterwards follows the new row."""

    __tablename__ = "province_region"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    province: Mapped[str] = mapped_column(String(80), unique=True)  # one of the 34, spelled as places.PROVINCES
    region_id: Mapped[int] = mapped_column(ForeignKey("region.id"))

    region: Mapped[Region] = relationship()
