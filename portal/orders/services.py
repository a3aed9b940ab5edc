"""Placing an order (HOLD-2..14, E-1.2, E-2.2): hold the number and record the order in one transaction.

Decisions (see also docs in the report):

* Idempotency: the hold form carries a one-time nonce; the hold is taken with the key
  ``c<customer id>:<nonce>`` on the channel, so a form submitted twice finds the first ticket and its
  order (one order, one hold). The app API passes its ``Idempotency-Key`` the same way.
* The first status and every later move belong to ``portal.orders.lifecycle``: a cash-on-delivery order's
  hold is *reserved* for it (no clock; it ends when the cash is collected or the order is cancelled); an
  online order waits for payment with the hold's normal expiry and is cancelled with it.
"""
from __future__ import annotations

import datetime as dt
import re
import secrets
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, select

from portal.core.audit import audit
from portal.core.digits import MAX_TEXT, normalize
from portal.core.errors import Conflict, NotFound
from portal.core.jobs import enqueue_after_commit
from portal.core.time import utcnow
from portal.customers.models import Customer
from portal.extensions import db
from portal.holds import services as holds
from portal.holds.models import HoldStatus, HoldTicket, SimType
from portal.numbers.formatting import normalize_number
from portal.numbers.models import NumberStatus, PhoneNumber
from portal.orders import lifecycle
from portal.orders.lifecycle import order_for_ticket
from portal.orders.models import Order, OrderStatus, ReceiveMethod
from portal.orders.validation import FieldErrors, OrderInput, clean_order
from portal.org.models import Store
from portal.org.places import region_of_province
from portal.promotions.services import OrderFacts, best_offer

ORDER_NO_ALPHABET = holds.HOLD_CODE_ALPHABET  # no look-alikes: a customer reads it out on the phone
ORDER_NO_PREFIX = "DH"  # đơn hàng
ORDER_NO_LENGTH = 8
WEB_CHANNELS = ("web", "app")


def new_order_no() -> str:
    return ORDER_NO_PREFIX + "".join(secrets.choice(ORDER_NO_ALPHABET) for _ in range(ORDER_NO_LENGTH))


def normalize_order_no(text: str) -> str:
    return re.sub(r"[\s-]", "", normalize((text or "")[:MAX_TEXT])).upper()[:20]


def format_order_no(order_no: str) -> str:
    """DH7K4M9QXT → DH-7K4M-9QXT, easier to read out."""
    return f"{order_no[:2]}-{order_no[2:6]}-{order_no[6:]}" if len(order_no) == 10 else order_no


def amounts(number_price: int, sim_type: SimType, receive_method: ReceiveMethod, sims: int = 1) -> dict[str, int]:
    """Number price + SIM fee (one SIM per number) + delivery fee = total, in VND."""
    config = current_app.config
    sim_fee = sims * (config["ORDER_SIM_FEE_ESIM"] if sim_type == SimType.ESIM else config["ORDER_SIM_FEE_PHYSICAL"])
    delivery_fee = config["ORDER_DELIVERY_FEE"] if receive_method == ReceiveMethod.DELIVERY else 0
    return {"number_price": number_price, "sim_fee": sim_fee, "delivery_fee": delivery_fee,
            "total": number_price + sim_fee + delivery_fee}


def stores_for(province: str = "") -> list[Store]:
    """Active pickup stores, those of ``province`` first, then those of its region, then the rest (HOLD-9)."""
    region = region_of_province(province) if province else None
    stores = db.session.scalars(select(Store).where(Store.active.is_(True)).order_by(Store.code)).all()
    return sorted(stores, key=lambda s: (s.province != province, s.region_id != region))


def _store(data: OrderInput, lock: bool = False) -> Store | None:
    """The chosen pickup store, active. ``lock``: placing the order keeps the store's row shared-locked until the
    commit (FOR SHARE on PostgreSQL), so that an admin closing the store at that moment waits and sees the order
    (``admin.organisation.update_store``); orders placed at the same store at once do not wait for each other."""
    if data.receive_method != ReceiveMethod.STORE:
        return None
    stmt = select(Store).where(Store.code == data.store_code, Store.active.is_(True))
    store = db.session.scalar(stmt.with_for_update(read=True) if lock else stmt)
    if store is None:
        raise FieldErrors({"store_code": ("bad_store", _("Vui lòng chọn cửa hàng trong danh sách."))})
    return store


