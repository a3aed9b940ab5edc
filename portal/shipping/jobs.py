"""Pushing orders to the carrier (SHIP-8.2): never two carrier orders for one order.

The carrier keeps ``client_order_code`` (our order number) unique, and the job looks the order up
by that code before creating it and again after a refusal or a timeout, so a job that runs twice,
or whose first call timed out after the carrier had created the order, still ends with one.
"""
from __future__ import annotations

import logging

from rq import get_current_job

from portal.core.audit import audit
from portal.core.jobs import job
from portal.extensions import db
from portal.gateways.ghn import CarrierError, Parcel, carrier
from portal.orders.models import Order, OrderStatus

log = logging.getLogger(__name__)


def _job_id() -> str:
    current = get_current_job()
    return current.id if current else "-"


def parcel_for(order: Order) -> Parcel:
    if order.pickup_at is None:  # confirm_for_pickup sets it before it queues the carrier order
        raise ValueError(f"order {order.order_no} has no pickup time")
    return Parcel(
        client_order_code=order.order_no,
        to_name=order.recipient_name or order.full_name,
        to_phone=order.recipient_phone or order.contact_phone,
        to_address=order.delivery_address or order.address,
        to_ward_name=order.delivery_ward or order.ward,
        to_district_name=order.delivery_district or order.district,
        to_province_name=order.delivery_province or order.province,
        cod_amount=order.cash_expected,
        pick_at=order.pickup_at,
        pickup_address=order.pickup_address,
        note=f"SIM trắng – {order.order_no}",
        items=[{"name": "SIM trắng", "code": order.order_no, "quantity": 1, "weight": 50}],
    )


@job
def create_carrier_order(order_id: int) -> str | None:
    """Create the carrier's order for a confirmed order, once (idempotent by client_order_code)."""
    order = db.session.get(Order, order_id)
    if order is None or order.status != OrderStatus.WAITING_PICKUP or order.carrier_order_code:
        log.info("job %s: order %s needs no carrier order", _job_id(), order_id)
        return None
    gateway = carrier()
    found = gateway.find_by_client_code(order.order_no)
    if found is None:
        try:
            found = gateway.create_order(parcel_for(order))
        except CarrierError as exc:
            # A timeout may have created it after all; a "code exists" refusal means another run did.
            found = gateway.find_by_client_code(order.order_no)
            if found is None:
                log.warning("job %s: carrier refused order %s: %s", _job_id(), order.order_no, exc)
                raise
    order.carrier_order_code = found.order_code
    order.carrier_status = order.carrier_status or found.status
    audit("order.carrier_created", order, actor=None, detail={"carrier": gateway.name, "code": found.order_code})
    log.info("job %s: order %s is %s at %s", _job_id(), order.order_no, found.order_code, gateway.name)
    return found.order_code


@job
def cancel_carrier_order(order_id: int) -> None:
    """Tell the carrier that a cancelled order will not be picked up."""
    order = db.session.get(Order, order_id)
    if order is None or order.status != OrderStatus.CANCELLED or not order.carrier_order_code:
        return
    carrier().cancel(order.carrier_order_code)
    audit("order.carrier_cancelled", order, actor=None, detail={"code": order.carrier_order_code})
