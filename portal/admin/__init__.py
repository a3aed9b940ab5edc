"""Administration: the admin hub, staff accounts (one by one or from CSV), the organisation (regions, shopcodes,
stores, province → region), customer accounts and failed background jobs."""
from flask import Blueprint
from flask_babel import lazy_gettext as _l

from portal.core.domains import Domain
from portal.core.nav import ADMINS, OVERSIGHT, NavItem
from portal.core.roles import Role

bp = Blueprint("admin", __name__, url_prefix="/admin")

from portal.admin import customers, hub, org_views, provinces, staff_import, views  # noqa: E402,F401

DOMAIN = Domain(blueprints=(bp,), nav=(
    NavItem(99, "admin.hub", _l("Quản trị"), ADMINS,
            _l("Mọi màn hình cấu hình ở một nơi: nhân sự, tổ chức, danh mục, tích hợp."), "sliders"),
    NavItem(100, "admin.staff_list", _l("Nhân sự"), ADMINS,
            _l("Tạo tài khoản, sửa vai trò, khu vực và cửa hàng, đặt lại mật khẩu, khóa tài khoản nhân viên."),
            "people", in_menu=False),
    NavItem(101, "admin.staff_import", _l("Nhập nhân viên từ CSV"), ADMINS,
            _l("Tạo nhiều tài khoản từ một tệp CSV: xem trước lỗi từng dòng, xác nhận, nhận mật khẩu dùng một lần."),
            "upload", in_menu=False),
    NavItem(102, "admin.regions", _l("Khu vực và shopcode"), ADMINS,
            _l("Tên các công ty khu vực; shopcode của từng khu vực: thêm, sửa, ngừng dùng."), "building",
            in_menu=False),
    NavItem(103, "admin.stores", _l("Cửa hàng"), ADMINS,
            _l("Cửa hàng nhận SIM: thêm, sửa địa chỉ, khu vực và shopcode, ngừng hoạt động."), "shop", in_menu=False),
    NavItem(104, "admin.provinces", _l("Tỉnh/thành → khu vực"), ADMINS,
            _l("Công ty khu vực phục vụ khách của từng tỉnh/thành: định tuyến đơn hàng và hồ sơ mới."), "map",
            in_menu=False, head_office=frozenset({Role.ADMIN})),
    NavItem(115, "admin.customers", _l("Khách hàng"), OVERSIGHT,
            _l("Tài khoản khách hàng: tìm theo số điện thoại, xem đơn hàng, khóa hoặc mở khóa."), "person",
            in_menu=False, head_office=frozenset({Role.SUPERVISOR})),
    NavItem(120, "admin.failed_jobs", _l("Tác vụ lỗi"), ADMINS,
            _l("Các tác vụ nền đã hết lượt thử lại; chạy lại sau khi xử lý."), "gear", in_menu=False),
))
