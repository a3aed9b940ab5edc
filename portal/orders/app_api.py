"""The app's endpoints of the orders domain under /api/app/v1: search (four modes), quote, place order, my orders.

The same services as the website: ``portal.numbers.search`` for the search modes, ``portal.orders.services``
for the quote and the order, ``portal.orders.validation`` for the form's rules. A hold form's refusal names
each field: ``{"error": {"code", "message", "fields": {name: {"code", "message"}}}}``.
"""
from __future__ import annotations

from typing import Any

from flask import current_app, jsonify
from flask_babel import gettext as _

from portal.appapi import api_blueprint, customer_api
from portal.core.access import public
from portal.core.api import idempotency_key, iso, json_body
from portal.core.errors import Invalid
from portal.extensions import limiter
from portal.numbers import api as numbers_api
from portal.numbers.api import number_json
from portal.orders import queries
from portal.orders import services as orders
from portal.orders.models import Order
from portal.orders.submit import submit_order
from portal.orders.validation import FieldErrors

bp = api_blueprint("orders_app", __name__)
SEARCH = limiter.shared_limit(lambda: current_app.config["API_RATE_LIMIT_SEARCH"], scope="app-search")
FORM_FIELDS = ("number", "sim_type", "full_name", "id_type", "id_number", "birth_date", "gender", "province",
               "district", "ward", "address", "email", "contact_phone", "receive_method", "payment_method",
               "store_code", "recipient_name", "recipient_phone", "delivery_province", "delivery_district",
               "delivery_ward", "delivery_address")


@bp.errorhandler(FieldErrors)
def _field_errors(exc: FieldErrors):
    return jsonify(error=exc.as_json()), 422


# --- search ----------------------------------------------------------------------------------------------------

@bp.get("/numbers")
@public
@SEARCH
def numbers_by_conditions():
    return numbers_api.by_conditions("app")


@bp.get("/numbers/by-name")
@public
@SEARCH
def numbers_by_name():
    return numbers_api.by_name("app")


@bp.get("/numbers/feng-shui")
@public
@SEARCH
def numbers_feng_shui():
    return numbers_api.feng_shui("app")


@bp.get("/numbers/pairs")
@public
@SEARCH
def numbers_pairs():
    return numbers_api.pairs("app")


# --- orders ----------------------------------------------------------------------------------------------------

def _form(body: dict[str, Any]) -> dict[str, Any]:
    raw = {}
    for name in FORM_FIELDS:
        value = body.get(name, "")
        if name == "number" and isinstance(body.get("numbers"), list):
            value = ",".join(str(n) for n in body["numbers"][:3])
        if not isinstance(value, str):
            raise Invalid("bad_field_type", _("Trường “%(f)s” phải là chuỗi.", f=name))
        raw[name] = value
    return raw


def _amounts(order: Order) -> dict[str, int]:
    return {k: getattr(order, k) for k in ("number_price", "sim_fee", "delivery_fee", "total")}


def order_json(order: Order) -> dict[str, Any]:
    ticket = order.ticket
    return {
        "order_no": order.order_no, "order_no_display": orders.format_order_no(order.order_no),
        "hold_code": ticket.hold_code, "numbers": ticket.numbers, "status": order.status.value,
        "status_label": order.status_label, "sim_type": order.sim_type.value,
        "receive_method": order.receive_method.value, "payment_method": order.payment_method.value,
        "store": order.store.code if order.store else None, "amounts": _amounts(order),
        "offer": {"code": order.offer_code, "summary": order.offer_summary} if order.offer_code else None,
        "hold_expires_at": iso(ticket.expires_at) if ticket.expires else None,
        "paid_at": iso(order.paid_at), "created_at": iso(order.created_at),
    }


@bp.post("/orders/quote")
@customer_api
def quote_order(customer):
    """The summary before confirming: amounts and the attached offer (nothing is held)."""
    summary = orders.quote(_form(json_body()), "app")
    offer = summary["offer"]
    return jsonify(numbers=[number_json(n) for n in summary["numbers"]], amounts=summary["amounts"],
                   offer={"code": offer.code, "summary": offer.summary} if offer else None,
                   store=summary["store"].code if summary["store"] else None)


@bp.post("/orders")
@customer_api
def place_order(customer):
    """Hold the number(s) and place the order; one order per Idempotency-Key."""
    key = idempotency_key()
    if not key:
        raise Invalid("missing_idempotency_key", _("Thiếu header Idempotency-Key (một giá trị mới cho mỗi đơn)."))
    order, replayed = submit_order(_form(json_body()), customer, "app", key)
    response = jsonify(order_json(order))
    response.status_code = 201
    response.headers["Idempotent-Replayed"] = "true" if replayed else "false"
    return response


@bp.get("/orders")
@customer_api
def my_orders(customer):
    return jsonify(items=[order_json(o) for o in queries.customer_orders(customer)])


@bp.get("/orders/<hold_code>")
@customer_api
def order_detail(customer, hold_code: str):
    order = queries.customer_order(hold_code, customer)
    timeline = [{"at": iso(e.at), "object": "ticket" if e.kind == "hold_ticket" else "order",
                 "status": e.status, "label": e.label, "reason": e.reason} for e in queries.timeline(order)]
    return jsonify(**order_json(order), timeline=timeline)

from portal.orders import app_api_doc  # noqa: E402,F401  (the OpenAPI description of the endpoints above)
