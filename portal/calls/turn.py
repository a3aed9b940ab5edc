"""ICE servers for the call's RTCPeerConnection: ``CALL_ICE_SERVERS`` (JSON list; ``[]`` = the LAN only) and, when
``TURN_SECRET`` and ``TURN_URLS`` are set, short-lived TURN credentials by the TURN REST scheme coturn implements
(``use-auth-secret``): username ``<expiry unix time>:<who>``, credential base64(HMAC-SHA1(secret, username)).
docs/calls.md says how to run coturn."""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import time
from typing import Any

from flask import current_app

log = logging.getLogger(__name__)


def turn_credentials(secret: str, who: str, ttl: int, now: float | None = None) -> tuple[str, str]:
    username = f"{int((now or time.time()) + ttl)}:{who}"
    digest = hmac.new(secret.encode(), username.encode(), hashlib.sha1).digest()
    return username, base64.b64encode(digest).decode()


def ice_servers(who: str) -> list[dict[str, Any]]:
    """The ``iceServers`` for one party (``staff-<id>`` or ``customer-<id>``)."""
    cfg = current_app.config
    try:
        servers = json.loads(cfg.get("CALL_ICE_SERVERS") or "[]")
        if not isinstance(servers, list):
            raise ValueError("not a list")
    except ValueError:
        log.error("CALL_ICE_SERVERS is not a JSON list; using none")
        servers = []
    urls = [u.strip() for u in (cfg.get("TURN_URLS") or "").split(",") if u.strip()]
    if cfg.get("TURN_SECRET") and urls:
        username, credential = turn_credentials(cfg["TURN_SECRET"], who, int(cfg.get("TURN_TTL") or 3600))
        servers.append({"urls": urls, "username": username, "credential": credential})
    return servers
