"""Operator commands: ``flask --app wsgi staff create …``, ``flask --app wsgi seed-demo``."""
from __future__ import annotations

import sys

import click
from flask import Flask, current_app
from flask.cli import AppGroup
from sqlalchemy import select

from portal.core.errors import PortalError
from portal.core.roles import Role
from portal.extensions import db

DEMO_PASSWORD = "chonso-demo-2026"  # noqa: S105 - printed by make run; seed-demo refuses production
# (username, role, region, store, full name)
DEMO_STAFF = [
    ("admin", Role.ADMIN, 0, None, "Quản trị Tổng công ty"),
    ("giamsat", Role.SUPERVISOR, 0, None, "Giám sát Tổng công ty"),
    *[
        row
        for n, store in ((1, "CH-HN-01"), (2, "CH-HCM-01"), (3, "CH-DN-01"))
        for row in (
            (f"vc{n}", Role.AGENT, n, None, f"Video call KV{n}"),
            (f"dn{n}", Role.CONNECTION, n, None, f"Đấu nối KV{n}"),
            (f"ch{n}", Role.CLERK, n, store, f"Cửa hàng KV{n}"),
            (f"gv{n}", Role.SHIPPING, n, None, f"Giao vận KV{n}"),
            (f"gs{n}", Role.SUPERVISOR, n, None, f"Giám sát KV{n}"),
            (f"qt{n}", Role.ADMIN, n, None, f"Quản trị KV{n}"),
        )
    ],
]

staff_cli = AppGroup("staff", help="Staff accounts.")


@staff_cli.command("create")
@click.option("--username", required=True)
@click.option("--role", required=True, type=click.Choice([r.value for r in Role]))
@click.option("--region", required=True, type=click.IntRange(0, 9), help="0 = head office, 1–9 = CTKV 1–9")
@click.option("--store", default=None, help="Store code (store clerks).")
@click.option("--full-name", default="")
def create_staff_command(username: str, role: str, region: int, store: str | None, full_name: str) -> None:
    """Create a staff member; the password is read from standard input."""
    from portal.auth.services import create_staff
    from portal.core.domains import ensure_reference_data

    if sys.stdin.isatty():
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    else:
        password = sys.stdin.readline().rstrip("\n")
    ensure_reference_data()
    try:
        staff = create_staff(username, password, role, region, store, full_name)
    except PortalError as exc:
        db.session.rollback()
        raise click.ClickException(f"{exc.code}: {exc.message}") from None
    db.session.commit()
    click.echo(f"created {staff.username} ({staff.role.value}, region {staff.region_id})")


@click.command("seed-demo")
def seed_demo_command() -> None:
    """Regions, shopcodes, stores and one staff member per role for a few regions (idempotent)."""
    if current_app.config["PORTAL_ENV"] == "production":
        raise click.ClickException("seed-demo refuses to run in production")
    created = seed_demo()
    db.session.commit()
    click.echo(f"demo data ready ({created} new staff)")
    from portal.promotions.services import ensure_demo_offer

    if ensure_demo_offer():  # a TN4G copy running now, so the customer site shows an offer
        db.session.commit()
        click.echo("demo offer TN4G-DEMO added")
    numbers = seed_demo_inventory()
    db.session.commit()
    if numbers:
        click.echo(f"demo inventory: {numbers} numbers")
    orders = seed_demo_orders()
    db.session.commit()
    if orders:
        click.echo(f"demo orders: {orders} on the shipping board")
    print_demo_logins()


def seed_demo() -> int:
    from portal.auth.models import Staff
    from portal.auth.services import create_staff
    from portal.core.domains import ensure_reference_data

    ensure_reference_data()
    existing = set(db.session.scalars(select(Staff.username)))
    created = 0
    for username, role, region, store, full_name in DEMO_STAFF:
        if username not in existing:
            create_staff(username, DEMO_PASSWORD, role, region, store, full_name)
            created += 1
    return created


DEMO_INVENTORY = 20_000


def seed_demo_inventory() -> int:
    """A realistic demo inventory (same numbers every time), only into an empty inventory."""
    from portal.numbers.models import PhoneNumber
    from portal.numbers.services import add_numbers, generate_numbers

    if db.session.scalar(select(PhoneNumber.id).limit(1)) is not None:
        return 0
    return add_numbers(generate_numbers(DEMO_INVENTORY, seed=2026))


