"""Navigation built from the role: what each team sees in the menu and on its home page.

Later domains add their entries here; an entry lists the roles that may open it
and must point at an endpoint whose policy admits the same roles.
"""
from __future__ import annotations

from dataclasses import dataclass

from flask import url_for
from flask_babel import lazy_gettext as _l

from portal.core.roles import Role


@dataclass(frozen=True)
class NavItem:
    endpoint: str
    label: str
    roles: frozenset[Role]
    description: str = ""
    icon: str = ""
    in_menu: bool = True  # False: a card on the home page only (keeps the top bar on one line at 1366 px)
    head_office: frozenset[Role] = frozenset()  # roles that see it only at head office (as the endpoint's policy)

    def shown_to(self, user) -> bool:
        return user.role in self.roles and (user.role not in self.head_office or user.is_head_office)

    @property
    def url(self) -> str:
        return url_for(self.endpoint)


ADMINS = frozenset({Role.ADMIN})
OVERSIGHT = frozenset({Role.SUPERVISOR, Role.ADMIN})

NAV: list[NavItem] = [
    NavItem("shipping.index", _l("Đơn hàng"), frozenset({Role.SHIPPING, Role.SUPERVISOR, Role.ADMIN}),
            _l("Bảng đơn hàng và giao vận: xác nhận, đóng gói, bàn giao đơn vị vận chuyển, theo dõi trực tiếp."),
            "truck"),
    NavItem("shipping.store.index", _l("Nhận SIM tại cửa hàng"), frozenset({Role.CLERK}),
            _l("Đơn nhận tại cửa hàng của bạn: kiểm tra giấy tờ, giao SIM, in phiếu bàn giao."), "shop"),
    NavItem("shipping.cod", _l("Đối soát COD"), OVERSIGHT,
            _l("Tiền thu hộ theo đơn vị vận chuyển và ngày: phải thu, đã báo, đơn lệch tiền."), "cash", in_menu=False),
    NavItem("holds.index", _l("Phiếu giữ số"),
            frozenset({Role.SHIPPING, Role.CLERK, Role.SUPERVISOR, Role.ADMIN, Role.CONNECTION, Role.AGENT}),
            _l("Tra cứu phiếu giữ số theo mã, số điện thoại hoặc số thuê bao."), "ticket"),
    NavItem("numbers.index", _l("Kho số"), OVERSIGHT,
            _l("Tra cứu kho số theo mẫu, loại số, giá và trạng thái; số lượng theo trạng thái và loại số."), "grid"),
    NavItem("numbers.import_upload", _l("Nhập số"), ADMINS,
            _l("Nhập số vào kho từ tệp CSV: xem trước, báo lỗi từng dòng, rồi xác nhận."), "upload", in_menu=False),
    NavItem("numbers.price_tiers", _l("Bảng giá"), ADMINS,
            _l("Giá mặc định của từng loại số; số chưa có giá riêng theo bảng giá."), "tag", in_menu=False),
    NavItem("promotions.index", _l("Ưu đãi"), ADMINS,
            _l("Ưu đãi gói cước gắn vào đơn hàng: điều kiện loại SIM, kênh, thời gian, thuê bao mới."), "gift",
            in_menu=False),
    NavItem("audit.index", _l("Nhật ký hệ thống"), OVERSIGHT,
            _l("Ai đã làm gì, với hồ sơ nào, khi nào."), "journal"),
    NavItem("admin.staff_list", _l("Nhân sự"), ADMINS,
            _l("Tạo tài khoản, phân quyền, khóa tài khoản nhân viên."), "people"),
    NavItem("partners.index", _l("Đối tác API"), ADMINS,
            _l("Khóa API của các kênh bán hàng: tạo, thu hồi; tài liệu tích hợp."), "key"),
    NavItem("admin.customers", _l("Khách hàng"), OVERSIGHT,
            _l("Tài khoản khách hàng: tìm theo số điện thoại, xem đơn hàng, khóa hoặc mở khóa."), "person",
            in_menu=False, head_office=frozenset({Role.SUPERVISOR})),
    NavItem("admin.failed_jobs", _l("Tác vụ lỗi"), ADMINS,
            _l("Các tác vụ nền đã hết lượt thử lại; chạy lại sau khi xử lý."), "gear", in_menu=False),
]

# What a role's home page greets it with, before the role's own tools exist.
ROLE_INTRO = {
    Role.AGENT: _l("Bàn video call: nhận cuộc gọi xác thực khách hàng của khu vực bạn."),
    Role.CONNECTION: _l("Hàng đợi đấu nối: duyệt hồ sơ thuê bao và gửi mSale."),
    Role.CLERK: _l("Màn hình nhận SIM tại cửa hàng: giao SIM cho khách đã đặt."),
    Role.SHIPPING: _l("Bảng đơn hàng và giao vận: xác nhận, đóng gói, bàn giao đơn vị vận chuyển."),
    Role.SUPERVISOR: _l("Báo cáo và giám sát hoạt động của khu vực."),
    Role.ADMIN: _l("Quản trị hệ thống: nhân sự, cấu hình, tác vụ nền."),
}


def nav_for(user) -> list[NavItem]:
    if not getattr(user, "is_authenticated", False):
        return []
    return [item for item in NAV if item.shown_to(user) and item.in_menu]


def home_cards(user) -> list[NavItem]:
    if not getattr(user, "is_authenticated", False):
        return []
    return [item for item in NAV if item.shown_to(user)]
