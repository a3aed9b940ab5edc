"""The carrier's status callbacks (SHIP-17, SHIP-22): signed, fresh, checked, idempotent (checklist 23, 24).

POST ``/shipping/carrier/ghn/webhook`` with GHN's callback body and ``X-Carrier-Signature:
t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>" with GHN_WEBHOOK_SECRET>``. No secret configured,
no signature, a wrong one or no timestamp under it → 401 ``bad_signature``; signed more than
``GHN_WEBHOOK_TOLERANCE_SECONDS`` away from now → 401 ``timestamp_outside_window``; an amount that is not
whole VND within ``CARRIER_MAX_AMOUNT`` → 400 ``bad_amount`` (``bad_json``, ``bad_field`` for the rest of the
body); an order we do not know → 404 (logged); anything else → 200, even a duplicate or a late status (which
changes nothing), so that the carrier stops retrying. The refusals of signed callbacks are audited; the
contract is in docs/shipping.md.
"""
from __future__ import annotations

import logging

from flask import current_app, jsonify, request
from sqlalchemy.exc import IntegrityError

from portal.core.access import authenticated_by
from portal.core.audit import audit_now
from portal.core.errors import PortalError
from portal.extensions import csrf, db
from portal.gateways.ghn import SIGNATURE_HEADER, CallbackRefused, read_callback
from portal.shipping import bp
from portal.shipping.services import apply_carrier_status

log = logging.getLogger(__name__)


def _refuse(status: int, code: str, message: str):
    return jsonify(error={"code": code, "message": message}), status


@bp.post("/carrier/ghn/webhook")
@csrf.exempt
@authenticated_by("carrier-signature")
def ghn_webhook():
    config = current_app.config
    try:
        callback = read_callback(request.get_data(cache=False), request.headers.get(SIGNATURE_HEADER),
                                 config.get("GHN_WEBHOOK_SECRET"), tolerance=config["GHN_WEBHOOK_TOLERANCE_SECONDS"],
                                 max_amount=config["CARRIER_MAX_AMOUNT"])
    except CallbackRefused as exc:
        log.warning("carrier webhook from %s refused: %s", request.remote_addr, exc.code)
        if exc.authentic:  # signed with our secret: the carrier (or a replay of it) sent this, worth a record
            audit_now("carrier.callback_refused", detail={"carrier": "ghn", "code": exc.code, **exc.detail})
        return _refuse(exc.status, exc.code, exc.message)
    try:
        event = apply_carrier_status(callback, "ghn")
        db.session.commit()
    except IntegrityError:  # the same event, arriving at the same moment: the other one won
        db.session.rollback()
        return jsonify(code=200, message="Success", data={"outcome": "duplicate"})
    except PortalError as exc:
        db.session.rollback()
        return _refuse(exc.status, exc.code, exc.message)
    return jsonify(code=200, message="Success", data={"outcome": event.outcome.value})
