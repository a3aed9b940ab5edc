"""The organisation as admins edit it: region names, shopcodes, stores and the province → region routing table.

Every change goes through ``portal.core.editing`` (audited with the values before and after; a form drawn from an
older version is refused). Wrong or inconsistent values raise ``FieldErrors`` before anything is set. A regional
admin acts on their own region only (the views load records with ``get_in_region_or_404``; the region a record is
given is checked here). These rules live in the admin layer because one of them asks the orders (a store with open
pickup orders stays open), which the org package below them cannot see.
"""
from __future__ import annotations

import re
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import func, select

from portal.auth.models import Staff
from portal.core import editing
from portal.core.errors import FieldErrors
from portal.core.tx import after_commit
from portal.extensions import db
from portal.orders.models import Order, OrderStatus
from portal.org import places
from portal.org.models import ProvinceRegion, Region, Shopcode, Store
from portal.org.places import canonical_province

CODE = re.compile(r"^[A-Z0-9][A-Z0-9_-]{1,19}$")
SHOPCODE_FIELDS = ("code", "region_id", "name", "active")
STORE_FIELDS = ("code", "name", "address", "province", "region_id", "shopcode", "active")
OPEN = (OrderStatus.DELIVERED, OrderStatus.CANCELLED)  # an order in neither is still open


def _text(value: str | None) -> str:
    return " ".join((value or "").split())


def _name_error(name: str, limit: int) -> tuple[str, str] | None:
    if not name:
        return "name_required", _("Vui lòng nhập tên.")
    if len(name) > limit:
        return "name_too_long", _("Tên dài quá %(n)d ký tự.", n=limit)
    return None


def _region_error(region_id: int | None, actor: Staff) -> tuple[str, str] | None:
    """A regional company (1–9) the actor manages."""
    region = db.session.get(Region, region_id) if region_id is not None else None
    if region is None or region.is_head_office:
        return "bad_region", _("Vui lòng chọn một công ty khu vực (CTKV1–CTKV9).")
    if not actor.is_head_office and region.id != actor.region_id:
        return "foreign_region", _("Bạn chỉ quản lý khu vực của mình (%(r)s).", r=actor.region.code)
    return None


def _code_error(code: str, model: type, column: Any, what: str) -> tuple[str, str] | None:
    if not CODE.match(code):
        return "bad_code", _("Mã gồm chữ in hoa không dấu, số, gạch ngang hoặc gạch dưới; 2–20 ký tự.")
    if db.session.scalar(select(column).where(column == code)) is not None:
        return "code_taken", _("Mã %(c)s đã có %(w)s khác dùng.", c=code, w=what)
    return None


def _raise(errors: dict[str, tuple[str, str] | None]) -> None:
    found = {name: error for name, error in errors.items() if error is not None}
    if found:
        raise FieldErrors(found)


# --- regions -------------------------------------------------------------------------------------------------------

def update_region(region: Region, drawn_from: int | None, name: str) -> dict[str, list]:
    """A region's name (its code and number are fixed: staff, orders and reports point at them)."""
    name = _text(name)
    _raise({"name": _name_error(name, 120)})
    return editing.apply(region, drawn_from, "region.update", {"name": name}, region_id=region.id)


# --- shopcodes -----------------------------------------------------------------------------------------------------

def create_shopcode(code: str, region_id: int | None, name: str, actor: Staff) -> Shopcode:
    """A new shopcode of a regional company; its code is unique and fixed."""
    code, name = _text(code).upper(), _text(name)
    _raise({"code": _code_error(code, Shopcode, Shopcode.code, _("shopcode")), "region_id": _region_error(
        region_id, actor), "name": _name_error(name, 120)})
    row = Shopcode(code=code, region_id=region_id, name=name, active=True)
    db.session.add(row)
    db.session.flush()
    editing.created(row, "shopcode.create", SHOPCODE_FIELDS)
    return row


def update_shopcode(row: Shopcode, drawn_from: int | None, name: str, active: bool) -> dict[str, list]:
    """A shopcode's name, or (de)activation: one that an active store uses stays active (say which)."""
    name = _text(name)
    errors: dict[str, tuple[str, str] | None] = {"name": _name_error(name, 120)}
    if row.active and not active:
        users = list(db.session.scalars(select(Store.code).where(Store.shopcode == row.code, Store.active.is_(True))
                                        .order_by(Store.code)))
        if users:
            errors["active"] = ("shopcode_in_use", _(
                "Chưa thể ngừng dùng: %(n)d cửa hàng đang hoạt động dùng shopcode này (%(s)s). Đổi shopcode của các "
                "cửa hàng đó trước.", n=len(users), s=", ".join(users[:5]) + ("…" if len(users) > 5 else "")))
    _raise(errors)
    return editing.apply(row, drawn_from, "shopcode.update", {"name": name, "active": active})


# --- stores --------------------------------------------------------------------------------------------------------

