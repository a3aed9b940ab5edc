"""End to end on a real web server + RQ worker + the sandbox carrier over HTTP (issue 5, "Done when").

Orders placed through the customer web (sign in, hold form, summary, confirm) on the live server: one
reaches Đã giao through the carrier with cash collected; another is refused at the door and
ends Đã hủy with the reason and its number back in the pool; a store-pickup order is handed over on
the store screen; every move reaches a signed-in board socket (and, in a real browser, the board's
counts change without a reload).
"""
from __future__ import annotations

import re
import time

import pytest
import requests
import socketio as socketio_client
from sqlalchemy import select

from portal.core.roles import Role
from portal.core.sqlite import writing
from portal.holds.models import HoldTicket
from portal.numbers.models import NumberStatus, PhoneNumber
from portal.numbers.services import NewNumber, add_numbers
from portal.orders.models import Order, OrderStatus
from tests.conftest import CUSTOMER_PASSWORD, csrf_from, live_csrf, live_staff_session, staff_page
from tests.orders.conftest import hold_form
from tests.shipping.conftest import SECRET, make_iccid

pytestmark = pytest.mark.slow
WEBHOOK = "/shipping/carrier/ghn/webhook"
STORE_HCM = "CH-HCM-01"


@pytest.fixture
def carrier_env(sandbox, monkeypatch):
    """Before ``live`` starts: the web server and worker talk to the in-process sandbox, and share its secret."""
    monkeypatch.setenv("GHN_URL", sandbox.url)
    monkeypatch.setenv("GHN_WEBHOOK_SECRET", SECRET)
    monkeypatch.setenv("GHN_TOKEN", sandbox.token)
    monkeypatch.setenv("GHN_SHOP_ID", sandbox.shop_id)
    return sandbox


def _status(db, order_id: int) -> Order:
    db.session.commit()
    return db.session.get(Order, order_id)


def _wait(predicate, seconds: float = 30, what: str = "") -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def _tomorrow_9am() -> str:
    from datetime import datetime, timedelta

    from portal.core.time import VIETNAM

    return (datetime.now(VIETNAM) + timedelta(days=1)).strftime("%Y-%m-%dT09:00")


def _place_on_the_customer_web(base: str, customer, number: str, **changes) -> str:
    """HOLD-2..13 on the live server, as a customer does it: sign in, the hold form, the summary, confirm.

    Returns the hold code the ticket page is named by."""
    web = requests.Session()
    response = web.post(f"{base}/chonso/dang-nhap", data={
        "phone": customer.phone, "password": CUSTOMER_PASSWORD,
        "csrf_token": live_csrf(web, f"{base}/chonso/dang-nhap")},
        allow_redirects=False)
    assert response.status_code == 302
    form_page = web.get(f"{base}/chonso/giu-so/{number}").text
    nonce = re.search(r'name="nonce" type="hidden" value="([^"]+)"', form_page).group(1)
    token = csrf_from(form_page)
    data = {**hold_form(number=number, contact_phone=customer.phone, recipient_phone=customer.phone, **changes),
            "csrf_token": token, "nonce": nonce}
    summary = web.post(f"{base}/chonso/giu-so/{number}", data=data)
    assert summary.status_code == 200 and "Xác nhận đơn hàng" in summary.text, summary.text[:2000]
    placed = web.post(f"{base}/chonso/giu-so/{number}/xac-nhan", data=data, allow_redirects=False)
    assert placed.status_code == 302 and "/chonso/phieu/" in placed.headers["Location"]
    return placed.headers["Location"].rsplit("/", 1)[1]


def _order_of(db, hold_code: str) -> Order:
    db.session.commit()
    return db.session.scalar(select(Order).join(HoldTicket).where(HoldTicket.hold_code == hold_code))


