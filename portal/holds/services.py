"""Holding numbers (HOLD-1, E-2.2, E-3.2): one ticket per request, exactly one holder per number.

A number is taken with a conditional UPDATE (``WHERE status = 'available'``) whose
row count says who won: never check-then-act, so concurrent requests on SQLite or
PostgreSQL leave exactly one ticket. Unpaid holds expire (``HOLD_MINUTES``) and
``expire_holds`` returns their numbers to the pool; a paid hold stays until
activation or cancellation.
"""
from __future__ import annotations

import hashlib
import json
import re
import secrets
from datetime import datetime, timedelta

from blinker import Namespace
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import BindParameter, ColumnElement, DateTime, Select, and_, bindparam, or_, select, update

from portal.core.actors import Actor
from portal.core.audit import audit
from portal.core.digits import MAX_TEXT, normalize
from portal.core.errors import Conflict, Invalid, NotFound
from portal.core.jobs import job, periodic
from portal.core.states import record_change, transition
from portal.core.time import utcnow
from portal.core.tx import rowcount
from portal.extensions import db
from portal.holds.models import HOLD_TRANSITIONS, HoldLine, HoldStatus, HoldTicket, SimType
from portal.numbers.formatting import normalize_number
from portal.numbers.models import NumberPair, NumberStatus, PhoneNumber
from portal.numbers.search import lapsed_holds

# No look-alikes: 0/O, 1/I/L, 2/Z, 5/S, 8/B are left out. 25^10 ≈ 10^14 codes.
HOLD_CODE_ALPHABET = "ACDEFGHJKMNPQRTUVWXY34679"
HOLD_CODE_LENGTH = 10
CUSTOMER_PHONE = re.compile(r"0[35789][0-9]{8}")  # any Vietnamese mobile number, not only ours

# Other domains follow a hold's end in the same transaction (orders cancel an unpaid order): a receiver
# gets the ticket, must not commit, and may raise to undo the whole expiry or cancellation.
_signals = Namespace()
hold_expired = _signals.signal("hold-expired")
hold_cancelled = _signals.signal("hold-cancelled")


def new_hold_code() -> str:
    return "".join(secrets.choice(HOLD_CODE_ALPHABET) for _ in range(HOLD_CODE_LENGTH))


def normalize_hold_code(text: str) -> str:
    """What a person types: lower case, spaces and dashes, full-width characters are forgiven."""
    return re.sub(r"[\s-]", "", normalize(text or "")[:MAX_TEXT]).upper()[:HOLD_CODE_LENGTH + 4]


def normalize_customer_phone(text: str) -> str:
    digits = re.sub(r"[\s.\-]", "", normalize(text or "")[:MAX_TEXT])
    if digits.startswith("+84"):
        digits = "0" + digits[3:]
    elif digits.startswith("84") and len(digits) == 11:
        digits = "0" + digits[2:]
    if not CUSTOMER_PHONE.fullmatch(digits):
        raise Invalid("bad_customer_phone", _("Số điện thoại liên hệ không hợp lệ (10 chữ số, bắt đầu bằng 0)."))
    return digits


def fingerprint(numbers: list[str], customer_phone: str, sim_type: str) -> str:
    """What makes two requests 'the same' for an idempotency key."""
    body = json.dumps([sorted(numbers), customer_phone, sim_type])
    return hashlib.sha256(body.encode()).hexdigest()


def _numbers(raw: list[str]) -> list[str]:
    if not raw or len(raw) > 2:
        raise Invalid("bad_numbers", _("Mỗi phiếu giữ một số, hoặc một cặp số."))
    numbers = []
    for text in raw:
        number = normalize_number(str(text))
        if number is None:
            raise Invalid("bad_number", _("Số thuê bao “%(n)s” không hợp lệ.", n=str(text)[:20]))
        numbers.append(number)
    if len(set(numbers)) != len(numbers):
        raise Invalid("bad_numbers", _("Hai số của một cặp phải khác nhau."))
    return numbers