def _free(number: PhoneNumber) -> bool:
    """Available, or held by an unpaid hold past its time (the hold at confirmation will expire it)."""
    if number.status == NumberStatus.AVAILABLE:
        return True
    ticket = db.session.get(HoldTicket, number.hold_ticket_id) if number.hold_ticket_id else None
    return (number.status == NumberStatus.HELD and ticket is not None and ticket.status == HoldStatus.ACTIVE
            and ticket.expires_at <= utcnow())


def quote(raw: dict[str, Any], channel: str, at: dt.datetime | None = None) -> dict[str, Any]:
    """The order summary before confirmation (amounts, the offer), without holding anything."""
    data = clean_order(raw)
    store = _store(data)
    rows = []
    for text in data.numbers:
        number = db.session.scalar(select(PhoneNumber).where(PhoneNumber.number == normalize_number(text)))
        if number is None:
            raise NotFound("number_not_found", _("Số %(n)s không có trong kho số.", n=text[:20]))
        if not _free(number):
            raise Conflict("number_not_available", _("Số %(n)s đã có người giữ hoặc không còn bán.",
                                                     n=number.number))
        rows.append(number)
    offer = best_offer(OrderFacts(data.sim_type.value, channel), at)
    return {"data": data, "store": store, "numbers": rows, "offer": offer,
            "amounts": amounts(sum(n.price for n in rows), data.sim_type, data.receive_method, len(rows))}


def _check_open_orders(customer: Customer, channel: str, key: str) -> None:
    """A COD hold never expires by itself: cap the unpaid orders one customer may keep open (a replay passes)."""
    replay = select(HoldTicket.id).where(HoldTicket.channel == channel, HoldTicket.idempotency_key == key)
    if db.session.scalar(replay) is not None:
        return
    open_orders = db.session.scalar(select(func.count()).select_from(Order).where(
        Order.customer_id == customer.id, Order.paid_at.is_(None),
        Order.status.not_in((OrderStatus.DELIVERED, OrderStatus.CANCELLED)))) or 0
    limit = current_app.config["ORDER_MAX_OPEN_PER_CUSTOMER"]
    if open_orders >= limit:
        raise Conflict("too_many_open_orders", _("Bạn đang có %(n)d đơn chưa thanh toán. Vui lòng hoàn tất hoặc hủy "
                                                 "bớt trước khi giữ thêm số.", n=open_orders))


def place_order(raw: dict[str, Any], customer: Customer, channel: str, idempotency_key: str,
                at: dt.datetime | None = None) -> tuple[Order, bool]:
    """Hold the number and create its order (HOLD-2..13); returns the order and whether it is a replay."""
    if channel not in WEB_CHANNELS:
        raise ValueError(channel)
    data = clean_order(raw)
    store = _store(data, lock=True)
    key = f"c{customer.id}:{idempotency_key}"[:80]
    _check_open_orders(customer, channel, key)
    ticket, replayed = holds.hold_numbers(data.numbers, data.contact_phone, data.sim_type.value, channel,
                                          actor=customer, idempotency_key=key)
    if replayed:
        earlier = order_for_ticket(ticket.id)
        if earlier is None or earlier.customer_id != customer.id:
            raise Conflict("idempotency_key_reused", _("Biểu mẫu này đã được gửi. Vui lòng tải lại trang."))
        return earlier, True
    offer = best_offer(OrderFacts(data.sim_type.value, channel), at)
    fields = {k: getattr(data, k) for k in (
        "sim_type", "full_name", "id_type", "id_number", "birth_date", "gender", "address", "ward", "district",
        "province", "email", "contact_phone", "recipient_name", "recipient_phone", "delivery_address",
        "delivery_ward", "delivery_district", "delivery_province")}
    order = Order(
        order_no=new_order_no(), ticket_id=ticket.id, customer_id=customer.id, channel=channel,
        region_id=region_of_province(data.province), receive_method=data.receive_method,
        payment_method=data.payment_method, store_id=store.id if store else None,
        offer_code=offer.code if offer else "", offer_summary=offer.summary if offer else "",
        **amounts(ticket.amount, data.sim_type, data.receive_method, len(ticket.lines)), **fields)
    lifecycle.open_order(order, customer, channel)
    if order.email:
        from portal.orders.jobs import mail_order

        enqueue_after_commit(mail_order, order.id, "placed")
    audit("order.create", order, actor=customer, detail={
        "order_no": order.order_no, "hold_code": ticket.hold_code, "total": order.total,
        "receive": data.receive_method.value, "payment": data.payment_method.value, "offer": order.offer_code})
    return order, False
