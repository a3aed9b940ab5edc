"""Every digits-only field takes ASCII digits, or their NFKC forms, and nothing else (issue 10, portal.core.digits).

Python's ``\\d``, ``isdigit()`` and ``int()`` read any script's digits: an ICCID typed in Arabic-Indic digits
passed its check digit and was stored beside the same ICCID in ASCII. Each field below is fed the digits of four
scripts through its real entry point (service, form or API): full-width and superscript digits are NFKC
compatibility forms, read as the ASCII digits they show; Arabic-Indic and Devanagari digits are refused with the
field's message. Nothing non-ASCII is ever stored.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, update
from werkzeug.datastructures import MultiDict

from portal.core.errors import PortalError
from portal.core.roles import Role
from portal.orders import lifecycle, sim
from portal.orders.models import Order, OrderStatus
from tests.conftest import CUSTOMER_PASSWORD, csrf_from
from tests.orders.conftest import hold_form
from tests.shipping.conftest import ID_NUMBER, confirm_now, make_iccid, make_order  # noqa: F401 (a fixture)

SCRIPTS = {
    "arabic-indic": "٠١٢٣٤٥٦٧٨٩",  # U+0660..
    "devanagari": "०१२३४५६७८९",  # U+0966..
    "full-width": "０１２３４５６７８９",  # U+FF10..
    "superscript": "⁰¹²³⁴⁵⁶⁷⁸⁹",  # U+2070, U+00B9, U+00B2, U+00B3, U+2074..
}
NORMALISED = {"full-width", "superscript"}  # NFKC makes them ASCII


def typed(text: str, script: str) -> str:
    """``text`` with its ASCII digits written in ``script``."""
    return text.translate(str.maketrans("0123456789", SCRIPTS[script]))


@dataclass
class Outcome:
    accepted: bool
    value: Any = None  # what was stored or read, when accepted
    message: str = ""  # what the person reads, when refused


def refused(message: Any) -> Outcome:
    return Outcome(False, message=str(message))


def _reload(db, obj):
    db.session.commit()
    return db.session.get(type(obj), obj.id)


# --- the fields, each through its entry point: (ASCII value typed, what is kept, the call) -----------------------

def _committed(db, order: Order, call, kept: str) -> Outcome:
    """``call(order)`` committed, then the order's ``kept`` column; or the refusal's message."""
    try:
        call(_reload(db, order))
        db.session.commit()
    except PortalError as exc:
        db.session.rollback()
        return refused(exc.message)
    return Outcome(True, getattr(_reload(db, order), kept))


def iccid(request, text):
    """SHIP-13: the blank SIM's serial, recorded when the order is handed to the courier (service)."""
    from portal.orders import lifecycle

    db, staff = request.getfixturevalue("db"), request.getfixturevalue("make_staff")(Role.SHIPPING, region=1)
    order = request.getfixturevalue("make_order")()
    confirm_now(order, staff)
    return _committed(db, order, lambda o: lifecycle.hand_over(o, staff, text), "sim_serial")


def store_id_number(request, text):
    """SHIP-7: the ID number on the document shown at the store (service)."""
    from portal.orders import lifecycle

    db, clerk = request.getfixturevalue("db"), request.getfixturevalue("make_staff")(Role.CLERK, region=1)
    order = request.getfixturevalue("make_order")(receive="store")
    return _committed(db, order, lambda o: lifecycle.collect_at_store(o, clerk, text, make_iccid(), 545_000),
                      "id_number")


