"""The app's activation endpoints under /api/app/v1 (ACT-3..7, ESIM-2..6, E-1.3, E-3.3, E-3.4): open a dossier,
its details, the three photos as multipart uploads, "Xác thực thông tin", its status and timeline.

The same moves as the website (``portal.dossiers.lifecycle``); a customer sees only their own dossiers (another's
hold code is 404). A refusal of the details names each field, as the hold form does:
``{"error": {"code", "message", "fields": {name: {"code", "message"}}}}``.
"""
from __future__ import annotations

from typing import Any

from flask import jsonify, request
from flask_babel import gettext as _

from portal.appapi import api_blueprint, customer_api
from portal.core.api import iso, json_body
from portal.core.errors import Invalid
from portal.core.security import apply_body_limit, body_limit
from portal.dossiers import lifecycle, queries
from portal.dossiers.models import Dossier, DossierStep, EkycRun, PhotoKind
from portal.dossiers.validation import FIELDS, clean_details
from portal.dossiers.verification import VERIFY_LIMIT, verify_now
from portal.dossiers.views import CODE_MISSES, UPLOAD_OVERHEAD
from portal.extensions import db
from portal.holds import services as holds
from portal.orders.lifecycle import order_for_ticket
from portal.orders.queries import customer_order
from portal.orders.validation import FieldErrors

bp = api_blueprint("dossiers_app", __name__)
bp.before_request(apply_body_limit)  # after the API's own body limit: an upload route keeps its photo's limit


@bp.errorhandler(FieldErrors)
def _field_errors(exc: FieldErrors):
    return jsonify(error=exc.as_json()), 422


ACTOR_KINDS = {"customer": "customer", "staff": "agent", "partner": "system", "system": "system"}


def step_json(step: DossierStep) -> dict[str, Any]:
    """A timeline line as the customer sees it: staff are "an agent", never named."""
    return {"at": iso(step.at), "step": step.step, "action": step.action.value, "label": step.action.label,
            "actor": ACTOR_KINDS.get(step.actor_kind, "system"), "note": step.note}


def run_json(run: EkycRun | None) -> dict[str, Any] | None:
    if run is None:
        return None
    return {"at": iso(run.at), "passed": run.passed, "checks": [
        {"name": c.name, "label": c.label, "passed": c.passed, "code": c.code, "reason": c.reason, "score": c.score,
         "threshold": c.threshold} for c in run.checks]}


def dossier_json(dossier: Dossier) -> dict[str, Any]:
    details = {name: getattr(dossier, name) for name in FIELDS}
    details.update(id_type=dossier.id_type.value, gender=dossier.gender.value,
                   birth_date=dossier.birth_date.isoformat())
    return {
        "hold_code": dossier.ticket.hold_code, "numbers": dossier.ticket.numbers, "sim_type": dossier.sim_type.value,
        "status": dossier.status.value, "status_label": dossier.status_label, "editable": dossier.editable,
        "may_verify": dossier.may_verify, "may_call": dossier.may_call, "last_reason": dossier.last_reason,
        "details": details,
        "photos": {k.value: {"taken": (p := dossier.photo(k)) is not None, "at": iso(p.created_at) if p else None}
                   for k in PhotoKind},
        "ekyc": run_json(queries.last_run(dossier)),
        "timeline": [step_json(s) for s in queries.timeline(dossier)],
        "created_at": iso(dossier.created_at), "updated_at": iso(dossier.updated_at),
    }


def _string(body: dict[str, Any], name: str) -> str:
    value = body.get(name, "")
    if not isinstance(value, str):
        raise Invalid("bad_field_type", _("Trường “%(f)s” phải là chuỗi.", f=name))
    return value


def _details(body: dict[str, Any]) -> dict[str, str]:
    return {name: _string(body, name) for name in FIELDS}


@bp.get("/dossiers")
@customer_api
def my_dossiers(customer):
    return jsonify(items=[dossier_json(d) for d in queries.customer_dossiers(customer)])


def _created(dossier: Dossier):
    response = jsonify(dossier_json(dossier))
    response.status_code = 201
    return response


@bp.post("/dossiers")
@customer_api
@CODE_MISSES
def open_dossier(customer):
    """ACT-3, ESIM-2: ``{"hold_code"}`` of the customer's own ticket; E-3.3: a sales channel's ticket with
    ``{"hold_code", "phone", "details": {...}}``."""
    body = json_body()
    code = _string(body, "hold_code")
    if "phone" not in body:
        dossier = lifecycle.open_dossier(customer_order(code, customer), customer)
        db.session.commit()
        return _created(dossier)
    ticket = holds.lookup_hold(code, _string(body, "phone"))
    order = order_for_ticket(ticket.id)
    if order is not None:
        dossier = lifecycle.open_dossier(customer_order(code, customer), customer)
    else:
        details = body.get("details")
        if not isinstance(details, dict):
            raise Invalid("missing_field", _("Thiếu trường bắt buộc “details”."))
        dossier = lifecycle.open_from_hold_code(ticket, customer, clean_details(_details(details), ticket.sim_type))
    db.session.commit()
    return _created(dossier)


@bp.get("/dossiers/<hold_code>")
@customer_api
def get_dossier(customer, hold_code: str):
    return jsonify(dossier_json(queries.customer_dossier(hold_code, customer)))


@bp.put("/dossiers/<hold_code>/details")
@customer_api
def put_details(customer, hold_code: str):
    """ACT-4, ESIM-3: confirm or correct the registration details (all fields, as on the hold form)."""
    dossier = queries.customer_dossier(hold_code, customer)
    lifecycle.update_details(dossier, customer, clean_details(_details(json_body()), dossier.sim_type))
    db.session.commit()
    return jsonify(dossier_json(dossier))


@bp.post("/dossiers/<hold_code>/photos/<kind>")
@body_limit("MEDIA_MAX_UPLOAD_BYTES", UPLOAD_OVERHEAD)
@customer_api
def put_photo(customer, hold_code: str, kind: str):
    """ACT-5, ESIM-4: one photo as multipart ``photo`` (JPEG, PNG, WebP, HEIC; 10 MB)."""
    dossier = queries.customer_dossier(hold_code, customer)
    photo_kind = next((k for k in PhotoKind if k.value == kind), None)
    if photo_kind is None:
        raise Invalid("bad_photo_kind", _("Loại ảnh phải là id_front, id_back hoặc portrait."))
    upload = request.files.get("photo")
    if upload is None:
        raise Invalid("image_empty", _("Thiếu tệp ảnh (trường multipart “photo”)."))
    media = lifecycle.add_photo(dossier, customer, photo_kind, upload.stream)
    db.session.commit()
    response = jsonify(kind=photo_kind.value, width=media.width, height=media.height, at=iso(media.created_at),
                       dossier=dossier_json(dossier))
    response.status_code = 201
    return response


@bp.post("/dossiers/<hold_code>/verify")
@customer_api
@VERIFY_LIMIT
def verify(customer, hold_code: str):
    """ACT-6/7, ESIM-5/6: run eKYC; ``status`` ready_for_call (pass) or ekyc_failed (each check's reason)."""
    dossier = queries.customer_dossier(hold_code, customer)
    verify_now(dossier, customer)
    return jsonify(dossier_json(db.session.get(Dossier, dossier.id)))


from portal.dossiers import api_doc  # noqa: E402,F401  (the OpenAPI description of the endpoints above)
