"""mSale's result callbacks (ACT-12, ESIM-11): signed, fresh, checked, idempotent (docs/msale.md).

POST ``/msale/callback`` with ``X-Msale-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>" with
MSALE_SECRET>``. No secret configured, no signature or a wrong one → 401 ``bad_signature``; signed further than
``MSALE_CALLBACK_TOLERANCE_SECONDS`` from now → 401 ``timestamp_outside_window`` (a replay); a body that is not a
result → 400; both audited when the signature held, and every refusal logged. An unknown key → 404. Anything
else → 200 with what it did — a duplicate, a late "queued" or a result contradicting a settled one changes nothing.
"""
from __future__ import annotations

import logging

from flask import current_app, jsonify, request

from portal.connections import bp, services
from portal.core.access import authenticated_by
from portal.core.audit import audit_now
from portal.core.errors import Conflict
from portal.extensions import csrf, db
from portal.gateways.msale import SIGNATURE_HEADER, read_callback
from portal.gateways.signing import CallbackRefused

log = logging.getLogger(__name__)


def _refuse(status: int, code: str, message: str):
    return jsonify(error={"code": code, "message": message}), status


@bp.post("/callback")
@csrf.exempt
@authenticated_by("msale-signature")
def msale_callback():
    config = current_app.config
    try:
        callback = read_callback(request.get_data(cache=False), request.headers.get(SIGNATURE_HEADER),
                                 config.get("MSALE_SECRET"), tolerance=config["MSALE_CALLBACK_TOLERANCE_SECONDS"])
    except CallbackRefused as exc:
        log.warning("msale callback from %s refused: %s", request.remote_addr, exc.code)
        audit_now("msale.callback_refused", detail={"code": exc.code, "authentic": exc.authentic,
                                                    "address": request.remote_addr, **exc.detail})
        return _refuse(exc.status, exc.code, exc.message)
    submission = services.find_by_key(callback.idempotency_key)
    if submission is None:
        log.warning("msale callback for unknown key %s", callback.idempotency_key[:64])
        return _refuse(404, "unknown_submission", "no submission with this idempotency_key")
    try:
        changed = services.apply_result(submission, callback.result, "callback")
        db.session.commit()
    except Conflict:  # the push job or the poll settled it at this very moment
        db.session.rollback()
        changed = False
    return jsonify(result="ok", applied=changed)
