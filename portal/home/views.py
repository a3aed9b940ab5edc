"""Home per role, and /healthz."""
from __future__ import annotations

from flask import jsonify, render_template
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import text

from portal.core import redis as portal_redis
from portal.core.access import allow, public
from portal.core.nav import home_cards
from portal.core.roles import Role
from portal.extensions import db
from portal.home import bp

# What a role's home page greets it with, above the cards of its tools.
ROLE_INTRO = {
    Role.AGENT: _l("Bàn video call: nhận cuộc gọi xác thực khách hàng của khu vực bạn."),
    Role.CONNECTION: _l("Hàng đợi đấu nối: duyệt hồ sơ thuê bao và gửi mSale."),
    Role.CLERK: _l("Màn hình nhận SIM tại cửa hàng: giao SIM cho khách đã đặt."),
    Role.SHIPPING: _l("Bảng đơn hàng và giao vận: xác nhận, đóng gói, bàn giao đơn vị vận chuyển."),
    Role.SUPERVISOR: _l("Báo cáo và giám sát hoạt động của khu vực."),
    Role.ADMIN: _l("Quản trị hệ thống: nhân sự, cấu hình, tác vụ nền."),
}


@bp.route("/")
@allow()
def index():
    return render_template("home/index.html", cards=home_cards(current_user), role_intro=ROLE_INTRO[current_user.role])


@bp.route("/healthz")
@public
def healthz():
    """Whether the database and Redis answer: 200 if both do, 503 otherwise."""
    checks = {}
    try:
        db.session.execute(text("SELECT 1"))
        checks["database"] = "ok"
    except Exception:
        db.session.rollback()
        checks["database"] = "unavailable"
    try:
        portal_redis.connection().ping()
        checks["redis"] = "ok"
    except Exception:
        checks["redis"] = "unavailable"
    healthy = all(v == "ok" for v in checks.values())
    return jsonify(status="ok" if healthy else "degraded", **checks), 200 if healthy else 503
