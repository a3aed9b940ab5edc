"""The carrier's status callbacks (SHIP-17, SHIP-22): signed, fail closed, idempotent (checklist 23, 24).

POST ``/shipping/carrier/ghn/webhook`` with GHN's callback body and ``X-Carrier-Signature`` =
hex HMAC-SHA256 of the raw body with ``GHN_WEBHOOK_SECRET``. No secret configured, no signature or a
wrong one → 401; an order we do not know → 404 (logged); anything else → 200, even a duplicate or a
late status (which changes nothing), so that the carrier stops retrying.
"""
from __future__ import annotations

import json
import logging

from flask import current_app, jsonify, request
from sqlalchemy.exc import IntegrityError

from portal.core.access import authenticated_by
from portal.core.errors import PortalError
from portal.extensions import csrf, db
from portal.gateways.ghn import SIGNATURE_HEADER, signature_ok
from portal.shipping import bp
from portal.shipping.services import apply_carrier_status

log = logging.getLogger(__name__)


def _refuse(status: int, code: str, message: str):
    return jsonify(error={"code": code, "message": message}), status


@bp.post("/carrier/ghn/webhook")
@csrf.exempt
@authenticated_by("carrier-signature")
def ghn_webhook():
    raw = request.get_data(cache=False)
    if not signature_ok(raw, request.headers.get(SIGNATURE_HEADER), current_app.config.get("GHN_WEBHOOK_SECRET")):
        log.warning("carrier webhook: bad or missing signature from %s", request.remote_addr)
        return _refuse(401, "bad_signature", "signature missing, wrong, or no secret configured")
    try:
        payload = json.loads(raw)
        if not isinstance(payload, dict):
            raise ValueError
    except ValueError:
        return _refuse(400, "bad_json", "body must be a JSON object")
    try:
        event = apply_carrier_status(payload, "ghn")
        db.session.commit()
    except IntegrityError:  # the same event, arriving at the same moment: the other one won
        db.session.rollback()
        return jsonify(code=200, message="Success", data={"outcome": "duplicate"})
    except PortalError as exc:
        db.session.rollback()
        return _refuse(exc.status, exc.code, exc.message)
    return jsonify(code=200, message="Success", data={"outcome": event.outcome.value})
