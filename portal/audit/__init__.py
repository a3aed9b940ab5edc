"""The audit log page for supervisors and admins."""
from flask import Blueprint

bp = Blueprint("audit", __name__, url_prefix="/audit")

from portal.audit import views  # noqa: E402,F401
