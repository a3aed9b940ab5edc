"""Admin pages of the package offers: list, create, edit, deactivate. Every change is audited with the values before
and after; an edit drawn from an older version is refused with the latest values shown (409)."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from portal.core import editing
from portal.core.access import allow
from portal.core.roles import Role
from portal.extensions import db
from portal.holds.models import SimType
from portal.promotions import bp, package_views  # noqa: F401  (the catalogue's pages)
from portal.promotions import services as offers
from portal.promotions.forms import OfferForm
from portal.promotions.models import CHANNELS, Offer
from portal.promotions.packages import packages

FIELD_OF_ERROR = {"offer_window_reversed": "ends_on", "offer_code_taken": "code", "offer_bad_sim_type": "sim_types",
                  "offer_bad_channel": "channels", "offer_bad_package": "package", "offer_package_inactive": "package"}


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


def _with_packages(form: OfferForm, offer: Offer | None) -> OfferForm:
    """The packages an offer may give: the running ones, and the one it gives now even if stopped since."""
    choices = [(p.code, f"{p.code} — {p.name}") for p in packages(active_only=True)]
    if offer is not None and offer.package not in {code for code, _label in choices}:
        choices.append((offer.package, f"{offer.package} — {offer.package_row.name} ({_('đã ngừng')})"))
    form.package.choices = [("", _("— Chọn gói cước —")), *choices]
    return form


def _page(form: OfferForm, offer: Offer | None, status: int = 200, typed=()):
    return render_template("promotions/edit.html", form=_with_packages(form, offer), offer=offer,
                           typed=typed), status


def _edit(form: OfferForm, offer: Offer | None):
    def saved():
        flash(_("Đã lưu ưu đãi %(c)s.", c=form.code.data.strip().upper()), "success")
        return redirect(url_for("promotions.index"))

    return editing.form_page(
        form, offer, lambda: offers.create_offer(form.code.data, form.values(), current_user) if offer is None else
        offers.update_offer(offer, form.version.data, form.values(), current_user),
        latest=lambda: _offer(offer.id), field_of=lambda exc: FIELD_OF_ERROR.get(exc.code, "name"),
        page=_page, saved=saved)


@bp.route("/new", methods=["GET", "POST"])
@allow(Role.ADMIN)
def create():
    return _edit(_with_packages(OfferForm(), None), None)


@bp.route("/<int:offer_id>", methods=["GET", "POST"])
@allow(Role.ADMIN)
def edit(offer_id: int):
    offer = _offer(offer_id)
    form = _with_packages(OfferForm(obj=offer), offer)
    form.code.data = offer.code  # the code is what orders keep: it does not change
    return _edit(form, offer)


@bp.route("/<int:offer_id>/active", methods=["POST"])
@allow(Role.ADMIN)
def toggle(offer_id: int):
    offer = _offer(offer_id)
    refused = editing.one_button(lambda version: offers.set_offer_active(offer, not offer.active, current_user,
                                                                         version))
    if refused:
        flash(refused.message, "danger")
        return index(), refused.status  # the list again, with the latest values
    flash(_("Đã bật ưu đãi %(c)s.", c=offer.code) if offer.active else _("Đã tắt ưu đãi %(c)s.", c=offer.code),
          "success")
    return redirect(url_for("promotions.index"))
