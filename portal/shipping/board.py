"""The order board's queries: the tabs with their counts, search and filters, region scoped.

Counts come from one GROUP BY over (status, receive_method) — an index-only scan — and a tab's
first page walks (status, created_at) backwards; eSIM orders (received by e-mail) are not on the board.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from flask_login import current_user
from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import selectinload

from portal.core.access import in_region
from portal.core.digits import is_ascii_digits, normalize, whole_number
from portal.core.time import vietnam_to_utc
from portal.extensions import db
from portal.holds.models import HoldTicket
from portal.holds.services import normalize_hold_code
from portal.orders.models import BOARD_TABS, Order, OrderStatus, PaymentMethod, ReceiveMethod
from portal.shipping.models import OrderTabCount

PER_PAGE = 50
BOARD_METHODS = (ReceiveMethod.DELIVERY, ReceiveMethod.STORE)


@dataclass
class BoardFilters:
    tab: OrderStatus = OrderStatus.PENDING
    q: str = ""
    region_id: int | None = None
    store_id: int | None = None
    payment: PaymentMethod | None = None
    receive: ReceiveMethod | None = None
    date_from: date | None = None
    date_to: date | None = None
    page: int = 1
    errors: dict[str, str] = field(default_factory=dict)

    def args(self, **override) -> dict:
        """The query string that reproduces these filters (links between tabs and pages)."""
        values = {"tab": self.tab.value, "q": self.q, "region": self.region_id, "store": self.store_id,
                  "payment": self.payment.value if self.payment else None,
                  "receive": self.receive.value if self.receive else None,
                  "from": self.date_from.isoformat() if self.date_from else None,
                  "to": self.date_to.isoformat() if self.date_to else None}
        values.update(override)
        return {k: v for k, v in values.items() if v not in (None, "")}


def _date(text: str | None) -> date | None:
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        return None


def parse_filters(args) -> BoardFilters:
    """Read the board's query string; anything malformed is ignored rather than refused."""
    f = BoardFilters(q=(args.get("q") or "").strip()[:40])
    try:
        f.tab = OrderStatus(args.get("tab") or "pending")
    except ValueError:
        f.tab = OrderStatus.PENDING
    if f.tab not in BOARD_TABS:
        f.tab = OrderStatus.PENDING
    f.region_id = args.get("region", type=whole_number)
    f.store_id = args.get("store", type=whole_number)
    f.payment = PaymentMethod(args["payment"]) if args.get("payment") in set(PaymentMethod) else None
    f.receive = ReceiveMethod(args["receive"]) if args.get("receive") in BOARD_METHODS else None
    f.date_from, f.date_to = _date(args.get("from")), _date(args.get("to"))
    f.page = max(1, min(args.get("page", 1, type=whole_number) or 1, 1000))
    return f


def _search(stmt: Select, q: str) -> Select:
    """By order number, phone (contact or recipient) or hold code: equality on indexed columns only, so that
    PostgreSQL can OR the indexes (a sub-select inside the OR made it scan the whole tab)."""
    q = normalize(q)  # full-width digits and letters: ASCII (core.digits)
    digits = re.sub(r"[\s.\-]", "", q)
    if digits.startswith("+84"):
        digits = "0" + digits[3:]
    clauses = [Order.order_no == q.upper().replace(" ", "")]
    ticket_id = db.session.scalar(select(HoldTicket.id).where(HoldTicket.hold_code == normalize_hold_code(q)))
    if ticket_id is not None:
        clauses.append(Order.ticket_id == ticket_id)
    if is_ascii_digits(digits):
        clauses += [Order.contact_phone == digits, Order.recipient_phone == digits]
    return stmt.where(or_(*clauses))


def filtered(f: BoardFilters) -> Select:
    """Everything but the tab: the board's rows before they are split by status."""
    stmt = in_region(select(Order), Order.region_id).where(Order.receive_method.in_(BOARD_METHODS))
    if f.region_id is not None and current_user.is_head_office:
        stmt = stmt.where(Order.region_id == f.region_id)
    if f.store_id is not None:
        stmt = stmt.where(Order.store_id == f.store_id)
    if f.payment:
        stmt = stmt.where(Order.payment_method == f.payment)
    if f.receive:
        stmt = stmt.where(Order.receive_method == f.receive)
    if f.date_from:
        stmt = stmt.where(Order.created_at >= to_utc(f.date_from))
    if f.date_to:
        stmt = stmt.where(Order.created_at < to_utc(f.date_to + timedelta(days=1)))
    if f.q:
        stmt = _search(stmt, f.q)
    return stmt


def to_utc(day: date) -> datetime:
    """Midnight of a Vietnamese day, in the naive UTC the columns store."""
    return vietnam_to_utc(datetime.combine(day, time()))


def unfiltered(f: BoardFilters) -> bool:
    return not (f.q or f.store_id or f.payment or f.receive or f.date_from or f.date_to)


def tab_counts(f: BoardFilters) -> dict[OrderStatus, int]:
    """Each tab's count: from the trigger-kept totals when nothing narrows the board, else counted."""
    if unfiltered(f):
        stmt = select(OrderTabCount.status, func.sum(OrderTabCount.n)).where(
            OrderTabCount.receive_method.in_([m.value for m in BOARD_METHODS]),
            OrderTabCount.status.in_([t.value for t in BOARD_TABS]))
        region = f.region_id if current_user.is_head_office else current_user.region_id
        if region is not None:
            stmt = stmt.where(OrderTabCount.region_id == region)
        rows = db.session.execute(stmt.group_by(OrderTabCount.status)).all()
        return _as_counts(rows)
    stmt = filtered(f).where(Order.status.in_(BOARD_TABS))
    return _as_counts(db.session.execute(stmt.with_only_columns(Order.status, func.count())
                                         .group_by(Order.status)).all())


def _as_counts(rows) -> dict[OrderStatus, int]:
    counts = dict.fromkeys(BOARD_TABS, 0)
    for status, n in rows:
        counts[OrderStatus(status)] = int(n or 0)
    return counts


def tab_page(f: BoardFilters) -> list[Order]:
    stmt = filtered(f).where(Order.status == f.tab).options(
        selectinload(Order.ticket).selectinload(HoldTicket.lines), selectinload(Order.store))  # no N+1 per row
    return list(db.session.scalars(stmt.order_by(Order.created_at.desc(), Order.id.desc())
                                    .limit(PER_PAGE).offset((f.page - 1) * PER_PAGE)))
