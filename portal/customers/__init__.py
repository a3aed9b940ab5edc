"""Customer accounts and the customer site's frame (/chonso): register, activate, sign in, forgot password.

Other domains serve their customer pages under the same prefix with their own
blueprints (``url_prefix="/chonso"``), extend ``templates/site/base.html`` and mark
pages that need a signed-in customer with ``@customer_only`` (portal.core.access).
"""
from flask import Blueprint

from portal.core.domains import Domain

bp = Blueprint("customers", __name__, url_prefix="/chonso")

from portal.core.access import CUSTOMER, register_check  # noqa: E402
from portal.customers import messages, models, views  # noqa: E402,F401
from portal.customers.session import current_customer, require_customer, write_cookie  # noqa: E402
from portal.customers.site import site_nav  # noqa: E402

register_check(CUSTOMER, require_customer)
bp.after_app_request(write_cookie)
bp.app_context_processor(lambda: {"current_customer": current_customer, "site_nav": site_nav})

DOMAIN = Domain(blueprints=(bp,))