def store_cash(request, text):
    """SHIP-7: the cash the clerk received, on the store screen's form (WTForms)."""
    db, client = request.getfixturevalue("db"), request.getfixturevalue("client")
    clerk = request.getfixturevalue("login")(Role.CLERK, region=1)
    order = request.getfixturevalue("make_order")(receive="store")
    page = f"/shipping/store/orders/{order.id}"
    token = csrf_from(client.get(page).get_data(as_text=True))
    response = client.post(page + "/hand-over", data={"csrf_token": token, "id_number": ID_NUMBER,
                                                      "iccid": make_iccid(), "cash_received": text})
    order = _reload(db, order)
    if order.status != OrderStatus.DELIVERED:
        return refused(_message(response.get_data(as_text=True)))
    assert clerk.store_id == order.store_id
    return Outcome(True, order.cash_collected)


def hold_form_field(name: str, **changes):
    """A field of the hold form (HOLD-2..5), checked by the service the web form and the app API share."""

    def call(_request, text):
        from portal.orders.validation import FieldErrors, clean_order

        try:
            cleaned = clean_order(hold_form(**{**changes, name: text}))
        except FieldErrors as exc:
            return refused(exc.fields[name][1] if name in exc.fields else exc.message)
        return Outcome(True, getattr(cleaned, name))

    call.__doc__ = f"HOLD-2..5: {name} on the hold form (service)."
    return call


def partner_hold_phone(request, text):
    """E-3.2: the customer's phone of a partner's hold (partner API)."""
    api = request.getfixturevalue("api")
    request.getfixturevalue("stock")("0903126868")
    response = api.post("/holds", json={"number": "0903126868", "customer_phone": text, "sim_type": "esim"})
    if response.status_code != 201:
        return refused(response.get_json()["error"]["message"])
    from portal.holds.models import HoldTicket

    return Outcome(True, request.getfixturevalue("db").session.scalar(select(HoldTicket.customer_phone)))


def partner_hold_number(request, text):
    """E-3.2: the number a partner holds (partner API)."""
    api = request.getfixturevalue("api")
    request.getfixturevalue("stock")("0903126868")
    response = api.post("/holds", json={"number": text, "customer_phone": "0912345678", "sim_type": "esim"})
    if response.status_code != 201:
        return refused(response.get_json()["error"]["message"])
    return Outcome(True, response.get_json()["number"])


def app_register_phone(request, text):
    """AUTH-6: the phone a customer registers with (app API)."""
    client = request.getfixturevalue("client")
    response = client.post("/api/app/v1/register", json={"phone": text, "full_name": "Phạm Thu Hà",
                                                         "password": CUSTOMER_PASSWORD})
    if response.status_code != 201:
        return refused(response.get_json()["error"]["message"])
    from portal.customers.models import Customer

    return Outcome(True, request.getfixturevalue("db").session.scalar(select(Customer.phone)))


def activation_otp(request, text):
    """AUTH-9..11: the SMS code (app API)."""
    client, monkeypatch = request.getfixturevalue("client"), request.getfixturevalue("monkeypatch")
    monkeypatch.setattr("portal.customers.otp.secrets.randbelow", lambda _n: 123456)
    assert client.post("/api/app/v1/register", json={"phone": "0903111222", "full_name": "Phạm Thu Hà",
                                                     "password": CUSTOMER_PASSWORD}).status_code == 201
    response = client.post("/api/app/v1/activate", json={"phone": "0903111222", "otp": text})
    if response.status_code != 200:
        return refused(response.get_json()["error"]["message"])
    return Outcome(True, response.get_json()["customer"]["status"])


def partner_hold_code(request, text):
    """E-3.2: a hold code in the partner API's path (letters and digits)."""
    from portal.holds.models import HoldTicket

    api, db = request.getfixturevalue("api"), request.getfixturevalue("db")
    request.getfixturevalue("stock")("0903126868")
    assert api.post("/holds", json={"number": "0903126868", "customer_phone": "0912345678",
                                    "sim_type": "esim"}).status_code == 201
    db.session.execute(update(HoldTicket).values(hold_code="ACD34679XY"))
    db.session.commit()
    response = api.get(f"/holds/{text}")
    if response.status_code != 200:
        return refused(response.get_json()["error"]["message"])
    return Outcome(True, response.get_json()["hold_code"])


