"""Online payment of orders (HOLD-12, HOLD-14, E-2.2) through the VNPay 2.1.0 protocol."""
from flask import Blueprint

bp = Blueprint("payments", __name__)

# Routes; the reconciler's periodic job; the refunds' listener of cancelled orders.
from portal.payments import reconcile, refund_views, refunds, views  # noqa: E402,F401
