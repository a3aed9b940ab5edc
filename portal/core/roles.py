"""Staff roles, as the operator's teams are named (SPEC glossary)."""
from __future__ import annotations

from enum import StrEnum

from flask_babel import lazy_gettext as _l


class Role(StrEnum):
    AGENT = "agent"  # Tổ video call
    CONNECTION = "connection"  # Tổ đấu nối
    CLERK = "clerk"  # cửa hàng / điểm giao dịch
    SHIPPING = "shipping"  # giao vận
    SUPERVISOR = "supervisor"
    ADMIN = "admin"

    @property
    def label(self) -> str:
        return str(ROLE_LABELS[self])


ROLE_LABELS = {
    Role.AGENT: _l("Nhân viên video call"),
    Role.CONNECTION: _l("Tổ đấu nối"),
    Role.CLERK: _l("Nhân viên cửa hàng"),
    Role.SHIPPING: _l("Nhân viên giao vận"),
    Role.SUPERVISOR: _l("Giám sát"),
    Role.ADMIN: _l("Quản trị hệ thống"),
}

ALL_STAFF = frozenset(Role)
HEAD_OFFICE = 0  # region 0 = Tổng công ty; 1..9 = CTKV 1–9
