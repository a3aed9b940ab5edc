"""Each role's home page, health check, and the pages every staff member shares."""
from flask import Blueprint

from portal.core.domains import Domain

bp = Blueprint("home", __name__)

from portal.home import views  # noqa: E402,F401

DOMAIN = Domain(blueprints=(bp,))
