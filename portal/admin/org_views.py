"""Regions and their shopcodes, stores: the admin screens. A regional admin sees and edits their own region's
records (another region's is a 404); head office all. The rules are in portal.admin.organisation."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select

from portal.admin import bp
from portal.admin import organisation as org
from portal.admin.org_forms import RegionForm, ShopcodeCreateForm, ShopcodeEditForm, StoreCreateForm, StoreEditForm
from portal.admin.screens import (
    audit_history,
    refused,
    region_choices,
    scope_regions,
    shopcode_choices,
    shown_values,
)
from portal.auth.models import Staff
from portal.core import editing
from portal.core.access import allow, get_in_region_or_404, in_region
from portal.core.errors import PortalError
from portal.core.roles import Role
from portal.extensions import db
from portal.org.models import Region, Shopcode, Store


def _labels(form: Any) -> dict[str, str]:
    """Audit field names → the form's labels, for the history table."""
    return {f.name: str(f.label.text) for f in form if f.name not in ("csrf_token", "version")} | {"code": _("Mã")}


def _saved(changes: dict) -> None:
    flash(_("Đã lưu.") if changes else _("Không có gì thay đổi."), "success" if changes else "info")


def _edit(form: Any, latest: Callable[[], Any], render: Callable[..., Any], save: Callable[[], dict],
          done: str) -> Any:
    """Validate, save through ``save`` (in editing.committed), then back to ``done``; a refusal shows the page again."""
    if not form.validate_on_submit():
        return render(form=form, status=422)
    try:
        with editing.committed():
            changes = save()
    except PortalError as exc:
        return refused(exc, form, latest, render)
    _saved(changes)
    return redirect(done)


# --- regions and shopcodes -----------------------------------------------------------------------------------------

def _counts(column: Any, model: type) -> dict[int, int]:
    return dict(db.session.execute(select(column, func.count()).select_from(model).group_by(column)).tuples().all())


@bp.route("/regions")
@allow(Role.ADMIN)
def regions():
    return render_template("admin/regions.html", regions=scope_regions(),
                           shopcodes=_counts(Shopcode.region_id, Shopcode), stores=_counts(Store.region_id, Store),
                           staff=_counts(Staff.region_id, Staff))


def _region(region_id: int) -> Region:
    return get_in_region_or_404(Region, region_id, region_of=lambda r: r.id)


def _region_form(region: Region) -> RegionForm:
    return RegionForm(formdata=None, name=region.name, version=region.version)


def _render_region(region_id: int, form: RegionForm | None = None, stale=None, status: int = 200,
                   shopcode_form: ShopcodeCreateForm | None = None):
    region = db.session.get(Region, region_id)
    return render_template(
        "admin/region_detail.html", region=region, form=form or _region_form(region), stale=stale,
        shopcode_form=shopcode_form or ShopcodeCreateForm(formdata=None, prefix="new"),
        shopcodes=list(db.session.scalars(select(Shopcode).where(Shopcode.region_id == region.id)
                                          .order_by(Shopcode.code))),
        history=audit_history(region), labels=_labels(form or _region_form(region)), shown=shown_values()), status


@bp.route("/regions/<int:region_id>")
@allow(Role.ADMIN)
def region_detail(region_id: int):
    return _render_region(_region(region_id).id)


@bp.route("/regions/<int:region_id>", methods=["POST"])
@allow(Role.ADMIN)
def region_update(region_id: int):
    region = _region(region_id)
    form = RegionForm()
    return _edit(form, lambda: _region_form(db.session.get(Region, region_id)),
                 lambda form, status, stale=None: _render_region(region_id, form, stale, status),
                 lambda: org.update_region(region, form.version.data, form.name.data or ""),
                 url_for("admin.region_detail", region_id=region_id))


@bp.route("/regions/<int:region_id>/shopcodes", methods=["POST"])
@allow(Role.ADMIN)
def shopcode_create(region_id: int):
    region = _region(region_id)
    form = ShopcodeCreateForm(prefix="new")  # beside the region's own form: its fields named new-code, new-name
    if form.validate_on_submit():
        try:
            row = org.create_shopcode(form.code.data or "", region.id, form.name.data or "", current_user)
        except PortalError as exc:
            return refused(exc, form, lambda: form, lambda form, status, stale=None: _render_region(
                region_id, shopcode_form=form, status=status))
        db.session.commit()
        flash(_("Đã thêm shopcode %(c)s.", c=row.code), "success")
        return redirect(url_for("admin.region_detail", region_id=region_id))
    return _render_region(region_id, shopcode_form=form, status=422)


def _shopcode_form(row: Shopcode) -> ShopcodeEditForm:
    return ShopcodeEditForm(formdata=None, name=row.name, active=row.active, version=row.version)


