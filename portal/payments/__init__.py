"""Online payment of orders (HOLD-12, HOLD-14, E-2.2) through the VNPay 2.1.0 protocol."""
from flask import Blueprint

from portal.core.domains import Domain

bp = Blueprint("payments", __name__)

from portal.payments import app_api, listeners, models, reconcile, views  # noqa: E402,F401  (routes, listeners, job)

DOMAIN = Domain(blueprints=(bp, app_api.bp))