def hold_lookup_phone(request, text):
    """Tra cứu phiếu giữ số: the code and the customer's phone (service)."""
    from portal.holds import services as holds

    db = request.getfixturevalue("db")
    request.getfixturevalue("stock")("0903126868")
    ticket, _ = holds.hold_numbers(["0903126868"], "0912345678", "esim", "web")
    db.session.commit()
    try:
        return Outcome(True, holds.lookup_hold(ticket.hold_code, text).customer_phone)
    except PortalError as exc:
        return refused(exc.message)


def order_number(request, text):
    """An order number quoted by a customer (staff, payments and shipping look it up)."""
    from portal.orders.queries import find_order

    order = request.getfixturevalue("make_order")()
    order.order_no = "DH2611250017"
    _reload(request.getfixturevalue("db"), order)
    found = find_order(text)
    return Outcome(True, found.order_no) if found else refused("không tìm thấy đơn hàng")


def partner_search(parameter: str, **extra):
    """E-3.1: a search condition of the partner API."""

    def call(request, text):
        api = request.getfixturevalue("api")
        request.getfixturevalue("stock")(("0903686868", 500_000), ("0909123456", 1_200_000))
        response = api.get("/numbers", **{**extra, parameter: text})
        if response.status_code != 200:
            return refused(response.get_json()["error"]["message"])
        body = response.get_json()
        return Outcome(True, (body["page"], sorted(n["number"] for n in body["items"])))

    call.__doc__ = f"E-3.1: {parameter} (partner API)."
    return call


def partner_birth_date(request, text):
    """E-3.1: the birth date of a feng-shui search (partner API)."""
    api = request.getfixturevalue("api")
    request.getfixturevalue("stock")("0903686868")
    response = api.get("/numbers/feng-shui", birth_date=text)
    if response.status_code != 200:
        return refused(response.get_json()["error"]["message"])
    return Outcome(True, response.get_json()["can_chi"])


def customer_site_search(request, text):
    """HOLD-1: the customer site's search by conditions, its "ends with" field (web form)."""
    request.getfixturevalue("stock")("0903686868")
    html = request.getfixturevalue("client").get("/chonso/tim-so", query_string={"ends_with": text}).get_data(
        as_text=True)
    if "invalid-feedback" in html:
        return refused(_message(html))
    return Outcome(True, "0903 686 868" in html)


def inventory_price(request, text):
    """The inventory page's price filter (WTForms)."""
    from portal.numbers.forms import InventorySearchForm

    form = InventorySearchForm(MultiDict({"min_price": text}))
    if not form.validate():
        return refused(form.min_price.errors[0])
    return Outcome(True, form.min_price.parsed)


def price_tier(request, text):
    """A class's price on the price-tier page (WTForms)."""
    from portal.numbers.forms import PriceTierForm

    with request.getfixturevalue("app").test_request_context():
        form = PriceTierForm(MultiDict({"number_class": "thuong", "price": text}), meta={"csrf": False})
        if not form.validate():
            return refused(form.price.errors[0])
        return Outcome(True, form.price.parsed)


def csv_import(column: str):
    """A cell of the CSV import (number, price, region)."""

    def call(_request, text):
        from portal.numbers.importer import parse_rows

        cells = {"number": "0903686868", "price": "1500000", "region": "2", column: text}
        (row,) = parse_rows(["number,price,region", ",".join(f'"{v}"' for v in cells.values())])
        if row.issue:
            return refused(row.issue.message)
        return Outcome(True, {"number": row.new.number, "price": row.new.price, "region": row.new.region_id}[column])

    call.__doc__ = f"The CSV import's {column} column."
    return call


