"""The app's video call (E-1.5, ESIM-7) under /api/app/v1: ask for the call of a dossier (by its hold code, as the
dossiers' endpoints name it), read it, hang up. The same moves and JSON shape as the website; the live part (queue,
accepted, signalling) goes over the ``/call`` socket with ``auth={"token": …}``."""
from __future__ import annotations

from flask import jsonify

from portal.appapi import api_blueprint, customer_api
from portal.calls import lifecycle
from portal.calls.models import Call
from portal.calls.views import call_json, request_for
from portal.core.digits import is_ascii_digits
from portal.core.errors import NotFound
from portal.dossiers import queries as dossier_queries
from portal.extensions import db

bp = api_blueprint("calls_app", __name__)


def _own(customer, call_id: str) -> Call:
    call = db.session.get(Call, int(call_id)) if is_ascii_digits(call_id) and len(call_id) < 12 else None
    if call is None or call.customer_id != customer.id:
        from flask_babel import gettext as _

        raise NotFound("call_not_found", _("Không tìm thấy cuộc gọi này."))
    return call


@bp.post("/dossiers/<hold_code>/calls")
@customer_api
def request_call(customer, hold_code: str):
    call = request_for(dossier_queries.customer_dossier(hold_code, customer), customer, "app")
    response = jsonify(call_json(call))
    response.status_code = 201
    return response


@bp.get("/calls/<call_id>")
@customer_api
def get_call(customer, call_id: str):
    return jsonify(call_json(_own(customer, call_id)))


@bp.delete("/calls/<call_id>")
@customer_api
def cancel_call(customer, call_id: str):
    call = _own(customer, call_id)
    lifecycle.cancel_call(call, customer)
    db.session.commit()
    return jsonify(call_json(call))


from portal.calls import api_doc  # noqa: E402,F401  (the OpenAPI description of the endpoints above)