def test_delivered_with_cash_refused_at_the_door_and_store_pickup__SHIP_1_23(carrier_env, live, db, make_staff,
                                                                               make_customer):
    sandbox = carrier_env
    sandbox.webhook_url = live + WEBHOOK
    db.session.commit()
    numbers = ["0903545001", "0903545002", "0903545003"]
    with writing():  # the worker writes too: take SQLite's write lock up front
        add_numbers([NewNumber(n, price=500_000, region_id=2) for n in numbers])
        customer = make_customer("0912345678")
        db.session.commit()
    # Three orders placed through the customer web (HOLD-2..13): two home deliveries paid in cash, one store pickup.
    hold_codes = [_place_on_the_customer_web(live, customer, numbers[0]),
             _place_on_the_customer_web(live, customer, numbers[1]),
             _place_on_the_customer_web(live, customer, numbers[2], receive_method="store", store_code=STORE_HCM)]
    delivered, refused, pickup = (_order_of(db, code) for code in hold_codes)
    assert {o.status for o in (delivered, refused)} == {OrderStatus.PENDING}  # SHIP-2: Chờ xử lý
    assert pickup.status == OrderStatus.WAITING_PICKUP  # SHIP-6: sent to the chosen store at once
    assert delivered.region_id == pickup.region_id == 2 and pickup.store.code == STORE_HCM
    assert (delivered.total, pickup.total) == (545_000, 525_000)  # number + SIM fee (+ delivery fee)
    ids = {o.order_no: o.id for o in (delivered, refused, pickup)}
    refused_number = refused.ticket.numbers[0]
    with writing():
        shipper = make_staff(Role.SHIPPING, region=2)
        clerk = make_staff(Role.CLERK, region=2, store=STORE_HCM)
        db.session.commit()

    session = live_staff_session(live, shipper.username)
    moves: list[tuple[int, str]] = []
    sio = socketio_client.Client(reconnection=False)
    sio.on("order_moved", lambda data: moves.append((data["order_id"], data["to"])), namespace="/shipping")
    sio.connect(live, namespaces=["/shipping"], transports=["websocket"], wait_timeout=10,
                headers={"Cookie": "; ".join(f"{c.name}={c.value}" for c in session.cookies)})
    try:
        # SHIP-8: staff confirm both home-delivery orders; the worker creates the carrier orders.
        for order_no in (delivered.order_no, refused.order_no):
            url = f"{live}/shipping/orders/{ids[order_no]}"
            response = session.post(url + "/confirm", data={"csrf_token": live_csrf(session, url),
                                                             "pickup_address": "Kho SIM, 5 Phạm Hùng, Hà Nội",
                                                             "pickup_at": _tomorrow_9am()}, allow_redirects=False)
            assert response.status_code == 302
        _wait(lambda: len(sandbox.all()) == 2, what="the worker to create two carrier orders")
        codes = {p["client_order_code"]: p["order_code"] for p in sandbox.all()}
        # SHIP-13: packed with the blank SIM's serial, handed to the courier.
        for order_no in (delivered.order_no, refused.order_no):
            url = f"{live}/shipping/orders/{ids[order_no]}"
            assert session.post(url + "/hand-over", data={"csrf_token": live_csrf(session, url), "iccid": make_iccid()},
                                allow_redirects=False).status_code == 302
        # The carrier's timers: picking → picked → delivering, each a signed callback (late ones change nothing).
        sandbox.step_seconds = 0.3
        with sandbox.connect() as conn:
            conn.execute("UPDATE parcel SET next_at = 0")
        sandbox.start_timers()
        _wait(lambda: all(sandbox.get(order_code=c)["status"] == "delivering" for c in codes.values()),
              what="the sandbox to start delivering")
        # SHIP-20..23: delivered, cash collected. SHIP-15..18: refused at the door with the customer's reason.
        requests.post(f"{sandbox.url}/sim/{codes[delivered.order_no]}/delivered", data={"amount": str(delivered.total)},
                      timeout=10)
        requests.post(f"{sandbox.url}/sim/{codes[refused.order_no]}/refuse",
                      data={"reason": "Khách từ chối nhận: đã mua số khác"}, timeout=10)
        _wait(lambda: _status(db, ids[delivered.order_no]).status == OrderStatus.DELIVERED, what="Đã giao")
        _wait(lambda: _status(db, ids[refused.order_no]).status == OrderStatus.CANCELLED, what="Đã hủy")
        done = _status(db, ids[delivered.order_no])
        assert done.cash_collected == delivered.total == 545_000 and not done.cash_mismatch
        gone = _status(db, ids[refused.order_no])
        assert gone.cancel_reason == "Khách từ chối nhận: đã mua số khác"
        assert db.session.scalar(select(PhoneNumber.status).where(PhoneNumber.number == refused_number)) \
            == NumberStatus.AVAILABLE

        # SHIP-6..7: the store clerk hands the SIM over on the store screen.
        store = live_staff_session(live, clerk.username)
        url = f"{live}/shipping/store/orders/{ids[pickup.order_no]}"
        assert store.post(url + "/hand-over", data={"csrf_token": live_csrf(store, url), "id_number": pickup.id_number,
                                                    "iccid": make_iccid(), "cash_received": str(pickup.total)},
                          allow_redirects=False).status_code == 302
        assert _status(db, ids[pickup.order_no]).status == OrderStatus.DELIVERED

        # Every move reached the board's socket.
        expected = {(ids[delivered.order_no], "delivered"), (ids[refused.order_no], "cancelled"),
                    (ids[pickup.order_no], "delivered"), (ids[delivered.order_no], "waiting_pickup"),
                    (ids[delivered.order_no], "delivering")}
        _wait(lambda: expected <= set(moves), seconds=10, what=f"socket moves (got {moves})")
    finally:
        sio.disconnect()


