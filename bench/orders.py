"""The order board with 200,000 orders (issue 5, "Figures"): the first page of every tab, with its counts.

    .venv/bin/python -m bench.orders --engine sqlite
    .venv/bin/python -m bench.orders --engine postgres

Builds (once; ``--rebuild`` to start again) 200,000 orders with their hold tickets by bulk INSERT through the
real migrations, ANALYZE (VACUUM ANALYZE on PostgreSQL), then times ``GET /shipping/?tab=<tab>`` — the whole
page: region scoping, the five counts, the tab's first 50 rows with their tickets and stores, the template —
through the Flask test client for a head-office supervisor (all regions) and a CTKV1 shipping clerk, plus a
search by phone and a filtered view. Target: p95 ≤ 100 ms on SQLite and on PostgreSQL.
"""
from __future__ import annotations

import argparse
import os
import random
import re
import time
from datetime import date, timedelta

os.environ.setdefault("BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")

from bench.common import (  # noqa: E402
    DEFAULT_DATA_DIR,
    PG_HOST,
    PG_USER,
    SEED,
    engine_version,
    machine_facts,
    ms,
    open_bench_app,
    page_table,
    replace_section,
    summary,
)

PASSWORD = "bench-orders-password"  # noqa: S105 - a throwaway benchmark database
TABS = ("pending", "waiting_pickup", "delivering", "delivered", "cancelled")
# status: share of orders (AWAITING_PAYMENT is not on the board but is in the table)
STATUS_MIX = [("awaiting_payment", 2), ("pending", 8), ("waiting_pickup", 8), ("delivering", 12),
              ("delivered", 55), ("cancelled", 15)]
ALPHABET = "ACDEFGHJKMNPQRTUVWXY34679"


def database_url(args) -> str:
    if args.engine == "sqlite":
        return f"sqlite:///{args.data_dir / f'bench-orders-{args.count}.db'}"
    return f"postgresql+psycopg://{PG_USER}@{PG_HOST}:5432/bench_orders"


def _code(i: int) -> str:
    out = []
    for _ in range(10):
        i, r = divmod(i, len(ALPHABET))
        out.append(ALPHABET[r])
    return "".join(out)


def build(db, count: int) -> float:
    """Bulk-insert ``count`` orders (one hold ticket each) spread over 180 days and nine regions."""
    from sqlalchemy import insert

    from portal.core.time import utcnow
    from portal.holds.models import HoldTicket
    from portal.orders.models import Order
    from portal.org.models import Store

    rng = random.Random(SEED)
    stores = [(s.id, s.region_id) for s in db.session.query(Store).all()]
    statuses = [s for s, w in STATUS_MIX for _ in range(w)]
    now = utcnow()
    started = time.perf_counter()
    chunk = 10_000
    for base in range(0, count, chunk):
        tickets, orders = [], []
        for i in range(base, min(base + chunk, count)):
            created = now - timedelta(seconds=int((count - i) * 180 * 86400 / count))
            region = rng.choice((1, 1, 2, 2, 2, 3, 4, 5, 6, 7, 8, 9))
            roll = rng.random()
            receive = "email" if roll < 0.15 else "store" if roll < 0.30 else "delivery"
            store_id = None
            if receive == "store":
                local = [s for s, r in stores if r == region] or [stores[0][0]]
                store_id = rng.choice(local)
            status = rng.choice(statuses)
            phone = f"09{rng.randrange(10**8):08d}"
            payment = "online" if receive == "email" or rng.random() < 0.4 else "cod"
            tickets.append({"id": i + 1, "hold_code": _code(i * 7919 + 13), "customer_phone": phone, "channel": "web",
                            "sim_type": "esim" if receive == "email" else "physical",
                            "status": "paid" if payment == "online" else "active", "region_id": region,
                            "amount": 500_000, "request_fingerprint": "", "created_at": created,
                            "expires_at": created + timedelta(minutes=30)})
            orders.append({
                "id": i + 1, "order_no": f"DH{i + 1:09d}", "ticket_id": i + 1, "channel": "web", "status": status,
                "region_id": region, "sim_type": "esim" if receive == "email" else "physical",
                "receive_method": receive, "payment_method": payment, "store_id": store_id,
                "full_name": "Nguyễn Văn An", "id_type": "cccd", "id_number": f"{rng.randrange(10**12):012d}",
                "birth_date": date(1990, 1, 2), "gender": "male", "address": "12 Lý Thường Kiệt",
                "ward": "Phường Cửa Nam", "district": "Hoàn Kiếm", "province": "Hà Nội", "email": "",
                "contact_phone": phone, "recipient_name": "Nguyễn Văn An" if receive == "delivery" else "",
                "recipient_phone": phone if receive == "delivery" else "",
                "delivery_address": "", "delivery_ward": "", "delivery_district": "", "delivery_province": "",
                "number_price": 500_000, "sim_fee": 25_000, "delivery_fee": 20_000, "total": 545_000,
                "offer_code": "", "offer_summary": "", "pickup_address": "", "carrier": "", "cancel_reason": "",
                "carrier_status": "", "cash_mismatch": False, "created_at": created, "updated_at": created,
            })
        db.session.execute(insert(HoldTicket), tickets)
        db.session.execute(insert(Order), orders)
        db.session.commit()
        print(f"    {min(base + chunk, count):,} orders", flush=True)
    return time.perf_counter() - started


