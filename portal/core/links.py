"""Full addresses of our own pages, for what leaves the request: e-mails, printed slips and their QR codes."""
from __future__ import annotations

from typing import Any

from flask import current_app, url_for


def external_url(endpoint: str, **values: Any) -> str:
    """The page's full address on the public site (``PUBLIC_ORIGIN``; the worker has no request to take the host
    from), else on the request's host, else the path alone (still some help)."""
    origin = current_app.config.get("PUBLIC_ORIGIN", "").rstrip("/")
    if origin:
        return origin + current_app.url_map.bind("").build(endpoint, values)
    try:
        return url_for(endpoint, _external=True, **values)
    except RuntimeError:
        return current_app.url_map.bind("").build(endpoint, values)
