"""Province → region: which regional company serves the customers of each of the 34 provinces (the routing of new
orders and dossiers). Head office only: moving a province moves work between two regions.

One form holds every province with the region and version each row was drawn from; saving applies the rows the
admin changed through portal.core.editing (one audit row per province changed, before/after). If one of those rows
was changed meanwhile by another admin, the whole form is refused (409, the latest values and what this admin chose
shown side by side, nothing saved); a row the admin left alone is no conflict.
"""
from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from portal.admin import bp
from portal.admin import organisation as org
from portal.admin.forms import region_number
from portal.core import editing
from portal.core.access import allow
from portal.core.digits import is_ascii_digits
from portal.core.errors import FieldErrors, PortalError
from portal.core.forms import PortalForm
from portal.core.models import AuditEntry
from portal.core.roles import Role
from portal.extensions import db
from portal.org.models import ProvinceRegion, Region
from portal.org.places import PROVINCES, province_names

HEAD_OFFICE = (Role.ADMIN,)


def _rows() -> list[ProvinceRegion]:
    order = {name: i for i, name in enumerate(province_names())}
    rows = list(db.session.scalars(select(ProvinceRegion)))
    return sorted(rows, key=lambda row: order.get(row.province, len(order)))


def _render(chosen: dict[int, int | None] | None = None, errors: dict[str, str] | None = None,
            stale: dict[str, Any] | None = None, status: int = 200):
    regions = list(db.session.scalars(select(Region).where(Region.id > 0).order_by(Region.id)))
    history = list(db.session.scalars(select(AuditEntry).where(AuditEntry.action == "province_region.update")
                                      .order_by(AuditEntry.id.desc()).limit(30)))
    names = {row.id: row.province for row in db.session.scalars(select(ProvinceRegion))}
    return render_template("admin/provinces.html", rows=_rows(), regions=regions, chosen=chosen or {},
                           errors=errors or {}, stale=stale, seed=PROVINCES, history=history, names=names,
                           codes={r.id: r.code for r in regions}, form=PortalForm(formdata=None)), status


@bp.route("/provinces")
@allow(Role.ADMIN, head_office=HEAD_OFFICE)
def provinces():
    return _render()


@bp.route("/provinces", methods=["POST"])
@allow(Role.ADMIN, head_office=HEAD_OFFICE)
def provinces_update():
    form = PortalForm()
    if not form.validate_on_submit():
        flash(" ".join(e for errors in form.errors.values() for e in errors), "danger")
        return _render(status=400)
    chosen = {row.id: region_number(request.form.get(f"region_{row.id}")) for row in _rows()
              if f"region_{row.id}" in request.form}
    # Only the rows this admin changed (the region chosen is not the one the page showed): another admin's change
    # of a province this one left alone is no conflict.
    submitted = [(row, _number(f"version_{row.id}"), chosen[row.id]) for row in _rows()
                 if row.id in chosen and chosen[row.id] != _number(f"was_{row.id}")]
    try:
        with editing.committed():
            changed = org.set_province_regions(submitted)
    except FieldErrors as exc:
        db.session.rollback()
        return _render(chosen, {name: message for name, (_code, message) in exc.fields.items()}, status=422)
    except PortalError as exc:
        db.session.rollback()
        if exc.code != "stale_edit":
            flash(exc.message, "danger")
            return _render(chosen, status=exc.status)
        return _render(stale={"message": exc.message, "rows": _differences(chosen)}, status=409)
    if changed:
        flash(_("Đã lưu: %(list)s. Đơn hàng và hồ sơ đã có giữ nguyên khu vực; chỉ đơn và hồ sơ mới theo bảng mới.",
                list="; ".join(f"{name} CTKV{before} → CTKV{after}" for name, (before, after) in changed.items())),
              "success")
    else:
        flash(_("Không có gì thay đổi."), "info")
    return redirect(url_for("admin.provinces"))


def _number(name: str) -> int | None:
    raw = request.form.get(name, "")
    return int(raw) if is_ascii_digits(raw) and len(raw) < 10 else None


def _differences(chosen: dict[int, int | None]) -> list[tuple[str, str, str]]:
    """Where this admin's choice differs from the table as it is now: (province, latest, chosen)."""
    db.session.expire_all()
    codes = {r.id: r.code for r in db.session.scalars(select(Region))}
    return [(row.province, codes.get(row.region_id, "—"), codes.get(chosen[row.id] or -1, "—"))
            for row in _rows() if row.id in chosen and chosen[row.id] != row.region_id]