def _analyze(db) -> None:
    from sqlalchemy import text

    if db.engine.dialect.name == "sqlite":
        with db.engine.begin() as conn:
            conn.execute(text("ANALYZE"))
    else:
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))
            if db.engine.dialect.name == "postgresql":
                conn.execute(text("SELECT setval('customer_order_id_seq', (SELECT max(id) FROM customer_order))"))
                conn.execute(text("SELECT setval('hold_ticket_id_seq', (SELECT max(id) FROM hold_ticket))"))


def prepare(args):
    from sqlalchemy import func, select

    from portal.extensions import db
    from portal.orders.models import Order

    app = open_bench_app(database_url(args), args.engine, args.data_dir / f"bench-orders-{args.count}.db",
                         args.rebuild)
    with app.app_context():
        have = db.session.scalar(select(func.count()).select_from(Order))
        if have != args.count:
            if have:
                raise SystemExit(f"the database holds {have} orders, not {args.count}: use --rebuild")
            print(f"==> building {args.count:,} orders", flush=True)
            seconds = build(db, args.count)
            print(f"    built in {seconds:.0f} s; analysing", flush=True)
            _analyze(db)
    return app


def _sign_in(app, username: str, role, region: int):
    from sqlalchemy import select

    from portal.auth.models import Staff
    from portal.auth.services import create_staff
    from portal.extensions import db

    with app.app_context():
        if db.session.scalar(select(Staff.id).where(Staff.username == username)) is None:
            create_staff(username, PASSWORD, role, region, None, full_name=username)
            db.session.commit()
    client = app.test_client()
    token = re.search(r'name="csrf-token" content="([^"]+)"', client.get("/login").get_data(as_text=True)).group(1)
    response = client.post("/login", data={"username": username, "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 302, response.status_code
    return client


def measure(client, path: str, params: dict, runs: int, warmup: int) -> dict:
    times = []
    for n in range(warmup + runs):
        started = time.perf_counter()
        response = client.get(path, query_string=params)
        elapsed = (time.perf_counter() - started) * 1000
        assert response.status_code == 200, (path, params, response.status_code)
        if n >= warmup:
            times.append(elapsed)
    return summary(times)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--engine", choices=("sqlite", "postgres"), required=True)
    parser.add_argument("--count", type=int, default=200_000)
    parser.add_argument("--data-dir", type=type(DEFAULT_DATA_DIR), default=DEFAULT_DATA_DIR)
    parser.add_argument("--runs", type=int, default=60)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--rebuild", action="store_true")
    parser.add_argument("--no-readme", action="store_true")
    args = parser.parse_args(argv)

    from portal.core.roles import Role
    from portal.extensions import db

    app = prepare(args)
    facts = machine_facts()
    with app.app_context():
        version = engine_version(db)
    viewers = {"head office (all regions)": _sign_in(app, "bench_ho", Role.SUPERVISOR, 0),
               "CTKV1 shipping": _sign_in(app, "bench_kv1", Role.SHIPPING, 1)}
    rows = []
    for viewer, client in viewers.items():
        for tab in TABS:
            s = measure(client, "/shipping/", {"tab": tab}, args.runs, args.warmup)
            rows.append((viewer, f"tab {tab}", s))
            print(f"{viewer:<26} tab {tab:<15} median {ms(s['median'])} ms  p95 {ms(s['p95'])} ms", flush=True)
        for label, params in (("search by phone", {"tab": "delivered", "q": "0912345678"}),
                              ("COD, 30 days", {"tab": "delivered", "payment": "cod",
                                                "from": (date.today() - timedelta(days=30)).isoformat()})):
            s = measure(client, "/shipping/", params, args.runs, args.warmup)
            rows.append((viewer, label, s))
            print(f"{viewer:<26} {label:<19} median {ms(s['median'])} ms  p95 {ms(s['p95'])} ms", flush=True)
    body = page_table(f"**{version}**, {args.count:,} orders — {facts}", rows, args.runs, args.warmup)
    print("\n".join(body))
    if not args.no_readme:
        replace_section(f"orders-{args.engine}", "\n".join(body))


if __name__ == "__main__":
    main()
