"""Holds: a customer's hold ticket (phiếu giữ số) on one number or a pair."""
from flask import Blueprint
from flask_babel import lazy_gettext as _l

from portal.core.domains import Domain
from portal.core.nav import NavItem
from portal.core.roles import ALL_STAFF

bp = Blueprint("holds", __name__, url_prefix="/holds")

from portal.holds import models, views  # noqa: E402,F401

DOMAIN = Domain(blueprints=(bp,), nav=(
    NavItem(40, "holds.index", _l("Phiếu giữ số"), ALL_STAFF,
            _l("Tra cứu phiếu giữ số theo mã, số điện thoại hoặc số thuê bao."), "ticket"),
))
