"""Sales channels (partners): the keys page, the ``partners`` CLI group and the partner API under /api/v1."""
from flask import Blueprint
from flask_babel import lazy_gettext as _l

from portal.core.domains import Domain
from portal.core.nav import ADMINS, NavItem

# No url_prefix: a nested blueprint's prefix is joined to its parent's, and the API lives at /api/v1.
bp = Blueprint("partners", __name__)

from portal.partners import cli, models, views  # noqa: E402,F401
from portal.partners.api import api_bp  # noqa: E402

bp.register_blueprint(api_bp)  # endpoints "partners.api.*"

DOMAIN = Domain(blueprints=(bp,), nav=(
    NavItem(110, "partners.index", _l("Đối tác API"), ADMINS,
            _l("Khóa API của các kênh bán hàng: tạo, thu hồi; tài liệu tích hợp."), "key", in_menu=False),
))
