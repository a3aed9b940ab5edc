"""The video-call desk (E-1.5, E-3.5, E-5.1, ACT-8, ESIM-7): customers ask for a call after eKYC, calls ring the
longest-idle available agent of the region over Socket.IO, the call is WebRTC signalled through the server, and the
agent's verdict moves the dossier. Customer pages under the dossier's /chonso/hoa-mang/<hold_code>/goi-video
(``views``), the desk under /desk (``desk``), the sockets ``/desk`` and ``/call`` (``sockets``), the app's endpoints
(``api``), admins' settings under /admin/calls (``admin``). docs/calls.md."""
from flask import Blueprint
from flask_babel import lazy_gettext as _l

from portal.core.domains import Domain
from portal.core.nav import NavItem
from portal.core.roles import Role

customer_bp = Blueprint("calls", __name__, url_prefix="/chonso")

from portal.calls import admin, api, desk, jobs, models, queries, sockets, views  # noqa: E402,F401

DOMAIN = Domain(
    blueprints=(customer_bp, desk.bp, admin.bp, api.bp),
    namespaces=(sockets.DESK, sockets.CALL),
    nav=(
        NavItem(37, "desk.index", _l("Bàn gọi video"), frozenset({Role.AGENT, Role.SUPERVISOR, Role.ADMIN}),
                _l("Nhận cuộc gọi video của khách trong khu vực, xác minh hồ sơ, ghi kết quả."), "camera-video",
                count=queries.waiting_count),
        NavItem(125, "call_admin.index", _l("Cài đặt gọi video"), frozenset({Role.ADMIN}),
                _l("Giờ làm việc, ngày nghỉ, khu vực dự phòng và ghi hình của bàn gọi video."), "clock",
                in_menu=False),
    ),
)