def staff_region(request, text):
    """The region of a new staff member (admin form, WTForms IntegerField)."""
    from portal.admin.forms import StaffCreateForm

    with request.getfixturevalue("app").test_request_context():
        form = StaffCreateForm(MultiDict({"username": "gv9", "full_name": "Giao vận 9", "role": "shipping",
                                          "region_id": text, "password": "mat-khau-du-dai-2026"}),
                               meta={"csrf": False})
        if not form.validate():
            return refused(form.region_id.errors[0])
        return Outcome(True, form.region_id.data)


def board_page(_request, text):
    """A page number in a query string (the board; every page's ``page`` reads the same way)."""
    from portal.shipping.board import parse_filters

    page = parse_filters(MultiDict({"page": text})).page
    return Outcome(True, page) if page != 1 else refused("trang không hợp lệ: trang 1")


def board_search(request, text):
    """The shipping board's search box: a customer's phone (query string)."""
    client = request.getfixturevalue("client")
    request.getfixturevalue("login")(Role.SHIPPING, region=1)
    order = request.getfixturevalue("make_order")(phone="0912345678")
    html = client.get("/shipping/board", query_string={"q": text}).get_data(as_text=True)
    return Outcome(True, order.order_no) if order.order_no in html else refused("không có đơn nào")


def vnpay_amount(request, text):
    """The amount in VNPay's signed IPN (the bank's answer, read by the gateway)."""
    from portal.gateways import vnpay

    app = request.getfixturevalue("app")
    secret = app.config["VNPAY_HASH_SECRET"] or "test-vnpay-secret"
    params = {"vnp_TmnCode": app.config["VNPAY_TMN_CODE"], "vnp_TxnRef": "DH1-AB", "vnp_Amount": text,
              "vnp_ResponseCode": "00", "vnp_TransactionStatus": "00", "vnp_TransactionNo": "1"}
    params["vnp_SecureHash"] = vnpay.sign(params, secret)
    with app.test_request_context():
        app.config["VNPAY_HASH_SECRET"], saved = secret, app.config["VNPAY_HASH_SECRET"]
        try:
            result = vnpay.gateway().verify(params)
        finally:
            app.config["VNPAY_HASH_SECRET"] = saved
    assert result is not None  # the signature holds either way: only the amount is in question
    return Outcome(True, result.amount) if result.amount >= 0 else refused("vnp_Amount không hợp lệ")


def _message(html: str) -> str:
    found = re.search(r'class="invalid-feedback[^"]*"[^>]*>([^<]+)<|class="alert[^"]*"[^>]*>\s*([^<]+)<', html)
    return next((g.strip() for g in found.groups() if g), "") if found else ""


# (the ASCII value typed, what must be kept when it is accepted, the entry point)
FIELDS = {
    "iccid": (make_iccid(90_001), make_iccid(90_001), iccid),
    "store-id-number": (ID_NUMBER, ID_NUMBER, store_id_number),
    "store-cash": ("545000", 545_000, store_cash),
    "contact-phone": ("0912345678", "0912345678", hold_form_field("contact_phone")),
    "recipient-phone": ("0912345678", "0912345678", hold_form_field("recipient_phone")),
    "cccd": ("079090001234", "079090001234", hold_form_field("id_number")),
    "cmnd": ("012345678", "012345678", hold_form_field("id_number", id_type="cmnd")),
    "partner-customer-phone": ("0912345678", "0912345678", partner_hold_phone),
    "partner-number": ("0903126868", "0903126868", partner_hold_number),
    "register-phone": ("0903111222", "0903111222", app_register_phone),
    "otp": ("123456", "active", activation_otp),
    "hold-code": ("ACD34679XY", "ACD34679XY", partner_hold_code),
    "hold-lookup-phone": ("0912345678", "0912345678", hold_lookup_phone),
    "order-number": ("DH2611250017", "DH2611250017", order_number),
    "pattern": ("09*6868", (1, ["0903686868"]), partner_search("pattern")),
    "prefix": ("0903", (1, ["0903686868"]), partner_search("prefix")),
    "contains": ("3686", (1, ["0903686868"]), partner_search("contains")),
    "ends-with": ("868", (1, ["0903686868"]), partner_search("ends_with")),
    "avoid": ("2", (1, ["0903686868"]), partner_search("avoid")),
    "min-price": ("1000000", (1, ["0909123456"]), partner_search("min_price")),
    "max-price": ("600000", (1, ["0903686868"]), partner_search("max_price")),
    "page": ("2", (2, ["0903686868"]), partner_search("page", per_page="1", sort="price_desc", pattern="09*")),
    "birth-date": ("1990-06-15", "Canh Ngọ", partner_birth_date),
    "site-ends-with": ("868", True, customer_site_search),
    "inventory-price": ("1.500.000", 1_500_000, inventory_price),
    "price-tier": ("250000", 250_000, price_tier),
    "csv-number": ("0903 686 868", "0903686868", csv_import("number")),
    "csv-price": ("1.500.000", 1_500_000, csv_import("price")),
    "csv-region": ("2", 2, csv_import("region")),
    "staff-region": ("2", 2, staff_region),
    "page-number": ("3", 3, board_page),
    "board-search": ("0912345678", "order_no", board_search),
    "vnpay-amount": ("54500000", 545_000, vnpay_amount),
}


