"""Home per role, and /healthz."""
from __future__ import annotations

from flask import jsonify, render_template
from flask_login import current_user
from sqlalchemy import text

from portal.core import redis as portal_redis
from portal.core.access import allow, public
from portal.extensions import db
from portal.home import bp
from portal.home.nav import ROLE_INTRO, home_cards


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
