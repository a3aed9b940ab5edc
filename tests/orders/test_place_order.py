"""Placing orders (HOLD-2..14, E-1.2, E-2.2): hold + order in one transaction, amounts, routing, expiry."""
from __future__ import annotations

import datetime as dt
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from portal.core.errors import Conflict
from portal.core.models import StatusChange
from portal.core.time import utcnow
from portal.holds import services as holds
from portal.holds.models import HoldStatus, HoldTicket
from portal.numbers.models import NumberStatus, PhoneNumber
from portal.orders import lifecycle, queries
from portal.orders import services as orders
from portal.orders.models import Order, OrderStatus
from portal.orders.validation import FieldErrors

from .conftest import hold_form

AT_DEMO = dt.datetime(2022, 7, 1, 3, 0)  # inside the TN4G window


def _count(db, model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def _number(db, number: str) -> PhoneNumber:
    db.session.expire_all()
    return db.session.scalar(select(PhoneNumber).where(PhoneNumber.number == number))


def test_cod_delivery_order_holds_the_number_and_starts_pending__HOLD_11(numbers, customer, db):
    order, replayed = orders.place_order(hold_form(), customer, "web", "nonce-1")
    db.session.commit()
    assert not replayed and order.status == OrderStatus.PENDING
    assert order.order_no.startswith("DH") and len(order.order_no) == 10
    assert order.region_id == 2  # TP. Hồ Chí Minh → CTKV2
    assert (order.number_price, order.sim_fee, order.delivery_fee, order.total) == (500_000, 25_000, 20_000, 545_000)
    assert order.ticket.status == HoldStatus.RESERVED and not order.ticket.expires  # kept as long as its order
    assert _number(db, "0903686868").status == NumberStatus.HELD
    moves = db.session.scalars(select(StatusChange.to_status).where(StatusChange.object_type == "customer_order"))
    assert list(moves) == ["pending"]


def test_online_order_awaits_payment_with_the_normal_hold__HOLD_12(numbers, customer, db):
    order, _ = orders.place_order(hold_form(payment_method="online", receive_method="store", store_code="CH-HCM-02"),
                                  customer, "app", "n2")
    db.session.commit()
    assert order.status == OrderStatus.AWAITING_PAYMENT and order.store.code == "CH-HCM-02"
    assert order.total == 525_000 and order.delivery_fee == 0
    assert order.ticket.expires_at - order.ticket.created_at == timedelta(minutes=30)


def test_double_submit_gives_one_order_and_one_hold__HOLD_3(numbers, customer, db):
    first, _ = orders.place_order(hold_form(), customer, "web", "same-nonce")
    db.session.commit()
    again, replayed = orders.place_order(hold_form(), customer, "web", "same-nonce")
    db.session.commit()
    assert replayed and again.id == first.id
    assert _count(db, Order) == 1 and _count(db, HoldTicket) == 1


def test_another_customer_cannot_replay_a_nonce(numbers, customer, make_customer, db):
    orders.place_order(hold_form(), customer, "web", "nonce")
    db.session.commit()
    with pytest.raises(Conflict):  # different key (bound to the customer): the number is taken
        orders.place_order(hold_form(), make_customer(), "web", "nonce")
    db.session.rollback()
    assert _count(db, Order) == 1


def test_a_refused_form_holds_nothing__HOLD_5(numbers, customer, db):
    with pytest.raises(FieldErrors):
        orders.place_order(hold_form(id_number="079190001234"), customer, "web", "n")
    db.session.rollback()
    assert _count(db, HoldTicket) == 0 and _number(db, "0903686868").status == NumberStatus.AVAILABLE


def test_esim_order_is_online_by_email_with_the_offer__HOLD_6(numbers, customer, db):
    form = hold_form(sim_type="esim", receive_method="email", payment_method="online")
    order, _ = orders.place_order(form, customer, "app", "n", at=AT_DEMO)
    db.session.commit()
    assert order.receive_method.value == "email" and order.status == OrderStatus.AWAITING_PAYMENT
    assert order.total == 525_000
    assert order.offer_code == "TN4G" and "15 GB" in order.offer_summary


def test_store_list_puts_the_customers_province_first__HOLD_9(db):
    codes = [s.code for s in orders.stores_for("Hải Phòng")]
    assert codes[0] == "CH-HP-01" and len(codes) == 7
    codes = [s.code for s in orders.stores_for("Bắc Ninh")]  # no store there: its region's (CTKV1) first
    assert codes[:2] == ["CH-HN-01", "CH-HN-02"]


def test_unknown_store_is_refused_beside_the_field__HOLD_9(numbers, customer, db):
    with pytest.raises(FieldErrors) as err:
        orders.place_order(hold_form(receive_method="store", store_code="CH-XX-99"), customer, "web", "n")
    assert set(err.value.fields) == {"store_code"}


def test_expired_unpaid_hold_cancels_the_order_and_frees_the_number__checklist_18(numbers, customer, db):
    order, _ = orders.place_order(hold_form(payment_method="online"), customer, "web", "n")
    order.ticket.expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert holds.release_expired() == 1  # what the periodic expire_holds job runs
    db.session.commit()
    db.session.expire_all()
    order = db.session.get(Order, order.id)
    assert order.status == OrderStatus.CANCELLED and order.cancelled_at is not None
    assert order.ticket.status == HoldStatus.EXPIRED
    assert _number(db, "0903686868").status == NumberStatus.AVAILABLE
    assert [e.status for e in queries.timeline(order)] == ["active", "awaiting_payment", "expired", "cancelled"]


def test_cod_hold_does_not_expire(numbers, customer, db):
    orders.place_order(hold_form(), customer, "web", "n")
    db.session.commit()
    assert holds.release_expired() == 0


def test_cancel_order_frees_the_number__SHIP_11(numbers, customer, db):
    order, _ = orders.place_order(hold_form(), customer, "web", "n")
    db.session.commit()
    lifecycle.cancel(order, customer, "Khách đổi ý", by_customer=True)
    db.session.commit()
    assert order.status == OrderStatus.CANCELLED and order.ticket.status == HoldStatus.CANCELLED
    assert _number(db, "0903686868").status == NumberStatus.AVAILABLE


def test_cancelling_the_hold_cancels_its_order(numbers, customer, db):
    order, _ = orders.place_order(hold_form(payment_method="online"), customer, "web", "n")
    db.session.commit()
    holds.cancel_hold(order.ticket, None, "nhân viên hủy")
    db.session.commit()
    assert db.session.get(Order, order.id).status == OrderStatus.CANCELLED


def test_order_paid_pays_the_hold_and_puts_the_order_on_the_board__SHIP_2(numbers, customer, db):
    online, _ = orders.place_order(hold_form(payment_method="online"), customer, "web", "a")
    cod, _ = orders.place_order(hold_form(number="0909123456"), customer, "web", "b")
    lifecycle.pay(online, None)
    lifecycle.pay(cod, None)  # the cash collected: the same move
    db.session.commit()
    assert online.status == OrderStatus.PENDING and online.ticket.status == HoldStatus.PAID
    assert cod.status == OrderStatus.PENDING and cod.paid_at is not None and cod.ticket.status == HoldStatus.PAID


def test_find_order_by_what_the_customer_quotes(numbers, customer, db):
    order, _ = orders.place_order(hold_form(), customer, "web", "n")
    db.session.commit()
    spoken = orders.format_order_no(order.order_no).lower()
    assert queries.find_order(spoken).id == order.id


def test_another_customers_ticket_is_not_found(numbers, customer, make_customer, db):
    order, _ = orders.place_order(hold_form(), customer, "web", "n")
    db.session.commit()
    assert queries.customer_order(order.ticket.hold_code, customer).id == order.id
    with pytest.raises(Exception) as err:
        queries.customer_order(order.ticket.hold_code, make_customer())
    assert getattr(err.value, "status", None) == 404


def test_a_pair_is_held_on_one_order_with_two_sim_fees__HOLD_1(numbers, customer, db):
    form = hold_form(number="0903686868,0933686868")
    summary = orders.quote(form, "web")
    assert summary["amounts"]["sim_fee"] == 50_000 and len(summary["numbers"]) == 2
    order, _ = orders.place_order(form, customer, "web", "pair")
    db.session.commit()
    assert order.ticket.numbers == ["0903686868", "0933686868"]
    assert order.total == order.number_price + 50_000 + 20_000


def test_quote_shows_amounts_and_offer_without_holding__HOLD_11(numbers, db):
    summary = orders.quote(hold_form(sim_type="esim", receive_method="email", payment_method="online"), "app",
                           at=AT_DEMO)
    assert summary["amounts"] == {"number_price": 500_000, "sim_fee": 25_000, "delivery_fee": 0, "total": 525_000}
    assert summary["offer"].code == "TN4G"
    assert _count(db, HoldTicket) == 0


def test_a_number_whose_unpaid_hold_ran_out_can_be_ordered_again__checklist_18(numbers, customer, make_customer, db):
    first, _ = orders.place_order(hold_form(payment_method="online"), customer, "web", "a")
    first.ticket.expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert orders.quote(hold_form(), "web")["numbers"][0].number == "0903686868"
    second, _ = orders.place_order(hold_form(), make_customer(), "web", "b")
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(Order, first.id).status == OrderStatus.CANCELLED  # expired with its hold, same transaction
    assert second.status == OrderStatus.PENDING
    with pytest.raises(Conflict):
        orders.quote(hold_form(), "web")


def test_a_customer_may_keep_only_a_few_unpaid_orders_open(numbers, customer, db, app, monkeypatch):
    monkeypatch.setitem(app.config, "ORDER_MAX_OPEN_PER_CUSTOMER", 2)
    orders.place_order(hold_form(), customer, "web", "a")
    orders.place_order(hold_form(number="0909123456", payment_method="online"), customer, "web", "b")
    db.session.commit()
    with pytest.raises(Conflict) as err:
        orders.place_order(hold_form(number="0778001122"), customer, "web", "c")
    assert err.value.code == "too_many_open_orders"
    db.session.rollback()
    assert orders.place_order(hold_form(), customer, "web", "a")[1]  # a replay still answers
