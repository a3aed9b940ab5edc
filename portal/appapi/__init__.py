"""The mobile app's JSON API under /api/app/v1: customer accounts here; other domains add their own blueprints.

Public helpers (see portal.appapi.core and portal.appapi.openapi):
``api_blueprint``, ``customer_api``, ``app_credentials``, ``current_api_customer``,
``json_body``, ``string_field``, and ``openapi.add_operation/add_schema/add_errors``.
"""
from portal.appapi.core import (
    ApiUnauthorized,
    api_blueprint,
    app_credentials,
    current_api_customer,
    current_api_token,
    customer_api,
    json_body,
    string_field,
)

__all__ = ["ApiUnauthorized", "api_blueprint", "app_credentials", "bp", "current_api_customer", "current_api_token",
           "customer_api", "json_body", "string_field"]

bp = api_blueprint("appapi", __name__)

from portal.appapi import accounts  # noqa: E402,F401
