"""Number inventory: search, classes, import, price tiers."""
from flask import Blueprint

bp = Blueprint("numbers", __name__, url_prefix="/numbers")

from portal.numbers import views  # noqa: E402,F401
