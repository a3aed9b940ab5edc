"""The order state machine (SHIP-3..23) through the services: guards, bad input, the hold released."""
from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from portal.core.errors import Conflict, Invalid, NotFound
from portal.core.models import AuditEntry, OutboxJob, StatusChange
from portal.core.roles import Role
from portal.core.time import utcnow
from portal.holds.models import HoldStatus
from portal.numbers.models import NumberStatus, PhoneNumber
from portal.orders import lifecycle, sim
from portal.orders.models import OrderStatus
from portal.shipping import services
from portal.shipping.models import CarrierEvent, EventOutcome
from tests.conftest import page_csrf
from tests.shipping.conftest import ID_NUMBER, confirm_now, make_iccid


def _reload(db, order):
    db.session.commit()  # end our read transaction: SQLite (WAL) would keep showing its snapshot
    return db.session.get(type(order), order.id)


def _number_status(db, order) -> NumberStatus:
    db.session.expire_all()
    return db.session.scalar(select(PhoneNumber.status).where(PhoneNumber.number == order.ticket.numbers[0]))


def _callback(order, status, **extra):
    body = {"OrderCode": order.carrier_order_code or "", "ClientOrderCode": order.order_no, "Status": status,
            "Time": extra.pop("Time", f"2026-11-25T10:{len(status):02d}:00Z"), "CODAmount": 0}
    body.update(extra)
    return body


def test_confirm_moves_to_waiting_pickup_and_queues_the_carrier_job__SHIP_8(db, make_order, make_staff):
    staff = make_staff(Role.SHIPPING, region=1)
    order = make_order()
    confirm_now(order, staff)
    order = _reload(db, order)
    assert order.status == OrderStatus.WAITING_PICKUP and order.carrier == "ghn"
    assert order.pickup_address.startswith("Kho SIM")
    jobs = db.session.scalars(select(OutboxJob)).all()
    assert [j.func for j in jobs] == ["portal.shipping.jobs.create_carrier_order"] and jobs[0].args == [order.id]


@pytest.mark.parametrize("when", [timedelta(minutes=-1), timedelta(0), timedelta(days=30)])
def test_a_pickup_time_in_the_past_or_too_far_is_refused__SHIP_8(db, make_order, make_staff, when):
    staff = make_staff(Role.SHIPPING, region=1)
    order = make_order()
    with pytest.raises(Invalid) as err:
        services.confirm_order(order, staff, "Kho SIM, Hà Nội", utcnow() + when)
    assert err.value.code in ("pickup_in_past", "pickup_too_far")
    db.session.rollback()
    assert _reload(db, order).status == OrderStatus.PENDING


def test_a_pickup_without_address_or_time_is_refused__SHIP_8(db, make_order, make_staff):
    staff = make_staff(Role.SHIPPING, region=1)
    order = make_order()
    with pytest.raises(Invalid) as err:
        services.confirm_order(order, staff, "  ", utcnow() + timedelta(hours=1))
    assert err.value.code == "bad_pickup_address"
    with pytest.raises(Invalid) as err:
        services.confirm_order(order, staff, "Kho SIM, Hà Nội", None)
    assert err.value.code == "pickup_in_past"


def test_confirming_a_cancelled_order_is_refused_with_the_reason__SHIP_11(db, make_order, make_staff):
    staff = make_staff(Role.SHIPPING, region=1)
    order = make_order()
    lifecycle.cancel(order, "customer", "Đổi ý, không mua nữa", by_customer=True)
    db.session.commit()
    with pytest.raises(Conflict) as err:
        services.confirm_order(order, staff, "Kho SIM, Hà Nội", utcnow() + timedelta(hours=1))
    assert err.value.code == "order_cancelled" and "Đổi ý, không mua nữa" in err.value.message


def test_store_pickup_orders_are_not_confirmed_for_a_carrier__SHIP_5(db, make_order, make_staff):
    staff = make_staff(Role.SHIPPING, region=1)
    order = make_order(receive="store")
    with pytest.raises(Conflict) as err:
        services.confirm_order(order, staff, "Kho SIM, Hà Nội", utcnow() + timedelta(hours=1))
    assert err.value.code == "not_home_delivery"


