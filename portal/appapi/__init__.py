"""The mobile app's JSON API under /api/app/v1: customer accounts here; other domains add their own blueprints.

Public helpers (see portal.appapi.core and portal.appapi.openapi): ``api_blueprint``, ``customer_api``,
``app_credentials``, ``current_api_customer``, and ``openapi.add_operation/add_schema/add_errors``; the JSON
readers (``json_body``, ``string_field``, paging, Idempotency-Key) are ``portal.core.api``.
"""
from portal.appapi.core import (
    api_blueprint,
    app_credentials,
    current_api_customer,
    current_api_token,
    customer_api,
)
from portal.core.domains import Domain

__all__ = ["api_blueprint", "app_credentials", "bp", "current_api_customer", "current_api_token", "customer_api"]

bp = api_blueprint("appapi", __name__)

from portal.appapi import accounts  # noqa: E402,F401

DOMAIN = Domain(blueprints=(bp,))
