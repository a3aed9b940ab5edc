"""Promotions: the tariff package catalogue (gói cước) and the package offers attached to orders before payment,
with their admin pages."""
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
    NavItem(81, "promotions.packages", _l("Gói cước"), ADMINS,
            _l("Danh mục gói cước: mã, tên, giá cước tháng, data và phút gọi; ưu đãi chọn gói từ đây."), "box",
            in_menu=False),
))
