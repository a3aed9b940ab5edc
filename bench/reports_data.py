"""The data set of the reports benchmark (issue 14): N orders and N dossiers over a year, with their history.

One hold ticket per order (channels web / app / three partners, nine regions, physical SIM or eSIM), the order
(delivery or e-mail, online or cash on delivery, an offer on a third, paid / delivered / refused at the door /
cancelled), the dossier opened on the same ticket, its video calls and the offers that rang agents, the
review decisions, the mSale submissions, a refund for paid orders cancelled, and the ``status_change`` rows every
move writes (``portal.core.states.record_change``). Rows are written with bulk INSERTs (SQLAlchemy Core
executemany, ``chunk`` orders per transaction), on SQLite and PostgreSQL alike; the schema comes from the real
migrations (``bench.common.open_bench_app``).
"""
from __future__ import annotations

import json
import random
import time
from datetime import date, datetime, timedelta

from bench.common import SEED

REGIONS = (1, 1, 2, 2, 2, 3, 4, 5, 6, 7, 8, 9)
CHANNELS = ("web",) * 6 + ("app",) * 3 + ("partner:1", "partner:2", "partner:3")
OFFERS = ("TN4G", "BENCH_DATA", "BENCH_CALL")
REFUSALS = ("Khách từ chối nhận hàng", "Không liên lạc được với khách", "Sai địa chỉ giao hàng")
CARRIERS = ("ghn", "ghn", "ghtk")
REJECTS = ("id_unreadable", "id_mismatch", "portrait_mismatch", "other")
DAY = 86400


def ensure_offers(db) -> None:
    """The offers the orders name (TN4G comes with the migrations' reference data)."""
    from sqlalchemy import insert, select

    from portal.promotions.models import Offer

    have = set(db.session.scalars(select(Offer.code)))
    rows = [{"code": code, "name": code, "package": "TN4G", "description": "", "sim_types": ["physical", "esim"],
             "channels": [], "starts_on": date(2025, 1, 1), "ends_on": date(2030, 12, 31)}
            for code in OFFERS if code not in have]
    if rows:
        db.session.execute(insert(Offer), rows)
        db.session.commit()


class Writer:
    """Rows gathered per table, flushed with one executemany per table and chunk."""

    def __init__(self, db):
        from portal.calls.models import Call, CallOffer
        from portal.connections.models import MsaleSubmission
        from portal.core.models import StatusChange
        from portal.dossiers.models import Dossier
        from portal.dossiers.review_models import ReviewDecision
        from portal.holds.models import HoldTicket
        from portal.orders.models import Order
        from portal.payments.models import Payment, Refund

        self.db = db
        # Parents before children (foreign keys).
        self.models = [HoldTicket, Order, Payment, Refund, Dossier, Call, CallOffer, ReviewDecision, MsaleSubmission,
                       StatusChange]
        self.rows: dict[type, list[dict]] = {m: [] for m in self.models}
        self.written: dict[str, int] = {m.__tablename__: 0 for m in self.models}
        self._cache: dict = {}
        _ON_PG[0] = db.engine.dialect.name == "postgresql"

    def add(self, model, row: dict) -> None:
        self.rows[model].append(row)

    def flush(self) -> None:
        """One executemany per table on SQLite's own driver, one COPY per table on PostgreSQL: the rows as tuples
        in the table's column order, the models' Python defaults filled in, JSON dumped, times as the columns
        store them."""
        raw = self.db.engine.raw_connection()
        try:
            cur = raw.cursor()
            if self.db.engine.dialect.name == "sqlite":  # the driver is in autocommit mode (portal.core.sqlite)
                cur.execute("BEGIN")
            for model in self.models:
                rows = self.rows[model]
                if not rows:
                    continue
                columns, defaults = self._columns(model, rows[0])
                tuples = [tuple(_plain(row.get(c, defaults.get(c))) for c in columns) for row in rows]
                names = ", ".join(f'"{c}"' for c in columns)
                if self.db.engine.dialect.name == "sqlite":
                    cur.executemany(f'INSERT INTO "{model.__tablename__}" ({names}) VALUES '
                                    f'({", ".join("?" * len(columns))})', tuples)
                else:
                    with cur.copy(f'COPY "{model.__tablename__}" ({names}) FROM STDIN') as copy:
                        for t in tuples:
                            copy.write_row(t)
                self.written[model.__tablename__] += len(rows)
                self.rows[model] = []
            raw.commit()
        finally:
            raw.close()

    def _columns(self, model, sample: dict) -> tuple[list[str], dict]:
        if model not in self._cache:
            defaults = {}
            for column in model.__table__.columns:
                if column.key in sample or column.default is None:
                    continue
                arg = column.default.arg
                defaults[column.key] = arg(None) if callable(arg) else arg
            self._cache[model] = ([c.key for c in model.__table__.columns if c.key in sample or c.key in defaults],
                                  defaults)
        return self._cache[model]


