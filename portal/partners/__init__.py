"""Sales channels (partners): the keys page, the ``partners`` CLI group and the partner API under /api/v1."""
from flask import Blueprint

# No url_prefix: a nested blueprint's prefix is joined to its parent's, and the API lives at /api/v1.
bp = Blueprint("partners", __name__)

from portal.partners import cli, views  # noqa: E402,F401
from portal.partners.api import api_bp  # noqa: E402

bp.register_blueprint(api_bp)  # endpoints "partners.api.*", registered with this package (no BLUEPRINTS edit)
