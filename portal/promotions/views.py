"""Admin pages of the package offers: list, create, edit, deactivate (every change audited)."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from portal.core.access import allow
from portal.core.errors import PortalError
from portal.core.roles import Role
from portal.extensions import db
from portal.holds.models import SimType
from portal.promotions import bp
from portal.promotions import services as offers
from portal.promotions.forms import OfferForm
from portal.promotions.models import CHANNELS, Offer

FIELD_OF_ERROR = {"offer_window_reversed": "ends_on", "offer_code_taken": "code", "offer_bad_sim_type": "sim_types",
                  "offer_bad_channel": "channels"}


def _offer(offer_id: int) -> Offer:
    offer = db.session.get(Offer, offer_id)
    if offer is None:
        abort(404)
    return offer


@bp.route("/")
@allow(Role.ADMIN)
def index():
    rows = db.session.scalars(select(Offer).order_by(Offer.active.desc(), Offer.starts_on.desc())).all()
    return render_template("promotions/index.html", offers=rows, channels=CHANNELS,
                           sim_labels={s.value: s.label for s in SimType})


def _save(form: OfferForm, offer: Offer | None):
    try:
        if offer is None:
            offer = offers.create_offer(form.code.data, form.values(), current_user)
        else:
            offers.update_offer(offer, form.values(), current_user)
    except PortalError as exc:
        db.session.rollback()
        form[FIELD_OF_ERROR.get(exc.code, "name")].errors.append(exc.message)
        return None
    db.session.commit()
    flash(_("Đã lưu ưu đãi %(c)s.", c=offer.code), "success")
    return redirect(url_for("promotions.index"))


@bp.route("/new", methods=["GET", "POST"])
@allow(Role.ADMIN)
def create():
    form = OfferForm()
    if form.validate_on_submit() and (done := _save(form, None)):
        return done
    return render_template("promotions/edit.html", form=form, offer=None), 422 if form.errors else 200


@bp.route("/<int:offer_id>", methods=["GET", "POST"])
@allow(Role.ADMIN)
def edit(offer_id: int):
    offer = _offer(offer_id)
    form = OfferForm(obj=offer)
    form.code.data = offer.code  # the code is what orders keep: it does not change
    if form.validate_on_submit() and (done := _save(form, offer)):
        return done
    return render_template("promotions/edit.html", form=form, offer=offer), 422 if form.errors else 200


@bp.route("/<int:offer_id>/active", methods=["POST"])
@allow(Role.ADMIN)
def toggle(offer_id: int):
    offer = _offer(offer_id)
    offers.set_offer_active(offer, not offer.active, current_user)
    db.session.commit()
    flash(_("Đã bật ưu đãi %(c)s.", c=offer.code) if offer.active else _("Đã tắt ưu đãi %(c)s.", c=offer.code),
          "success")
    return redirect(url_for("promotions.index"))
