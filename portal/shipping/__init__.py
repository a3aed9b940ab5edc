"""Shipping: the order board (SHIP-1..23), the carrier and its callbacks, cash on delivery, store pickup."""
from flask import Blueprint

bp = Blueprint("shipping", __name__, url_prefix="/shipping")
store_bp = Blueprint("store", __name__, url_prefix="/store")  # the store pickup screen: /shipping/store/

from portal.shipping import listeners, store_views, views, webhook  # noqa: E402,F401

bp.register_blueprint(store_bp)
