"""Orders: the customer site under /chonso (search, hold form, order, my tickets) and the order services."""
from flask import Blueprint

from portal.core.domains import Domain

bp = Blueprint("orders", __name__, url_prefix="/chonso")

from portal.orders import app_api, listeners, messages, models, views  # noqa: E402,F401

DOMAIN = Domain(blueprints=(bp, app_api.bp))
