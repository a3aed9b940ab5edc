"""Promotions: package offers (gói cước ưu đãi) attached to orders before payment, and their admin pages."""
from flask import Blueprint

bp = Blueprint("promotions", __name__, url_prefix="/promotions")

from portal.promotions import views  # noqa: E402,F401