def _plain(value):
    """A value as the driver takes it for these columns: enums by value, JSON dumped, SQLite times as text."""
    if isinstance(value, (list, dict)):
        return json.dumps(value)
    if isinstance(value, datetime):
        return value if _ON_PG[0] else value.strftime("%Y-%m-%d %H:%M:%S.%f")
    if isinstance(value, date):
        return value if _ON_PG[0] else value.isoformat()
    if isinstance(value, bool):
        return value if _ON_PG[0] else int(value)
    return getattr(value, "value", value)


_ON_PG = [False]


def build(db, count: int, agents: list[int], reviewers: list[int], chunk: int = 5000, start: int = 1) -> dict:
    """Write ``count`` orders and dossiers spread evenly over the year before now, from order ``start`` on (an
    interrupted build resumes after its last committed chunk); returns rows per table."""
    from sqlalchemy import func, select

    from portal.calls.models import Call, CallOffer
    from portal.connections.models import MsaleSubmission
    from portal.core.models import StatusChange
    from portal.core.time import utcnow
    from portal.dossiers.review_models import ReviewDecision
    from portal.holds.models import HoldTicket
    from portal.orders.models import Order
    from portal.payments.models import Payment, Refund

    ensure_offers(db)
    rng = random.Random(SEED + start)
    now = utcnow().replace(microsecond=0)
    w = Writer(db)
    tables = {"change": StatusChange, "call": Call, "offer": CallOffer, "decision": ReviewDecision,
              "msale": MsaleSubmission, "payment": Payment, "refund": Refund}
    ids = {kind: db.session.scalar(select(func.coalesce(func.max(model.id), 0))) for kind, model in tables.items()}
    db.session.commit()

    def nid(kind: str) -> int:
        ids[kind] += 1
        return ids[kind]

    def move(kind: str, obj_id: int, frm: str | None, to: str, at: datetime, reason: str = "") -> None:
        w.add(StatusChange, {"id": nid("change"), "at": at, "object_type": kind, "object_id": str(obj_id),
                             "from_status": frm, "to_status": to, "actor_id": None, "actor_name": "bench",
                             "reason": reason})

    started = time.perf_counter()
    for i in range(start, count + 1):
        created = now - timedelta(seconds=int((count - i + 1) * 365 * DAY / count) + rng.randrange(60))
        region = rng.choice(REGIONS)
        channel = rng.choice(CHANNELS)
        esim = rng.random() < 0.2
        sim = "esim" if esim else "physical"
        phone = f"09{rng.randrange(10**8):08d}"
        online = esim or rng.random() < 0.45
        offer = rng.choice(OFFERS) if rng.random() < 0.35 else ""
        total = rng.choice((545_000, 595_000, 1_045_000, 3_045_000))
        # The order's path: unpaid and expired, or on the board to its end.
        roll = rng.random()
        path = ["awaiting_payment"] if online else []
        if online and roll < 0.06:
            path.append("cancelled")  # never paid
        elif esim:
            path += ["pending", "delivered"]
        else:
            path += ["pending", "waiting_pickup", "delivering"]
            if roll < 0.05:
                path = path[:-2]  # still pending
            elif roll < 0.08:
                path += ["cancelled"]  # refused at the door
            elif roll < 0.10:
                path = path[:-1] + ["cancelled"]  # cancelled before it left
            elif roll < 0.97:
                path += ["delivered"]
        t = created
        times = []
        for _step in path:
            times.append(t)
            t = t + timedelta(seconds=rng.randrange(600, 2 * DAY))
        status = path[-1]
        paid_at = times[1] if online and len(path) > 1 and path[1] != "cancelled" else None
        delivered_at = times[-1] if status == "delivered" else None
        refused = status == "cancelled" and len(path) >= 2 and path[-2] == "delivering"
        cancel_reason = rng.choice(REFUSALS) if refused else ("Khách hủy" if status == "cancelled" else "")
        if not online and status == "delivered":
            paid_at = delivered_at
        cod = not online
        carrier = rng.choice(CARRIERS) if not esim and "waiting_pickup" in path else ""
        cash = None
        if cod and status == "delivered":
            cash = total if rng.random() < 0.98 else total - 50_000
        w.add(HoldTicket, {"id": i, "hold_code": _code(i), "customer_phone": phone, "channel": channel,
                           "sim_type": sim, "status": "paid" if paid_at else ("cancelled" if status == "cancelled"
                                                                               else "reserved"),
                           "region_id": region, "amount": total - 45_000, "request_fingerprint": "",
                           "created_at": created, "expires_at": created + timedelta(minutes=30),
                           "paid_at": paid_at})
        w.add(Order, {
            "id": i, "order_no": f"DH{i:09d}", "ticket_id": i, "channel": channel, "status": status,
            "region_id": region, "sim_type": sim, "receive_method": "email" if esim else "delivery",
            "payment_method": "online" if online else "cod", "full_name": "Nguyễn Văn An", "id_type": "cccd",
            "id_number": f"{rng.randrange(10**12):012d}", "birth_date": date(1990, 1, 2), "gender": "male",
            "address": "12 Lý Thường Kiệt", "ward": "Phường Cửa Nam", "district": "Hoàn Kiếm", "province": "Hà Nội",
            "email": "", "contact_phone": phone, "recipient_name": "" if esim else "Nguyễn Văn An",
            "recipient_phone": "" if esim else phone, "number_price": total - 45_000, "sim_fee": 25_000,
            "delivery_fee": 20_000, "total": total, "offer_code": offer,
            "offer_summary": f"Ưu đãi {offer}" if offer else "", "paid_at": paid_at, "cash_collected": cash,
            "carrier": carrier, "carrier_order_code": f"B{i:011d}" if carrier else None,
            "cancel_reason": cancel_reason, "carrier_status": "", "cash_mismatch": cash is not None and cash != total,
            "handed_over_at": times[path.index("delivering")] if "delivering" in path else None,
            "cod_date": (delivered_at + timedelta(hours=7)).date() if cash is not None else None,
            "created_at": created, "updated_at": times[-1], "delivered_at": delivered_at,
            "cancelled_at": times[-1] if status == "cancelled" else None})
        frm = None
        for step, at in zip(path, times, strict=True):
            move("customer_order", i, frm, step, at, cancel_reason if step == "cancelled" else "")
            frm = step
        if online and paid_at:
            payment = nid("payment")
            w.add(Payment, {"id": payment, "txn_ref": f"T{i:012d}", "order_id": i, "amount": total,
                            "status": "paid", "created_at": created, "expires_at": created + timedelta(minutes=15),
                            "paid_at": paid_at, "settled_at": paid_at})
            if status == "cancelled":
                w.add(Refund, {"id": nid("refund"), "payment_id": payment, "order_id": i, "region_id": region,
                               "amount": total, "reason": "order_cancelled", "detail": cancel_reason,
                               "status": rng.choice(("due", "done", "done", "failed")), "created_at": times[-1],
                               "created_by": "bench", "updated_at": times[-1]})
        _dossier(w, rng, i, region, sim, phone, created + timedelta(hours=2), agents, reviewers, nid, move)
        if i % chunk == 0 or i == count:
            w.flush()
            if i % (chunk * 20) == 0 or i == count:
                print(f"    {i:,} orders and dossiers, {w.written['status_change']:,} history rows "
                      f"({time.perf_counter() - started:.0f} s)", flush=True)
    return {**w.written, "seconds": round(time.perf_counter() - started)}