@pytest.mark.browser
def test_the_board_updates_live_in_a_browser__SHIP_22(carrier_env, live, db, make_order, make_staff, browser,
                                                      tmp_path):
    from playwright.sync_api import expect

    sandbox = carrier_env
    sandbox.webhook_url = live + WEBHOOK
    db.session.commit()
    with writing():
        shipper = make_staff(Role.SHIPPING, region=1)
        order = make_order()
        make_order(receive="store", region=2)  # another region's board
        order_id, order_no = order.id, order.order_no
        db.session.commit()
    session = live_staff_session(live, shipper.username)
    url = f"{live}/shipping/orders/{order_id}"
    session.post(url + "/confirm", data={"csrf_token": live_csrf(session, url), "pickup_address": "Kho SIM Phạm Hùng",
                                         "pickup_at": _tomorrow_9am()})
    _wait(lambda: len(sandbox.all()) == 1, what="the carrier order")
    code = sandbox.all()[0]["order_code"]
    console: list[str] = []
    page = staff_page(browser, live, shipper.username, console)
    page.goto(f"{live}/shipping/?tab=waiting_pickup")
    page.wait_for_selector("#board[data-live=online]", timeout=15_000)
    assert page.inner_text('[data-count="waiting_pickup"]') == "1"
    assert page.inner_text('[data-count="delivering"]') == "0"
    page.screenshot(path=str(tmp_path / "board-before.png"))
    page.evaluate("window.__sameDocument = true")
    # The courier picks the parcel up: the carrier's signed callback moves the order; the board follows.
    requests.post(f"{sandbox.url}/sim/{code}/pick", timeout=10)
    expect(page.locator('[data-count="delivering"]')).to_have_text("1", timeout=15_000)
    assert page.inner_text('[data-count="waiting_pickup"]') == "0"
    assert page.evaluate("window.__sameDocument") is True  # no reload
    assert order_no not in page.inner_text("#board tbody")  # it left the tab on screen
    page.screenshot(path=str(tmp_path / "board-after.png"))
    assert not [m for m in console if "Content Security Policy" in m], console
