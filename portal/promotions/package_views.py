"""Admin pages of the tariff package catalogue (/promotions/packages): list, add, edit, stop and restart. Every change
is audited with the values before and after; an edit drawn from an older version is refused with the latest values
shown (409)."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _

from portal.core import editing
from portal.core.access import allow
from portal.core.roles import Role
from portal.extensions import db
from portal.promotions import bp
from portal.promotions import packages as catalogue
from portal.promotions.forms import PackageForm
from portal.promotions.models import Package

FIELD_OF_ERROR = {"package_code_taken": "code", "package_name_taken": "name", "package_name_missing": "name",
                  "package_bad_price": "monthly_price"}


def _package(package_id: int) -> Package:
    package = db.session.get(Package, package_id)
    if package is None:
        abort(404)
    return package


def _form_of(package: Package) -> PackageForm:
    form = PackageForm(obj=package)
    form.code.data = package.code  # what offers keep: it does not change
    return form


@bp.get("/packages/")
@allow(Role.ADMIN)
def packages():
    rows = catalogue.packages()
    return render_template("promotions/packages.html", packages=rows,
                           used={p.code: catalogue.offers_using(p, active_only=False) for p in rows})


def _page(form: PackageForm, package: Package | None, status: int = 200, typed=()):
    return render_template("promotions/package_edit.html", form=form, package=package, typed=typed), status


def _edit(form: PackageForm, package: Package | None):
    def saved():
        flash(_("Đã lưu gói cước %(c)s.", c=form.code.data.strip().upper()), "success")
        return redirect(url_for("promotions.packages"))

    return editing.form_page(
        form, package, lambda: catalogue.create_package(form.code.data, form.values()) if package is None else
        catalogue.update_package(package, form.version.data, form.values()),
        latest=lambda: _package(package.id), field_of=lambda exc: FIELD_OF_ERROR.get(exc.code, "name"),
        page=_page, saved=saved)


@bp.route("/packages/new", methods=["GET", "POST"])
@allow(Role.ADMIN)
def package_create():
    return _edit(PackageForm(), None)


@bp.route("/packages/<int:package_id>", methods=["GET", "POST"])
@allow(Role.ADMIN)
def package_edit(package_id: int):
    package = _package(package_id)
    return _edit(_form_of(package), package)


@bp.post("/packages/<int:package_id>/active")
@allow(Role.ADMIN)
def package_toggle(package_id: int):
    package = _package(package_id)
    refused = editing.one_button(lambda version: catalogue.set_package_active(package, version, not package.active))
    if refused:
        flash(refused.message, "danger")
        return packages(), refused.status  # the list again, with the latest values
    flash(_("Đã mở bán lại gói %(c)s.", c=package.code) if package.active else
          _("Đã ngừng gói %(c)s: ưu đãi mới không chọn được gói này.", c=package.code), "success")
    return redirect(url_for("promotions.packages"))