@pytest.fixture
def api(api_for, make_partner):
    from tests.partners.conftest import Api

    partner, key = make_partner("Kênh A")
    client: Api = api_for(key)
    return client


@pytest.fixture
def api_for(app, db):
    from tests.partners.conftest import Api

    return lambda key: Api(app.test_client(), key)


@pytest.fixture
def make_partner(db):
    from portal.partners.services import create_partner

    def make(name: str):
        partner, key = create_partner(name)
        db.session.commit()
        return partner, key

    return make


@pytest.fixture
def stock(db):
    from portal.numbers.services import NewNumber, add_numbers

    def add(*numbers):
        add_numbers([NewNumber(n) if isinstance(n, str) else NewNumber(n[0], price=n[1]) for n in numbers])
        db.session.commit()

    return add


@pytest.mark.parametrize("script", SCRIPTS)
@pytest.mark.parametrize("field", FIELDS)
def test_every_digits_only_field_takes_ascii_digits_or_their_nfkc_forms__issue_10(request, db, field, script):
    text, kept, entry_point = FIELDS[field]
    outcome = entry_point(request, typed(text, script))
    if kept == "order_no":
        kept = outcome.value if outcome.accepted else None
    if script in NORMALISED:
        assert outcome.accepted, f"{field}: {script} digits are NFKC forms of ASCII: {outcome.message}"
        assert outcome.value == kept
    else:
        assert not outcome.accepted, f"{field}: {script} digits were accepted as {outcome.value!r}"
        assert outcome.message, f"{field}: refused without a message"
    for value in _stored_text(db):  # whatever happened, no table holds a non-ASCII digit
        assert not any(ch.isdigit() and not ch.isascii() for ch in value), (field, value)


def _stored_text(db) -> list[str]:
    """The digits-only columns of every table that keeps one."""
    from portal.customers.models import Customer
    from portal.holds.models import HoldLine, HoldTicket
    from portal.numbers.models import PhoneNumber

    db.session.commit()
    columns = [Order.sim_serial, Order.id_number, Order.contact_phone, Order.recipient_phone, Order.order_no,
               HoldTicket.customer_phone, HoldTicket.hold_code, HoldLine.number, PhoneNumber.number, Customer.phone]
    return [v for column in columns for v in db.session.scalars(select(column)) if isinstance(v, str)]