# (region, receive method, payment method, name, phone, province) — pending orders for the shipping board.
DEMO_ORDERS = [
    (1, "delivery", "cod", "Nguyễn Văn An", "0912345601", "Hà Nội"),
    (1, "delivery", "online", "Trần Thị Bình", "0912345602", "Hà Nội"),
    (1, "store", "cod", "Lê Văn Cường", "0912345603", "Hà Nội"),
    (2, "delivery", "cod", "Phạm Thị Dung", "0912345604", "TP. Hồ Chí Minh"),
    (2, "store", "online", "Hoàng Văn Em", "0912345605", "TP. Hồ Chí Minh"),
    (3, "delivery", "cod", "Võ Thị Giang", "0912345606", "Đà Nẵng"),
]


def seed_demo_orders() -> int:
    """A few pending orders per region (made as the customer web will: a hold + an order), once."""
    from datetime import date

    from portal.core.time import utcnow
    from portal.holds.models import SimType
    from portal.holds.services import hold_numbers, mark_paid
    from portal.numbers.models import NumberStatus, PhoneNumber
    from portal.orders.models import Gender, IdType, Order, PaymentMethod, ReceiveMethod
    from portal.orders.services import amounts
    from portal.org.models import Store

    if db.session.scalar(select(Order.id).limit(1)) is not None:
        return 0
    made = 0
    for i, (region, receive, payment, name, phone, province) in enumerate(DEMO_ORDERS, start=1):
        number = db.session.scalar(select(PhoneNumber).where(PhoneNumber.status == NumberStatus.AVAILABLE,
                                                             PhoneNumber.region_id == region).limit(1))
        if number is None:
            continue
        ticket, _ = hold_numbers([number.number], phone, "physical", "web")
        store = db.session.scalar(select(Store).where(Store.region_id == region).limit(1)) \
            if receive == "store" else None
        home = receive == "delivery"
        order = Order(
            order_no=f"DH{date.today():%y%m%d}{i:04d}", ticket_id=ticket.id, channel="web", status="pending",
            region_id=region, sim_type="physical", receive_method=ReceiveMethod(receive),
            payment_method=PaymentMethod(payment), store_id=store.id if store else None, full_name=name,
            id_type=IdType.CCCD, id_number=f"0010990{i:05d}", birth_date=date(1990, 1, i), gender=Gender.MALE,
            address=f"{10 + i} Lý Thường Kiệt", ward="Phường Cửa Nam", district="Quận 1" if region == 2 else "",
            province=province, contact_phone=phone, recipient_name=name if home else "",
            recipient_phone=phone if home else "", delivery_address=f"{10 + i} Lý Thường Kiệt" if home else "",
            delivery_ward="Phường Cửa Nam" if home else "", delivery_province=province if home else "",
            **amounts(number.price, SimType.PHYSICAL, ReceiveMethod(receive)),
        )
        if payment == "online":
            mark_paid(ticket)
            order.paid_at = utcnow()
        db.session.add(order)
        made += 1
    return made


def print_demo_logins() -> None:
    click.echo(f"Demo logins (password for all: {DEMO_PASSWORD}):")
    for username, role, region, store, _name in DEMO_STAFF:
        where = "head office" if region == 0 else f"CTKV{region}" + (f" / {store}" if store else "")
        click.echo(f"  {username:<10} {role.value:<11} {where}")


mail_cli = AppGroup("mail", help="E-mails sent once (portal.notify.outbox).")


@mail_cli.command("settle")
@click.argument("key")
@click.option("--sent/--resend", required=True, help="It did leave (check the provider's log), or it did not.")
def settle_mail_command(key: str, sent: bool) -> None:
    """Settle a message in doubt (left "sending"): then requeue its job on /admin/jobs/failed."""
    from portal.notify.outbox import settle

    if not settle(key, sent):
        raise click.ClickException(f"no message {key} in doubt")
    click.echo(f"{key}: {'sent' if sent else 'will be sent again when its job runs'}")


def register(app: Flask) -> None:
    app.cli.add_command(staff_cli)
    app.cli.add_command(mail_cli)
    app.cli.add_command(seed_demo_command)