def hold_numbers(
    raw_numbers: list[str],
    customer_phone: str,
    sim_type: str,
    channel: str,
    actor: Actor | None = None,
    idempotency_key: str | None = None,
) -> tuple[HoldTicket, bool]:
    """Hold one number or a pair for a customer; returns the ticket and whether it is a replay."""
    numbers = _numbers(raw_numbers)
    phone = normalize_customer_phone(customer_phone)
    try:
        sim = SimType(sim_type)
    except ValueError:
        raise Invalid("bad_sim_type", _("Loại SIM phải là SIM vật lý hoặc eSIM.")) from None
    print_ = fingerprint(numbers, phone, sim.value)
    if idempotency_key:
        if len(idempotency_key) > 80:
            raise Invalid("bad_idempotency_key", _("Idempotency-Key dài tối đa 80 ký tự."))
        earlier = db.session.scalar(select(HoldTicket).where(HoldTicket.channel == channel,
                                                             HoldTicket.idempotency_key == idempotency_key))
        if earlier is not None:
            if earlier.request_fingerprint != print_:
                raise Invalid("idempotency_key_reused",
                              _("Idempotency-Key này đã dùng cho một yêu cầu khác."))
            return earlier, True
    rows = {n.number: n for n in db.session.scalars(select(PhoneNumber).where(PhoneNumber.number.in_(numbers)))}
    for number in numbers:
        if number not in rows:
            raise NotFound("number_not_found", _("Số %(n)s không có trong kho số.", n=number))
    if len(numbers) == 2 and not _is_pair(rows[numbers[0]].id, rows[numbers[1]].id):
        raise Invalid("not_a_pair", _("Hai số này không phải là một cặp số."))
    release_expired([r.id for r in rows.values()])
    now = utcnow()
    ticket = HoldTicket(
        hold_code=new_hold_code(), customer_phone=phone, channel=channel, sim_type=sim,
        region_id=rows[numbers[0]].region_id, idempotency_key=idempotency_key or None, request_fingerprint=print_,
        created_at=now, expires_at=now + timedelta(minutes=current_app.config["HOLD_MINUTES"]),
        lines=[],  # the lines below are appended to it: held by the ticket, never read back from the database
    )
    db.session.add(ticket)
    db.session.flush()
    # Lock in id order: two requests for the same pair in opposite orders must not deadlock on PostgreSQL.
    for number in sorted(numbers, key=lambda n: rows[n].id):
        taken = rowcount(db.session.execute(
            update(PhoneNumber)
            .where(PhoneNumber.id == rows[number].id, PhoneNumber.status == NumberStatus.AVAILABLE)
            .values(status=NumberStatus.HELD, hold_ticket_id=ticket.id, updated_at=now)
            .execution_options(synchronize_session=False)
        ))
        if taken != 1:
            raise Conflict("number_not_available", _("Số %(n)s đã có người giữ hoặc không còn bán.", n=number))
        ticket.lines.append(HoldLine(number_id=rows[number].id, number=number, price=rows[number].price))
    ticket.amount = sum(rows[n].price for n in numbers)
    record_change(ticket, None, HoldStatus.ACTIVE, actor, channel)
    audit("hold.create", ticket, actor=actor, detail={"numbers": numbers, "channel": channel, "sim": sim.value})
    return ticket, False


def _is_pair(a: int, b: int) -> bool:
    both = or_(and_(NumberPair.first_id == a, NumberPair.second_id == b),
               and_(NumberPair.first_id == b, NumberPair.second_id == a))
    return db.session.scalar(select(NumberPair.id).where(both)) is not None