def test_an_iccid_in_other_digits_cannot_dodge_the_uniqueness_check__issue_10(request, db, make_staff):
    """The defect as found: 89 + Arabic-Indic digits with a valid check digit was stored beside its ASCII twin."""

    new_order = request.getfixturevalue("make_order")

    staff = make_staff(Role.SHIPPING, region=1)
    first, second = new_order(), new_order()
    for order in (first, second):
        confirm_now(order, staff)
    serial = make_iccid(77)
    lifecycle.hand_over(_reload(db, first), staff, serial)
    db.session.commit()
    for script, code in (("full-width", "iccid_in_use"), ("superscript", "iccid_in_use"),
                         ("arabic-indic", "bad_iccid"), ("devanagari", "bad_iccid")):
        with pytest.raises(PortalError) as err:
            lifecycle.hand_over(_reload(db, second), staff, "89" + typed(serial[2:], script))
        assert err.value.code == code, script
        db.session.rollback()
    assert db.session.scalars(select(Order.sim_serial).where(Order.sim_serial.is_not(None))).all() == [serial]
    assert sim.luhn_ok(serial) and not sim.luhn_ok("89" + typed(serial[2:], "arabic-indic"))


# --- the rule holds in the source: no new trap -------------------------------------------------------------------

PORTAL = Path(__file__).resolve().parents[1] / "portal"
LETTERS = "[^\\W\\d_]"  # "a letter" in a regular expression: \\d there leaves out every script's digits, rightly
TRAPS = {
    r"\\d": re.compile(r"\\d"),  # in a regular expression: any script's digits
    "isdigit()": re.compile(r"\.is(?:digit|decimal|numeric)\(\)"),
    "type=int": re.compile(r"\btype=int\b"),
    "IntegerField": re.compile(r"\b(?:Integer|Decimal|Float)Field\("),
}
# Where a trap is right: scrubbing logs should find more, not fewer; a password is not a digits-only field;
# command-line options are the operator's; the sandboxes' own settings.
ALLOWED = {
    ("core/privacy.py", r"\\d"), ("customers/services.py", r"\\d"),
    ("core/digits.py", "IntegerField"), ("core/digits.py", "isdigit()"), ("core/digits.py", r"\\d"),
    ("numbers/cli.py", "type=int"), ("partners/cli.py", "type=int"), ("gateways/outbox_sandbox.py", "type=int"),
    ("gateways/vnpay_sandbox.py", "type=int"), ("gateways/ekyc_sandbox.py", "type=int"),
    ("gateways/sandbox_kit.py", "type=int"),
}


def test_no_digit_trap_is_left_in_the_source():
    """``\\d``, ``isdigit()``, Werkzeug's ``type=int`` and WTForms' IntegerField read any script's digits: use
    portal.core.digits (``ascii_digits``, ``is_ascii_digits``, ``whole_number``, ``WholeNumberField``)."""
    found = []
    for path in sorted(PORTAL.rglob("*.py")):
        name = path.relative_to(PORTAL).as_posix()
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            line = line.split("  #")[0].split("# ")[0].replace(LETTERS, "")
            for trap, pattern in TRAPS.items():
                if pattern.search(line) and (name, trap) not in ALLOWED:
                    found.append(f"{name}:{number}: {trap}: {line.strip()}")
    assert not found, "\n".join(found)


def test_the_helper_reads_nfkc_digits_and_refuses_the_rest():
    from portal.core import digits

    assert digits.ascii_digits("０９０３ １２３ ８８８") == "0903123888"
    assert digits.ascii_digits("0903.123.888", drop=".") == "0903123888"
    assert digits.ascii_digits("٠٩٠٣١٢٣٨٨٨") is None and digits.ascii_digits("") == ""
    assert digits.ascii_digits("1" * 300) is None
    assert digits.is_ascii_digits("123") and not digits.is_ascii_digits("١٢٣") and not digits.is_ascii_digits("")
    assert digits.only_digits("CCCD: ００１ 099-012345") == "001099012345"
    assert digits.whole_number("²") == 2 and digits.whole_number(" -12 ") == -12
    for bad in ("٣", "1.5", "1e3", "", "0x10", "1" * 50, "١٢"):
        with pytest.raises(ValueError):
            digits.whole_number(bad)
