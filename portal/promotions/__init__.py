"""Promotions: package offers (gói cước ưu đãi) attached to orders before payment, and their admin pages."""
from flask import Blueprint
from flask_babel import lazy_gettext as _l

from portal.core.domains import Domain
from portal.core.nav import ADMINS, NavItem

bp = Blueprint("promotions", __name__, url_prefix="/promotions")

from portal.promotions import models, services, views  # noqa: E402,F401

DOMAIN = Domain(blueprints=(bp,), reference_data=services.ensure_reference_offers, nav=(
    NavItem(80, "promotions.index", _l("Ưu đãi"), ADMINS,
            _l("Ưu đãi gói cước gắn vào đơn hàng: điều kiện loại SIM, kênh, thời gian, thuê bao mới."), "gift",
            in_menu=False),
))