def _store_errors(region_id: int | None, shopcode: str, province: str, actor: Staff,
                  keep_shopcode: str | None = None) -> dict[str, tuple[str, str] | None]:
    errors = {"region_id": _region_error(region_id, actor), "shopcode": None, "province": None}
    row = db.session.get(Shopcode, shopcode) if shopcode else None
    if row is None or (not row.active and row.code != keep_shopcode):
        errors["shopcode"] = ("bad_shopcode", _("Vui lòng chọn một shopcode đang dùng."))
    elif errors["region_id"] is None and row.region_id != region_id:
        errors["shopcode"] = ("shopcode_region", _("Shopcode %(c)s thuộc %(r)s, không thuộc khu vực của cửa hàng.",
                                                   c=row.code, r=row.region.code))
    if canonical_province(province) is None:
        errors["province"] = ("bad_province", _("Vui lòng chọn một trong 34 tỉnh/thành phố."))
    return errors


def create_store(actor: Staff, *, code: str, name: str, address: str, province: str, region_id: int | None,
                 shopcode: str) -> Store:
    """A new store (code unique and fixed), in a region the actor manages, with a shopcode of that region."""
    code, name = _text(code).upper(), _text(name)
    errors = _store_errors(region_id, shopcode, province, actor)
    errors.update(code=_code_error(code, Store, Store.code, _("cửa hàng")), name=_name_error(name, 160))
    _raise(errors)
    store = Store(code=code, name=name, address=_text(address)[:300], province=canonical_province(province),
                  region_id=region_id, shopcode=shopcode, active=True)
    db.session.add(store)
    db.session.flush()
    editing.created(store, "store.create", STORE_FIELDS)
    return store


def open_pickups(store: Store) -> list[str]:
    """The order numbers of the store's pickup orders not yet handed over or cancelled."""
    return list(db.session.scalars(select(Order.order_no).where(Order.store_id == store.id, Order.status.not_in(OPEN))
                                   .order_by(Order.id)))


def update_store(store: Store, drawn_from: int | None, actor: Staff, *, name: str, address: str, province: str,
                 region_id: int | None, shopcode: str, active: bool) -> dict[str, list]:
    """A store's details, region and shopcode, or (de)activation. A store with open pickup orders stays open, and
    one with staff stays in its region (their region and store must agree): the refusal says why."""
    name = _text(name)
    errors = _store_errors(region_id, shopcode, province, actor, keep_shopcode=store.shopcode)
    errors["name"] = _name_error(name, 160)
    if store.active and not active:
        # The row locked first: an order being placed at this store right now (it holds a shared lock on the row,
        # orders.services._store) commits before the open pickups are counted, so it is among them.
        db.session.execute(select(Store.id).where(Store.id == store.id).with_for_update())
        waiting = open_pickups(store)
        if waiting:
            errors["active"] = ("store_has_open_orders", _(
                "Chưa thể ngừng hoạt động: cửa hàng còn %(n)d đơn nhận tại cửa hàng chưa giao xong (%(o)s). Giao hoặc "
                "hủy các đơn đó trước.", n=len(waiting), o=", ".join(waiting[:5]) + ("…" if len(waiting) > 5 else "")))
    if region_id != store.region_id and errors["region_id"] is None:
        staff = db.session.scalar(select(func.count(Staff.id)).where(Staff.store_id == store.id)) or 0
        if staff:
            errors["region_id"] = ("store_has_staff", _(
                "Cửa hàng có %(n)d nhân viên: chuyển họ sang cửa hàng khác trước khi đổi khu vực của cửa hàng.",
                n=staff))
    _raise(errors)
    return editing.apply(store, drawn_from, "store.update", {
        "name": name, "address": _text(address)[:300], "province": canonical_province(province),
        "region_id": region_id, "shopcode": shopcode, "active": active})


# --- province → region ---------------------------------------------------------------------------------------------

def set_province_regions(rows: list[tuple[ProvinceRegion, int | None, int | None]]) -> dict[str, list]:
    """Each province's serving region, from a form of ``(row, drawn_from, region_id)``; any row drawn from an older
    version refuses the whole form (nothing saved). Returns ``{province: [before, after]}`` of the rows changed.
    Only what is routed afterwards follows: orders and dossiers keep the region they have."""
    ctkv = set(db.session.scalars(select(Region.id).where(Region.id > 0)))
    errors = {f"region_{row.id}": ("bad_region", _("Vui lòng chọn một công ty khu vực (CTKV1–CTKV9)."))
              for row, _drawn, region_id in rows if region_id not in ctkv}
    if errors:
        raise FieldErrors(errors)
    changed: dict[str, list] = {}
    for row, drawn_from, region_id in rows:
        change = editing.apply(row, drawn_from, "province_region.update", {"region_id": region_id},
                               region_id=region_id)
        if change:
            changed[row.province] = change["region_id"]
    if changed:
        after_commit(places.changed)  # every process routes by the new rows (this one at once)
    return changed
