"""Administration: staff accounts, customer accounts and failed background jobs."""
from flask import Blueprint

bp = Blueprint("admin", __name__, url_prefix="/admin")

from portal.admin import customers, views  # noqa: E402,F401
