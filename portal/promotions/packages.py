"""The tariff package catalogue (gói cước): admins add, change, stop and restart packages; offers give one of them.

Every change is audited with the values before and after, and an edit drawn from an older version of the package
is refused (``portal.core.editing``). A package's code is what offers keep: it never changes, and a package is never
deleted, only stopped (it stays on the offers and orders that named it).
"""
from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from sqlalchemy import func, select

from portal.core import editing
from portal.core.errors import Conflict, Invalid
from portal.extensions import db
from portal.promotions.data import PACKAGES
from portal.promotions.models import Offer, Package

FIELDS = ("name", "monthly_price", "allowance")
MAX_MONTHLY_PRICE = 100_000_000  # VND: far above any package the operator sells


def packages(active_only: bool = False) -> list[Package]:
    """The catalogue, by code."""
    query = select(Package).order_by(Package.active.desc(), Package.code)
    return list(db.session.scalars(query.where(Package.active.is_(True)) if active_only else query))


def _check(values: dict[str, Any]) -> dict[str, Any]:
    values = {**values, "name": " ".join((values.get("name") or "").split()),
              "allowance": " ".join((values.get("allowance") or "").split())}
    price = values.get("monthly_price")
    if price is None or not 0 <= price <= MAX_MONTHLY_PRICE:
        raise Invalid("package_bad_price", _("Nhập giá cước tháng từ 0 đến 100.000.000 đồng."))
    if not values["name"]:
        raise Invalid("package_name_missing", _("Nhập tên gói cước."))
    return values


def _name_taken(name: str, but: int | None = None) -> bool:
    """Compared here, not in SQL: SQLite's lower() leaves Vietnamese capitals (Ả, Ạ…) as they are."""
    return any(other.casefold() == name.casefold() and id_ != but
               for id_, other in db.session.execute(select(Package.id, Package.name)))


def create_package(code: str, values: dict[str, Any]) -> Package:
    """An admin adds a package to the catalogue."""
    code = code.strip().upper()
    values = _check({k: values[k] for k in FIELDS})
    if db.session.scalar(select(Package.id).where(func.upper(Package.code) == code)) is not None:
        raise Conflict("package_code_taken", _("Mã gói %(c)s đã có trong danh mục.", c=code))
    if _name_taken(values["name"]):
        raise Conflict("package_name_taken", _("Đã có gói cước tên “%(n)s”.", n=values["name"]))
    return editing.insert(Package(code=code, active=True, **values), "package.create", ("code", *FIELDS, "active"))


def update_package(package: Package, drawn_from: int | None, values: dict[str, Any]) -> dict[str, list[Any]]:
    """An admin changes a package's name, price or allowance (refused if someone changed it since)."""
    values = _check({k: values[k] for k in FIELDS})
    editing.check(package, drawn_from)
    if _name_taken(values["name"], but=package.id):
        raise Conflict("package_name_taken", _("Đã có gói cước tên “%(n)s”.", n=values["name"]))
    return editing.apply(package, drawn_from, "package.update", values)


def offers_using(package: Package, active_only: bool = True) -> list[str]:
    """The codes of the offers that give ``package`` (the running ones by default)."""
    query = select(Offer.code).where(Offer.package == package.code).order_by(Offer.code)
    return list(db.session.scalars(query.where(Offer.active.is_(True)) if active_only else query))


def set_package_active(package: Package, drawn_from: int | None, active: bool) -> None:
    """Stop selling a package (or start again). A package an offer still gives cannot stop: the offer first."""
    if not active and (using := offers_using(package)):
        raise Conflict("package_in_use", _("Gói %(c)s đang được ưu đãi %(o)s sử dụng: tắt ưu đãi trước.",
                                           c=package.code, o=", ".join(using)))
    editing.apply(package, drawn_from, "package.activate" if active else "package.deactivate", {"active": active})


def ensure_reference_packages() -> None:
    """Insert the packages of the reference offers that are missing (idempotent; admins' changes are kept)."""
    have = set(db.session.scalars(select(Package.code)))
    for row in PACKAGES:
        if row["code"] not in have:
            db.session.add(Package(active=True, **row))
    db.session.flush()