# A dossier's path: (status reached, share); each later status implies the ones before it.
DOSSIER_STEPS = ("draft", "ready_for_call", "verified", "submitted", "approved", "connected")


def _dossier(w, rng, i, region, sim, phone, created, agents, reviewers, nid, move) -> None:
    from portal.calls.models import Call, CallOffer
    from portal.connections.models import MsaleSubmission
    from portal.dossiers.models import Dossier
    from portal.dossiers.review_models import ReviewDecision

    roll = rng.random()
    reach = 0 if roll < 0.08 else 1 if roll < 0.14 else 2 if roll < 0.18 else 3 if roll < 0.22 else 4 \
        if roll < 0.26 else 5
    t = created
    path, times = [], []
    for step in DOSSIER_STEPS[:reach + 1]:
        path.append(step)
        times.append(t)
        t += timedelta(seconds=rng.randrange(120, 6 * 3600))
    status = path[-1]
    ending = ""
    if status == "draft" and rng.random() < 0.5:
        path.append("abandoned")
        times.append(t)
    elif status == "submitted" and rng.random() < 0.4:
        ending = rng.choice(("rejected", "redo"))
        path.append(ending)
        times.append(t)
    elif status == "approved" and rng.random() < 0.3:
        path.append("connection_refused")
        times.append(t)
    status = path[-1]
    submitted_at = times[3] if reach >= 3 else None
    w.add(Dossier, {
        "id": i, "ticket_id": i, "order_id": i, "region_id": region, "sim_type": sim, "status": status,
        "full_name": "Nguyễn Văn An", "id_type": "cccd", "id_number": f"{rng.randrange(10**12):012d}",
        "birth_date": date(1990, 1, 2), "gender": "male", "address": "12 Lý Thường Kiệt", "ward": "Phường Cửa Nam",
        "district": "Hoàn Kiếm", "province": "Hà Nội", "email": "", "contact_phone": phone, "last_reason": "",
        "created_at": created, "updated_at": times[-1], "submitted_at": submitted_at,
        "submissions": 1 if submitted_at else 0, "reject_code": rng.choice(REJECTS) if ending == "rejected" else "",
        "redo_parts": [], "decided_at": times[4] if reach >= 4 else (times[-1] if ending else None)})
    frm = None
    for step, at in zip(path, times, strict=True):
        move("dossier", i, frm, step, at)
        frm = step
    if reach >= 1:  # video calls: a missed or abandoned one now and then before the one that passed
        tries = 2 if rng.random() < 0.15 else 1
        for n in range(tries):
            call = nid("call")
            requested = times[1] + timedelta(minutes=20 * n)
            agent = rng.choice(agents)
            last = n == tries - 1
            passed = last and reach >= 2
            wait = rng.randrange(5, 600)
            outcome = "passed" if passed else rng.choice(("failed", "abandoned", "expired", "cancelled"))
            answered = requested + timedelta(seconds=wait) if outcome in ("passed", "failed") else None
            ended = (answered or requested + timedelta(seconds=wait)) + timedelta(seconds=rng.randrange(120, 900))
            w.add(Call, {"id": call, "dossier_id": i, "region_id": region, "home_region_id": region,
                         "status": "ended" if answered else ("abandoned" if outcome == "abandoned" else outcome),
                         "agent_id": agent if answered else None, "channel": "web", "requested_at": requested,
                         "offered_at": requested + timedelta(seconds=2), "answered_at": answered, "ended_at": ended,
                         "outcome": outcome, "reason_code": "", "note": "", "recording": False,
                         "wrap_up_outcome": "", "wrap_up_note": "", "updated_at": ended})
            if rng.random() < 0.3:  # a ring nobody took first
                w.add(CallOffer, {"id": nid("offer"), "call_id": call, "agent_id": rng.choice(agents),
                                  "offered_at": requested + timedelta(seconds=1),
                                  "expires_at": requested + timedelta(seconds=31), "outcome": "missed",
                                  "decided_at": requested + timedelta(seconds=31)})
            w.add(CallOffer, {"id": nid("offer"), "call_id": call, "agent_id": agent,
                              "offered_at": requested + timedelta(seconds=2),
                              "expires_at": requested + timedelta(seconds=32),
                              "outcome": "accepted" if answered else "withdrawn",
                              "decided_at": answered or requested + timedelta(seconds=wait)})
    if reach >= 4 or ending:
        decision = "approved" if reach >= 4 else ending
        at = times[4] if reach >= 4 else times[-1]
        reviewer = rng.choice(reviewers)
        w.add(ReviewDecision, {"id": nid("decision"), "dossier_id": i, "at": at, "reviewer_id": reviewer,
                               "reviewer_name": "bench", "decision": decision,
                               "reason_code": rng.choice(REJECTS) if decision == "rejected" else "", "note": "",
                               "parts": [], "snapshot": {}})
    if reach >= 4:
        refused = status == "connection_refused"
        w.add(MsaleSubmission, {
            "id": nid("msale"), "dossier_id": i, "attempt": 1, "idempotency_key": f"dossier-{i}-1",
            "status": "refused" if refused else ("connected" if reach >= 5 else "accepted"),
            "msale_ref": f"MS{i:010d}", "last_error": "Thông tin không khớp CSDL dân cư" if refused else "",
            "tries": 1, "created_at": times[4], "updated_at": times[-1]})


ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


def _code(i: int) -> str:
    """A unique 10-character hold code for ticket ``i``."""
    i = i * 7919 + 13
    out = []
    for _ in range(10):
        i, r = divmod(i, len(ALPHABET))
        out.append(ALPHABET[r])
    return "".join(out)