@pytest.mark.parametrize("iccid", [
    "", "89840100000000000", "898401000000000000000",  # 17 and 21 digits
    "8884010000000000010",  # does not begin with 89
    make_iccid(42)[:-1] + str((int(make_iccid(42)[-1]) + 1) % 10),  # wrong check digit
    "89840100000000000x1",
])
def test_an_invalid_iccid_is_refused__SHIP_13(db, make_order, make_staff, iccid):
    staff = make_staff(Role.SHIPPING, region=1)
    order = make_order()
    confirm_now(order, staff)
    with pytest.raises(Invalid) as err:
        lifecycle.hand_over(_reload(db, order), staff, iccid)
    assert err.value.code == "bad_iccid"


def test_hand_over_records_the_serial_and_moves_to_delivering__SHIP_13_14(db, make_order, make_staff):
    staff = make_staff(Role.SHIPPING, region=1)
    order, other = make_order(), make_order()
    confirm_now(order, staff)
    confirm_now(other, staff)
    serial = make_iccid(length=20)
    lifecycle.hand_over(_reload(db, order), staff, serial[:4] + " " + serial[4:])  # spaces forgiven
    db.session.commit()
    order = _reload(db, order)
    assert order.status == OrderStatus.DELIVERING and order.sim_serial == serial and order.handed_over_at
    with pytest.raises(Conflict) as err:  # one SIM, one order
        lifecycle.hand_over(_reload(db, other), staff, serial)
    assert err.value.code == "iccid_in_use"


def test_customer_cancels_while_pending_and_the_number_returns_to_the_pool__SHIP_3_11(db, make_order):
    order = make_order()
    assert _number_status(db, order) == NumberStatus.HELD
    lifecycle.cancel(order, "customer", "Đặt nhầm số", by_customer=True)
    db.session.commit()
    order = _reload(db, order)
    assert order.status == OrderStatus.CANCELLED and order.cancel_reason == "Đặt nhầm số"
    assert order.ticket.status == HoldStatus.CANCELLED
    assert _number_status(db, order) == NumberStatus.AVAILABLE


def test_customer_cancels_while_waiting_pickup__SHIP_10_11(db, make_order, make_staff):
    order = make_order(payment="online")
    confirm_now(order, make_staff(Role.SHIPPING, region=1))
    lifecycle.cancel(_reload(db, order), "customer", "Không cần nữa", by_customer=True)
    db.session.commit()
    assert _reload(db, order).status == OrderStatus.CANCELLED
    assert _number_status(db, order) == NumberStatus.AVAILABLE


def test_too_late_to_cancel_once_delivering__SHIP_10(db, make_order, make_staff):
    staff = make_staff(Role.SHIPPING, region=1)
    order = make_order()
    confirm_now(order, staff)
    lifecycle.hand_over(_reload(db, order), staff, make_iccid())
    db.session.commit()
    with pytest.raises(Conflict) as err:
        lifecycle.cancel(_reload(db, order), "customer", "Muộn rồi", by_customer=True)
    assert err.value.code == "too_late_to_cancel"
    with pytest.raises(Invalid):
        lifecycle.cancel(_reload(db, order), staff, "   ")


def _confirmed(db, make_order, make_staff, **kwargs):
    """Confirmed for pickup (SHIP-8), the carrier's order created: waiting for the courier."""
    staff = make_staff(Role.SHIPPING, region=1)
    order = make_order(**kwargs)
    confirm_now(order, staff)
    order = _reload(db, order)
    order.carrier_order_code = f"GY{order.id:06d}"
    db.session.commit()
    return _reload(db, order)


def _delivering(db, make_order, make_staff, **kwargs):
    """Handed to the courier with its serial (SHIP-13): on its way."""
    order = _confirmed(db, make_order, make_staff, **kwargs)
    lifecycle.hand_over(order, make_staff(Role.SHIPPING, region=1), make_iccid())
    db.session.commit()
    return _reload(db, order)


def test_carrier_statuses_map_onto_the_tabs_in_one_table__SHIP_9_22(db, make_order, make_staff):
    """SHIP-15, SHIP-21: the customer accepts; the courier confirms delivery."""
    order = _confirmed(db, make_order, make_staff)
    for status, tab in [("picking", OrderStatus.WAITING_PICKUP), ("picked", OrderStatus.DELIVERING),
                        ("storing", OrderStatus.DELIVERING), ("delivering", OrderStatus.DELIVERING)]:
        services.apply_carrier_status(_callback(order, status))
        db.session.commit()
        assert _reload(db, order).status == tab
    services.apply_carrier_status(_callback(order, "delivered", CODAmount=545_000))
    db.session.commit()
    order = _reload(db, order)
    assert order.status == OrderStatus.DELIVERED and order.cash_collected == 545_000 and not order.cash_mismatch
    assert order.paid_at and order.cod_date and order.carrier_status == "delivered"
    assert order.ticket.status == HoldStatus.PAID


