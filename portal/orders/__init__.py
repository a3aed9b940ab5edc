"""Orders: the customer site under /chonso (search, hold form, order, my tickets) and the order services."""
from flask import Blueprint

bp = Blueprint("orders", __name__, url_prefix="/chonso")

from portal.orders import views  # noqa: E402,F401