def _render_shopcode(code: str, form: ShopcodeEditForm | None = None, stale=None, status: int = 200):
    row = db.session.get(Shopcode, code)
    form = form or _shopcode_form(row)
    stores = list(db.session.scalars(select(Store).where(Store.shopcode == code).order_by(Store.code)))
    return render_template("admin/shopcode_detail.html", row=row, form=form, stale=stale, stores=stores,
                           history=audit_history(row), labels=_labels(form), shown=shown_values()), status


@bp.route("/shopcodes/<code>")
@allow(Role.ADMIN)
def shopcode_detail(code: str):
    return _render_shopcode(get_in_region_or_404(Shopcode, code[:20]).code)


@bp.route("/shopcodes/<code>", methods=["POST"])
@allow(Role.ADMIN)
def shopcode_update(code: str):
    row = get_in_region_or_404(Shopcode, code[:20])
    form = ShopcodeEditForm()
    return _edit(form, lambda: _shopcode_form(db.session.get(Shopcode, row.code)),
                 lambda form, status, stale=None: _render_shopcode(row.code, form, stale, status),
                 lambda: org.update_shopcode(row, form.version.data, form.name.data or "", bool(form.active.data)),
                 url_for("admin.shopcode_detail", code=row.code))


# --- stores --------------------------------------------------------------------------------------------------------

@bp.route("/stores")
@allow(Role.ADMIN)
def stores():
    show = request.args.get("show", "active")
    stmt = in_region(select(Store), Store.region_id)
    if show == "active":
        stmt = stmt.where(Store.active.is_(True))
    elif show == "inactive":
        stmt = stmt.where(Store.active.is_(False))
    rows = list(db.session.scalars(stmt.order_by(Store.region_id, Store.code)))
    clerks = _counts(Staff.store_id, Staff)
    return render_template("admin/stores.html", stores=rows, show=show, clerks=clerks)


def _fill_store(form: StoreCreateForm | StoreEditForm, keep_shopcode: str | None = None) -> None:
    form.region_id.choices = [("", _("— Chọn khu vực —"))] + region_choices(ctkv_only=True)
    form.shopcode.choices = shopcode_choices(keep_shopcode)


def _render_store_new(form: StoreCreateForm, status: int = 200, stale=None):
    return render_template("admin/store_new.html", form=form), status


@bp.route("/stores/new")
@allow(Role.ADMIN)
def store_new():
    form = StoreCreateForm(formdata=None, region_id=None if current_user.is_head_office else current_user.region_id)
    _fill_store(form)
    return _render_store_new(form)


@bp.route("/stores/new", methods=["POST"])
@allow(Role.ADMIN)
def store_create():
    form = StoreCreateForm()
    _fill_store(form)
    if not form.validate_on_submit():
        return _render_store_new(form, 422)
    try:
        store = org.create_store(current_user, code=form.code.data or "", name=form.name.data or "",
                                 address=form.address.data or "", province=form.province.data or "",
                                 region_id=form.region_id.data, shopcode=form.shopcode.data or "")
    except PortalError as exc:
        return refused(exc, form, lambda: form, lambda form, status, stale=None: _render_store_new(form, status))
    db.session.commit()
    flash(_("Đã thêm cửa hàng %(c)s.", c=store.code), "success")
    return redirect(url_for("admin.store_detail", store_id=store.id))


def _store_form(store: Store) -> StoreEditForm:
    form = StoreEditForm(formdata=None, name=store.name, address=store.address, province=store.province,
                         region_id=store.region_id, shopcode=store.shopcode or "", active=store.active,
                         version=store.version)
    _fill_store(form, store.shopcode)
    return form


def _render_store(store_id: int, form: StoreEditForm | None = None, stale=None, status: int = 200):
    store = db.session.get(Store, store_id)
    form = form or _store_form(store)
    staff = list(db.session.scalars(select(Staff).where(Staff.store_id == store.id).order_by(Staff.username)))
    return render_template("admin/store_detail.html", store=store, form=form, stale=stale, staff=staff,
                           open_orders=org.open_pickups(store), history=audit_history(store),
                           labels=_labels(form), shown=shown_values()), status


@bp.route("/stores/<int:store_id>")
@allow(Role.ADMIN)
def store_detail(store_id: int):
    return _render_store(get_in_region_or_404(Store, store_id).id)


@bp.route("/stores/<int:store_id>", methods=["POST"])
@allow(Role.ADMIN)
def store_update(store_id: int):
    store = get_in_region_or_404(Store, store_id)
    form = StoreEditForm()
    _fill_store(form, store.shopcode)
    return _edit(form, lambda: _store_form(db.session.get(Store, store_id)),
                 lambda form, status, stale=None: _render_store(store_id, form, stale, status),
                 lambda: org.update_store(store, form.version.data, current_user, name=form.name.data or "",
                                          address=form.address.data or "", province=form.province.data or "",
                                          region_id=form.region_id.data, shopcode=form.shopcode.data or "",
                                          active=bool(form.active.data)),
                 url_for("admin.store_detail", store_id=store_id))
