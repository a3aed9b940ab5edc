"""Partner keys page (admins): list the sales channels, create one (its key is shown once), revoke one."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from portal.core.access import allow
from portal.core.errors import PortalError
from portal.core.roles import Role
from portal.extensions import db
from portal.partners import bp
from portal.partners import services as partners
from portal.partners.forms import PartnerCreateForm, PartnerRevokeForm
from portal.partners.models import Partner


def _index(form: PartnerCreateForm, status: int = 200):
    rows = db.session.scalars(select(Partner).order_by(Partner.status, Partner.name)).all()
    return render_template("partners/index.html", partners=rows, form=form, revoke_form=PartnerRevokeForm()), status


@bp.route("/partners/")
@allow(Role.ADMIN)
def index():
    return _index(PartnerCreateForm())


@bp.route("/partners/", methods=["POST"])
@allow(Role.ADMIN)
def create():
    form = PartnerCreateForm()
    if not form.validate_on_submit():
        return _index(form, 422)
    try:
        partner, key = partners.create_partner(form.name.data, actor=current_user)
    except PortalError as exc:
        db.session.rollback()
        form.name.errors = [*form.name.errors, exc.message]
        return _index(form, 422)
    db.session.commit()
    # The key is on this page only: it is not stored, and never goes into a cookie or a flash message.
    return render_template("partners/created.html", partner=partner, key=key)


@bp.route("/partners/<int:partner_id>/revoke", methods=["POST"])
@allow(Role.ADMIN)
def revoke(partner_id: int):
    partner = db.session.get(Partner, partner_id)
    if partner is None:
        abort(404)
    form = PartnerRevokeForm()
    if not form.validate_on_submit():
        flash(" ".join(e for errors in form.errors.values() for e in errors), "danger")
        return _index(PartnerCreateForm(formdata=None), 422)
    try:
        partners.revoke_partner(partner, current_user, form.reason.data or "")
    except PortalError as exc:  # revoked meanwhile (another admin): the list as it is now, with why
        db.session.rollback()
        flash(exc.message if exc.code != "invalid_transition" else
              _("Khóa API của %(name)s đã được thu hồi trước đó (có thể bởi quản trị viên khác).", name=partner.name),
              "danger")
        return _index(PartnerCreateForm(formdata=None), exc.status)
    db.session.commit()
    flash(_("Đã thu hồi khóa API của %(name)s: mọi lệnh gọi bằng khóa này bị từ chối.", name=partner.name), "success")
    return redirect(url_for("partners.index"))
