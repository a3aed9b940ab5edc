"""The supervisors' live wall (/wall/): calls waiting and the longest wait, agents by state, dossiers waiting for
review and stuck at mSale, failed jobs and SLA breaches, for a screen on the wall; kept live through the ``/wall``
socket. Reads the other domains through their query modules; owns no table. docs/wall.md."""
from flask import Blueprint
from flask_babel import lazy_gettext as _l

from portal.core.domains import Domain
from portal.core.nav import OVERSIGHT, SUPERVISION, NavItem

bp = Blueprint("wall", __name__, url_prefix="/wall")

from portal.wall import listeners, sockets, views  # noqa: E402,F401

DOMAIN = Domain(blueprints=(bp,), namespaces=(sockets.WALL,), nav=(
    NavItem(36, "wall.index", _l("Màn hình giám sát"), OVERSIGHT,
            _l("Cuộc gọi đang chờ, nhân viên, hồ sơ chờ duyệt, kẹt ở mSale, tác vụ lỗi và vi phạm SLA — cập nhật "
               "trực tiếp, cho màn hình treo tường."), "display", group=SUPERVISION),
))
