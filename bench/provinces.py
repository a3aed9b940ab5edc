"""Province routing read from the province_region table (issue 14 §3) against the constant it replaced.

The table is kept in each process's memory and compared with a version number in Redis at most every
``places.REFRESH_SECONDS``; the look-ups below include those comparisons (and one re-read per round: the rounds call
``places.changed()``, as an admin's save does, so the cost of reading the table again is in the figures).

    .venv/bin/python -m bench.provinces --engine sqlite
    .venv/bin/python -m bench.provinces --engine postgres

(a) ``region_of_province`` alone: ``--calls`` look-ups of the 34 names (spelled as customers type them), through the
table and through the former constant (``places.PROVINCES`` after ``canonical_province``), interleaved in rounds so
that the machine's load falls on both alike; (b) ``orders.services.place_order`` end to end (hold + order, committed
inside ``portal.core.sqlite.writing()`` as a POST does) ``--orders`` times with the table and as many with the constant
patched in, alternating. Writes its section of bench/README.md ("Province routing").
"""
from __future__ import annotations

import argparse
import random
import time
from datetime import date
from pathlib import Path

from bench.common import (
    DEFAULT_DATA_DIR,
    PG_HOST,
    PG_USER,
    SEED,
    engine_version,
    machine_facts,
    ms,
    open_bench_app,
    replace_section,
    summary,
)

FORMS = {"number": "", "sim_type": "physical", "full_name": "Nguyễn Văn An", "id_type": "cccd",
         "id_number": "079090001234", "birth_date": "1990-05-17", "gender": "male", "address": "12 Lê Lợi",
         "ward": "Phường Bến Thành", "district": "", "province": "", "email": "", "contact_phone": "0912345678",
         "receive_method": "delivery", "payment_method": "cod", "recipient_name": "Nguyễn Văn An",
         "recipient_phone": "0912345678", "delivery_address": "12 Lê Lợi", "delivery_ward": "Phường Bến Thành",
         "delivery_province": "", "store_code": ""}


def _constant(name: str) -> int | None:
    """The routing before this change: the list's spelling, then the constant."""
    from portal.org.places import PROVINCES, canonical_province

    province = canonical_province(name)
    return PROVINCES[province] if province else None


def _lookups(app, names: list[str], rounds: int) -> dict[str, list[float]]:
    """Microseconds per call, per round, of the table and of the constant."""
    from portal.org import places
    from portal.org.places import region_of_province

    out: dict[str, list[float]] = {"table": [], "constant": []}
    with app.app_context():
        for _ in range(rounds):
            places.changed()  # an admin's save in this process: the round's first look-up reads the table
            for label, fn in (("table", region_of_province), ("constant", _constant)):
                started = time.perf_counter()
                for name in names:
                    fn(name)
                out[label].append((time.perf_counter() - started) / len(names) * 1e6)
    return out


def _orders(app, count: int, rng: random.Random) -> dict[str, list[float]]:
    """Milliseconds per place_order (+ commit), with the table and with the constant patched in, alternating."""
    from portal.core.sqlite import writing
    from portal.customers.models import Customer, CustomerStatus
    from portal.extensions import db
    from portal.numbers.services import NewNumber, add_numbers
    from portal.orders import services as orders
    from portal.org.places import PROVINCES, region_of_province

    out: dict[str, list[float]] = {"table": [], "constant": []}
    with app.app_context():
        stamp = int(time.time())
        numbers = [f"0906{(stamp * 7 + i) % 1_000_000:06d}" for i in range(2 * count)]
        with writing():
            add_numbers([NewNumber(n, price=500_000, region_id=1) for n in numbers])
            customers = []
            for i in range(2 * count):  # one customer per order: unpaid orders per customer are capped
                customer = Customer(phone=f"0939{(stamp + i) % 1_000_000:06d}", full_name="Khách Bench",
                                    status=CustomerStatus.ACTIVE, password_hash="x", activated_at=None)
                db.session.add(customer)
                customers.append(customer)
            db.session.commit()
        provinces = list(PROVINCES)
        for i, number in enumerate(numbers):
            label = "table" if i % 2 == 0 else "constant"
            orders.region_of_province = region_of_province if label == "table" else _constant  # type: ignore
            province = rng.choice(provinces)
            raw = dict(FORMS, number=number, province=province, delivery_province=province)
            started = time.perf_counter()
            with writing():
                order, _ = orders.place_order(raw, customers[i], "web", f"bench-{stamp}-{i}")
                db.session.commit()
            out[label].append((time.perf_counter() - started) * 1000)
            assert order.region_id == PROVINCES[province]
        orders.region_of_province = region_of_province  # type: ignore[attr-defined]
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--engine", choices=("sqlite", "postgres"), required=True)
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR)
    parser.add_argument("--calls", type=int, default=34 * 60, help="look-ups per round (default 2,040)")
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--orders", type=int, default=200, help="orders per variant (default 200)")
    args = parser.parse_args()
    sqlite_path = args.data_dir / "bench-provinces.db"
    url = (f"sqlite:///{sqlite_path}" if args.engine == "sqlite"
           else f"postgresql+psycopg://{PG_USER}@{PG_HOST}:5432/bench_provinces")
    facts = machine_facts()
    app = open_bench_app(url, args.engine, sqlite_path, rebuild=True)
    rng = random.Random(SEED)
    from portal.org.places import PROVINCES

    spellings = [n for p in PROVINCES for n in (p, p.lower(), f"  {p.upper()} ")]
    names = [rng.choice(spellings) for _ in range(args.calls)]
    lookups = _lookups(app, names, args.rounds)
    placed = _orders(app, args.orders, rng)
    with app.app_context():
        from portal.extensions import db

        version = engine_version(db)
    lines = [f"**{args.engine}** ({version}; {facts}; `python -m bench.provinces --engine {args.engine}`, "
             f"{date.today():%Y-%m-%d}):", "",
             "| what | routing by | median | p95 | max | n |", "|---|---|---:|---:|---:|---:|"]
    for what, data in (("region_of_province, µs per call", lookups),
                       ("place_order + commit, ms", placed)):
        for label in ("table", "constant"):
            s = summary(data[label])
            lines.append(f"| {what} | {label} | {ms(s['median'])} | {ms(s['p95'])} | {ms(s['max'])} | {s['n']} |")
    table, constant = summary(placed["table"]), summary(placed["constant"])
    lines += ["", f"Difference of the medians per order: {ms(table['median'] - constant['median'])} ms "
                  f"({(table['median'] / constant['median'] - 1) * 100:+.1f} %)."]
    body = "\n".join(lines)
    print(body)
    replace_section(f"provinces-{args.engine}", body)


if __name__ == "__main__":
    main()
