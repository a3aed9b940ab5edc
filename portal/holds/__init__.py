"""Holds: a customer's hold ticket (phiếu giữ số) on one number or a pair."""
from flask import Blueprint

bp = Blueprint("holds", __name__, url_prefix="/holds")

from portal.holds import views  # noqa: E402,F401