def test_a_late_picking_after_delivered_changes_nothing_and_is_logged__checklist_24(db, make_order, make_staff,
                                                                                     caplog):
    # Alembic's fileConfig (the app fixture migrates) disables loggers that existed before it ran.
    logging.getLogger("portal.shipping.services").disabled = False
    caplog.set_level(logging.INFO, logger="portal.shipping.services")
    order = _delivering(db, make_order, make_staff)
    services.apply_carrier_status(_callback(order, "delivered", CODAmount=545_000))
    db.session.commit()
    event = services.apply_carrier_status(_callback(order, "picking", Time="2026-11-25T08:00:00Z"))
    db.session.commit()
    assert event.outcome == EventOutcome.STALE
    order = _reload(db, order)
    assert order.status == OrderStatus.DELIVERED and order.carrier_status == "delivered"
    assert "late picking" in caplog.text


def test_a_duplicate_callback_is_processed_once__checklist_23(db, make_order, make_staff):
    order = _delivering(db, make_order, make_staff)
    body = _callback(order, "waiting_to_return", Reason="Khách không nghe máy")
    assert services.apply_carrier_status(body).outcome == EventOutcome.APPLIED
    db.session.commit()
    assert services.apply_carrier_status(dict(body)).outcome == EventOutcome.DUPLICATE
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(CarrierEvent)) == 1
    history = db.session.scalars(select(StatusChange.to_status).where(
        StatusChange.object_type == "customer_order", StatusChange.object_id == str(order.id))).all()
    assert history.count("cancelled") == 1


def test_refused_at_the_door_ends_cancelled_with_the_reason_and_the_number_back__SHIP_16_18(db, make_order,
                                                                                         make_staff):
    """SHIP-15, SHIP-17: the customer does not accept; the carrier calls back Cancelled + reason."""
    order = _delivering(db, make_order, make_staff)
    services.apply_carrier_status(_callback(order, "delivering"))
    services.apply_carrier_status(_callback(order, "waiting_to_return", Reason="Khách từ chối nhận: đổi ý"))
    services.apply_carrier_status(_callback(order, "returned"))
    db.session.commit()
    order = _reload(db, order)
    assert order.status == OrderStatus.CANCELLED and order.cancel_reason == "Khách từ chối nhận: đổi ý"
    assert _number_status(db, order) == NumberStatus.AVAILABLE


def test_a_cash_amount_different_from_expected_is_flagged__SHIP_20(db, make_order, make_staff):
    order = _delivering(db, make_order, make_staff)
    services.apply_carrier_status(_callback(order, "delivered", CODAmount=500_000))
    db.session.commit()
    order = _reload(db, order)
    assert order.status == OrderStatus.DELIVERED and order.cash_collected == 500_000 and order.cash_mismatch


def test_paid_online_expects_no_cash_at_the_door__SHIP_19(db, make_order, make_staff):
    order = _delivering(db, make_order, make_staff, payment="online")
    services.apply_carrier_status(_callback(order, "delivered", CODAmount=0))
    db.session.commit()
    assert not _reload(db, order).cash_mismatch


def test_a_callback_for_an_unknown_order_is_not_found(db):
    with pytest.raises(NotFound):
        services.apply_carrier_status({"OrderCode": "GYNOPE", "ClientOrderCode": "DH0", "Status": "delivered"})


def test_store_hand_over_checks_the_id_and_records_the_sim__SHIP_6_7(db, make_order, make_staff):
    clerk = make_staff(Role.CLERK, region=1)
    order = make_order(receive="store")
    with pytest.raises(Invalid) as err:
        lifecycle.collect_at_store(order, clerk, "001099099999", make_iccid(), 545_000)
    assert err.value.code == "id_mismatch"
    with pytest.raises(Invalid) as err:
        lifecycle.collect_at_store(order, clerk, ID_NUMBER, make_iccid(), 500_000)
    assert err.value.code == "cash_mismatch"
    db.session.rollback()
    other_clerk = make_staff(Role.CLERK, region=2)
    with pytest.raises(NotFound):
        lifecycle.collect_at_store(_reload(db, order), other_clerk, ID_NUMBER, make_iccid(), 545_000)
    serial = make_iccid()
    lifecycle.collect_at_store(_reload(db, order), clerk, ID_NUMBER, serial, 545_000)
    db.session.commit()
    order = _reload(db, order)
    assert order.status == OrderStatus.DELIVERED and order.sim_serial == serial and order.cash_collected == 545_000
    assert order.carrier == "store" and order.ticket.status == HoldStatus.PAID


