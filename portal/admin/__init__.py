"""Administration: staff accounts, customer accounts and failed background jobs."""
from flask import Blueprint
from flask_babel import lazy_gettext as _l

from portal.core.domains import Domain
from portal.core.nav import ADMINS, OVERSIGHT, NavItem
from portal.core.roles import Role

bp = Blueprint("admin", __name__, url_prefix="/admin")

from portal.admin import customers, views  # noqa: E402,F401

DOMAIN = Domain(blueprints=(bp,), nav=(
    NavItem(100, "admin.staff_list", _l("Nhân sự"), ADMINS,
            _l("Tạo tài khoản, phân quyền, khóa tài khoản nhân viên."), "people"),
    NavItem(115, "admin.customers", _l("Khách hàng"), OVERSIGHT,
            _l("Tài khoản khách hàng: tìm theo số điện thoại, xem đơn hàng, khóa hoặc mở khóa."), "person",
            in_menu=False, head_office=frozenset({Role.SUPERVISOR})),
    NavItem(120, "admin.failed_jobs", _l("Tác vụ lỗi"), ADMINS,
            _l("Các tác vụ nền đã hết lượt thử lại; chạy lại sau khi xử lý."), "gear", in_menu=False),
))
