"""Staff accounts, sign-in, server-side sessions."""
from flask import Blueprint

from portal.core.domains import Domain

bp = Blueprint("auth", __name__)

from portal.auth import models, views  # noqa: E402,F401

DOMAIN = Domain(blueprints=(bp,))
