"""The audit log page for supervisors and admins."""
from flask import Blueprint
from flask_babel import lazy_gettext as _l

from portal.core.domains import Domain
from portal.core.nav import OVERSIGHT, SUPERVISION, NavItem

bp = Blueprint("audit", __name__, url_prefix="/audit")

from portal.audit import views  # noqa: E402,F401

DOMAIN = Domain(blueprints=(bp,), nav=(
    NavItem(90, "audit.index", _l("Nhật ký hệ thống"), OVERSIGHT, _l("Ai đã làm gì, với hồ sơ nào, khi nào."),
            "journal", group=SUPERVISION),
))