def test_iccid_check_digit():
    assert sim.luhn_ok("89840100000000000018") or sim.luhn_ok(make_iccid(1))
    assert sim.luhn_ok(make_iccid(7, length=20)) and len(make_iccid(7, length=20)) == 20


def test_serial_recorded_after_the_courier_already_picked_up__SHIP_13(db, make_order, make_staff):
    """The carrier's "picked" can beat staff to it: the order is delivering, the serial is still recorded once."""
    staff = make_staff(Role.SHIPPING, region=1)
    order = _confirmed(db, make_order, make_staff)
    services.apply_carrier_status(_callback(order, "picked"))
    db.session.commit()
    serial = make_iccid()
    lifecycle.hand_over(_reload(db, order), staff, serial)
    db.session.commit()
    order = _reload(db, order)
    assert order.status == OrderStatus.DELIVERING and order.sim_serial == serial
    with pytest.raises(Conflict):
        lifecycle.hand_over(order, staff, make_iccid())


@pytest.mark.parametrize("status", ["ready_to_pick", "picking", "money_collect_picking"])
@pytest.mark.parametrize("payment", ["cod", "online"])
def test_a_pickup_status_for_a_pending_order_never_cancels_it__SHIP_8(db, make_order, status, payment):
    """Defect: every carrier status other than delivering/delivered fell into cancel (and flagged a refund)."""
    order = make_order(payment=payment)
    event = services.apply_carrier_status(_callback(order, status))
    db.session.commit()
    assert event.outcome == EventOutcome.RECORDED
    order = _reload(db, order)
    assert order.status == OrderStatus.PENDING and order.carrier_status == status
    assert _number_status(db, order) == NumberStatus.HELD
    assert db.session.scalar(select(func.count()).select_from(AuditEntry).where(
        AuditEntry.action == "payment.refund_needed")) == 0


@pytest.mark.parametrize("handed_over", [False, True])
def test_delivered_before_the_hand_over_is_for_a_person_never_a_skip__SHIP_13_22(db, make_order, make_staff,
                                                                                 client, login, handed_over):
    """A "delivered" for an order never confirmed, or confirmed but not handed over, must not skip the hand-over
    and the serial: the order stays, the event is kept, and the order shows it to shipping staff."""
    order = _confirmed(db, make_order, make_staff) if handed_over else make_order()
    before = order.status
    event = services.apply_carrier_status(_callback(order, "delivered", CODAmount=545_000))
    db.session.commit()
    assert event.outcome == EventOutcome.NEEDS_PERSON
    order = _reload(db, order)
    assert order.status == before and order.sim_serial is None and order.cash_collected is None
    assert order.carrier_attention.startswith("delivered")
    login(Role.SHIPPING, region=1)
    url = f"/shipping/orders/{order.id}"
    assert "cần người xử lý" in client.get(url).get_data(as_text=True)
    client.post(url + "/carrier-attention", data={"csrf_token": page_csrf(client, url),
                                                  "note": "Đã gọi GHN: nhầm đơn"})
    assert _reload(db, order).carrier_attention == ""
    assert db.session.scalar(select(AuditEntry).where(AuditEntry.action == "order.carrier_attention_resolved"))


@pytest.mark.parametrize("status", ["lost", "damage", "exception", "returned"])
def test_what_fits_no_move_is_recorded_for_a_person__SHIP_17(db, make_order, make_staff, status):
    order = _confirmed(db, make_order, make_staff)  # waiting for the courier: nothing to return yet
    assert services.apply_carrier_status(_callback(order, status)).outcome == EventOutcome.NEEDS_PERSON
    db.session.commit()
    order = _reload(db, order)
    assert order.status == OrderStatus.WAITING_PICKUP and order.carrier_attention


def test_every_carrier_status_maps_to_one_meaning():
    """One table: each GHN status named, each meaning applied only from where the transition table allows."""
    from portal.orders.models import ORDER_TRANSITIONS
    assert set(services.CARRIER_STATUS.values()) == set(services.CarrierMove)
    target = {services.CarrierMove.PICKED_UP: OrderStatus.DELIVERING, services.CarrierMove.DELIVERED:
              OrderStatus.DELIVERED, services.CarrierMove.RETURNED: OrderStatus.CANCELLED}
    for meaning, sources in services.APPLIES_FROM.items():
        assert all(target[meaning] in ORDER_TRANSITIONS[s] for s in sources)