def _release_numbers(ticket_id: int) -> None:
    db.session.execute(
        update(PhoneNumber).where(PhoneNumber.hold_ticket_id == ticket_id, PhoneNumber.status == NumberStatus.HELD)
        .values(status=NumberStatus.AVAILABLE, hold_ticket_id=None, updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )


def _lapsed(now: datetime | BindParameter | None = None) -> ColumnElement[bool]:
    """An unpaid hold past its time: expired, whether or not the sweeper has reached it yet."""
    return and_(HoldTicket.status == HoldStatus.ACTIVE, HoldTicket.expires_at <= (utcnow() if now is None else now))


@lapsed_holds.connect
def _lapsed_numbers(_sender: object = None, **_kw: object) -> Select:
    """The numbers of the holds lapsed at ``:now``, for searches to offer at once (numbers.search.lapsed_holds).

    From the holds' own lines (an index on ticket_id): few rows, whatever the planner knows of phone_number.
    """
    lapsed = select(HoldTicket.id).where(_lapsed(bindparam("now", type_=DateTime())))
    return select(HoldLine.number_id).where(HoldLine.ticket_id.in_(lapsed))


def release_expired(number_ids: list[int] | None = None, limit: int = 500) -> int:
    """Expire unpaid holds past their time (on the given numbers, or any) and free their numbers."""
    stmt = select(HoldTicket).where(_lapsed())
    if number_ids is not None:
        stmt = stmt.where(HoldTicket.id.in_(
            select(PhoneNumber.hold_ticket_id).where(PhoneNumber.id.in_(number_ids))))
    expired = 0
    for ticket in db.session.scalars(stmt.limit(limit)).all():
        try:
            transition(ticket, HoldStatus.EXPIRED, None, HOLD_TRANSITIONS, "hết hạn giữ số", ended_at=utcnow())
        except Conflict:
            continue  # paid or cancelled a moment ago: leave it be
        _release_numbers(ticket.id)
        hold_expired.send(ticket)
        expired += 1
    return expired


@periodic(interval=60)
@job
def expire_holds() -> int:
    """Return the numbers of unpaid, expired holds to the pool (checklist 18)."""
    total = 0
    while batch := release_expired():
        total += batch
    return total


def _refuse_cancel(ticket: HoldTicket, allow_paid: bool) -> Conflict | None:
    """Why a hold cannot be cancelled (None: it can): expired — swept or not yet —, or paid."""
    if ticket.status == HoldStatus.EXPIRED or (ticket.status == HoldStatus.ACTIVE and ticket.expires_at <= utcnow()):
        return Conflict("hold_expired", _("Phiếu giữ số đã hết hạn."))
    if ticket.status == HoldStatus.PAID and not allow_paid:
        return Conflict("hold_paid", _("Phiếu giữ số đã thanh toán: chỉ hủy được khi hủy đơn hàng (kèm hoàn tiền)."))
    if ticket.status not in HOLD_TRANSITIONS or HoldStatus.CANCELLED not in HOLD_TRANSITIONS[ticket.status]:
        return Conflict("invalid_transition", _("Phiếu giữ số không còn hủy được."))
    return None


def can_cancel(ticket: HoldTicket) -> bool:
    """Whether staff or a channel may cancel this hold itself (an unpaid, live hold)."""
    return _refuse_cancel(ticket, allow_paid=False) is None


def cancel_hold(ticket: HoldTicket, actor: Actor | None, reason: str = "", allow_paid: bool = False) -> None:
    """Cancel a live hold and free its numbers; a paid one only for its order's cancellation (``allow_paid``)."""
    if refusal := _refuse_cancel(ticket, allow_paid):
        raise refusal
    transition(ticket, HoldStatus.CANCELLED, actor, HOLD_TRANSITIONS, reason, ended_at=utcnow())
    _release_numbers(ticket.id)
    hold_cancelled.send(ticket, actor=actor, reason=reason)


def reserve_for_order(ticket: HoldTicket, actor: Actor | None = None) -> None:
    """A cash-on-delivery order keeps its hold until it is paid at the door or cancelled: the clock stops."""
    if ticket.is_past_expiry:
        raise Conflict("hold_expired", _("Phiếu giữ số đã hết hạn."))
    transition(ticket, HoldStatus.RESERVED, actor, HOLD_TRANSITIONS, "giữ cho đơn thanh toán khi nhận")


def mark_paid(ticket: HoldTicket, actor: Actor | None = None) -> None:
    """Payment confirmed (online, or cash for a reserved hold): the hold no longer expires."""
    if ticket.is_past_expiry:
        raise Conflict("hold_expired", _("Phiếu giữ số đã hết hạn."))
    transition(ticket, HoldStatus.PAID, actor, HOLD_TRANSITIONS, paid_at=utcnow())


def ticket_for_channel(hold_code: str, channel: str) -> HoldTicket:
    """A channel's own ticket; any other channel's is 'not found' (checklist 19)."""
    ticket = db.session.scalar(select(HoldTicket).where(HoldTicket.hold_code == normalize_hold_code(hold_code)))
    if ticket is None or ticket.channel != channel:
        raise NotFound("hold_not_found", _("Không tìm thấy phiếu giữ số."))
    return ticket


def lookup_hold(hold_code: str, customer_phone: str) -> HoldTicket:
    """Tra cứu phiếu giữ số by code and phone; a wrong phone looks exactly like an unknown code."""
    ticket = db.session.scalar(select(HoldTicket).where(HoldTicket.hold_code == normalize_hold_code(hold_code)))
    try:
        phone = normalize_customer_phone(customer_phone)
    except Invalid:
        phone = None
    if ticket is None or phone is None or not secrets.compare_digest(ticket.customer_phone, phone):
        raise NotFound("hold_not_found", _("Không tìm thấy phiếu giữ số với mã và số điện thoại này."))
    return ticket
