"""From a customer's call request to the ring at the chosen agent's socket, beside a bare Socket.IO echo (issue 12).

    .venv/bin/python -m bench.ring                     # both layouts, 1,000 calls each
    .venv/bin/python -m bench.ring --layout one --calls 200 --no-write

For each layout the server processes start afresh (``gunicorn -c gunicorn.conf.py wsgi:app``, bench/live.py):
``one``: one web process holds the agents' sockets and takes the requests; ``two``: the customer's request goes
to process A, the 100 agents are connected to process B, the ring crosses through the Redis message queue.
Either way an emit goes through Redis (the house's message queue is on whenever REDIS_URL is set).

1. ``--agents`` agents of region 1 (``ringagent001``…) open their desk (``/staff`` + ``/desk``, signed in, in
   two child processes) and say ``presence`` available (devices checked) over the socket;
2. ``--customers`` customers, each with a dossier of region 1 waiting for its video call (an order delivered
   and the dossier moved to READY_FOR_CALL, as the calls tests do), open the call page (its CSRF token);
3. ``--calls`` times, in turn: a customer POSTs "Gọi video" (``/chonso/hoa-mang/<hold>/goi-video``, JSON); the
   time runs from just before the POST to the ``ring`` event carrying that call's id arriving in the agent's
   client (both clocks CLOCK_MONOTONIC of this machine); then the customer hangs up (``…/goi-video/huy``), which
   withdraws the offer so that the agent is free again, and ``--gap`` (0.3 s) passes before the next call: longer
   than ``CALL_WAITING_EVERY_MS`` (250 ms), so that the region's desks have heard the waiting count the hang-up
   changed (held up to that long, docs/calls.md) before the next call starts;
4. after every 100 calls, one acknowledged ``ping`` per agent socket (``/staff``: the round trip of a bare
   Socket.IO event with the session check every staff event has) — the echo, measured in the same run.

Region 1's business hours are removed in the benchmark's own database (no hours: the desk is open), so that
the benchmark runs at any time of day. Without the calls domain (``portal/calls``) only the echo runs.
"""
from __future__ import annotations

import argparse
import importlib.util
import itertools
import queue
import re
import statistics
import time
from datetime import timedelta

from bench import live
from bench.common import ms, percentile, replace_section

REGION = 1
RING_TIMEOUT = 5.0  # seconds to wait for a ring before counting the call as not rung
CSRF = re.compile(r'<meta name="csrf-token" content="([^"]+)"|name="csrf_token" type="hidden" value="([^"]+)"')


def calls_domain() -> bool:
    return importlib.util.find_spec("portal.calls") is not None


# --- data ------------------------------------------------------------------------------------------------------

def open_all_day(region_id: int) -> None:
    """No business hours and no holidays for the region: its desk is open whatever the time."""
    from sqlalchemy import delete, or_

    from portal.calls.models import BusinessHours, Holiday
    from portal.extensions import db

    db.session.execute(delete(BusinessHours).where(BusinessHours.region_id == region_id))
    db.session.execute(delete(Holiday).where(or_(Holiday.region_id.is_(None), Holiday.region_id == region_id)))
    db.session.commit()


def _iccid(serial: int) -> str:
    body = "898401" + str(serial).zfill(12)
    total = 0
    for i, ch in enumerate(reversed(body)):
        d = int(ch) * (2 if i % 2 == 0 else 1)
        total += d - 9 if d > 9 else d
    return body + str((10 - total % 10) % 10)


def _form(customer, number: str, i: int) -> dict:
    """The hold form a customer of Hà Nội (region 1) types: CCCD 001 1 95 …, female, born 1995."""
    name = customer.full_name
    return {"number": number, "sim_type": "physical", "full_name": name, "id_type": "cccd",
            "id_number": f"001195{900000 + i:06d}", "birth_date": "1995-03-08", "gender": "female",
            "address": "Số 5 Phạm Hùng", "ward": "Phường Mỹ Đình 2", "district": "", "province": "Hà Nội",
            "email": f"bench{i}@example.vn", "contact_phone": customer.phone, "receive_method": "delivery",
            "payment_method": "cod", "recipient_name": name, "recipient_phone": customer.phone,
            "delivery_address": "Số 5 Phạm Hùng", "delivery_ward": "Phường Mỹ Đình 2", "delivery_province": "Hà Nội",
            "store_code": ""}


def ready_dossiers(count: int) -> list[tuple[object, str]]:
    """``count`` customers (``0938000001``…) with a dossier waiting for its video call: (customer, hold code).

    Made once through the real moves (order placed, delivered at the door, dossier opened) and then moved to
    READY_FOR_CALL directly, as the calls tests do; reused by later runs, their live calls cancelled first."""
    from sqlalchemy import select, text

    from portal.auth.services import password_hasher
    from portal.calls import lifecycle as calls
    from portal.calls import queries as call_queries
    from portal.core.actors import SystemActor
    from portal.core.states import transition
    from portal.core.time import utcnow
    from portal.customers.models import Customer, CustomerStatus
    from portal.dossiers import lifecycle as dossiers
    from portal.dossiers.models import DOSSIER_TRANSITIONS, Dossier, DossierStatus
    from portal.extensions import db
    from portal.numbers.models import NumberStatus, PhoneNumber
    from portal.orders import lifecycle as orders_lifecycle
    from portal.orders import services as orders

    system = SystemActor("Bench")
    out = []
    password_hash = None
    for i in range(1, count + 1):
        phone = f"0938{i:06d}"
        customer = db.session.scalar(select(Customer).where(Customer.phone == phone))
        if customer is None:
            password_hash = password_hash or password_hasher().hash(live.BENCH_PASSWORD + "1")
            customer = Customer(phone=phone, full_name="Nguyễn Thị Lan", status=CustomerStatus.ACTIVE,
                                password_hash=password_hash, activated_at=utcnow())
            db.session.add(customer)
            db.session.commit()
        dossier = db.session.scalar(select(Dossier).where(Dossier.customer_id == customer.id)
                                    .order_by(Dossier.id.desc()).limit(1))
        if dossier is None or not dossier.may_call:
            number = db.session.scalar(select(PhoneNumber.number).where(
                PhoneNumber.status == NumberStatus.AVAILABLE, PhoneNumber.region_id == REGION)
                .order_by(PhoneNumber.number).limit(1))
            order, _replay = orders.place_order(_form(customer, number, i), customer, "web", f"bench-ring-{i}")
            orders_lifecycle.confirm_for_pickup(order, system, "Kho SIM", utcnow() + timedelta(hours=2), "ghn")
            orders_lifecycle.hand_over(order, system, _iccid(900_000 + i))
            orders_lifecycle.deliver(order, system, order.cash_expected, "Đã giao")
            dossier = dossiers.open_dossier(order, customer)
            transition(dossier, DossierStatus.READY_FOR_CALL, system, DOSSIER_TRANSITIONS, "eKYC (bench)")
            db.session.commit()
        live_call = call_queries.live_call_of(dossier.id)
        if live_call is not None:  # left by an interrupted run
            calls.cancel_call(live_call, customer)
            db.session.commit()
        out.append((customer, dossier.ticket.hold_code))
    # Fresh statistics, as autovacuum keeps them in a running system: each run adds thousands of offers, and a
    # planner that believes the tables empty walks every pending offer once per agent.
    for table in ("call", "call_offer", "call_agent_presence"):
        db.session.execute(text(f"ANALYZE {table}"))
    db.session.commit()
    return out


# --- the run ---------------------------------------------------------------------------------------------------

class Customer:
    """A customer's browser on the call page: its cookie, its CSRF token, its requests."""

    def __init__(self, base: str, cookie: str, hold_code: str):
        self.session = live.http_session(cookie)
        self.page = f"{base}/chonso/hoa-mang/{hold_code}/goi-video"
        html = self.session.get(self.page, timeout=30)
        if html.status_code != 200:
            raise RuntimeError(f"GET {self.page}: {html.status_code}")
        match = CSRF.search(html.text)
        if not match:
            raise RuntimeError("the call page has no CSRF token")
        self.csrf = next(g for g in match.groups() if g)

    def post(self, path: str = ""):
        return self.session.post(self.page + path, data={"csrf_token": self.csrf},
                                 headers={"Accept": "application/json"}, timeout=30)


def wait_ring(reports, call_id: int, timeout: float) -> float | None:
    """The arrival time of the ring of ``call_id`` (other events are dropped), or None."""
    deadline = time.monotonic() + timeout
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            return None
        try:
            event, _tag, at, data = reports.get(timeout=left)
        except queue.Empty:
            return None
        if event == "ring" and isinstance(data, dict) and data.get("call_id") == call_id:
            return at


def run_layout(args, url: str, app, layout: str) -> dict:
    from portal.core.roles import Role

    ports = [live.free_port()] if layout == "one" else [live.free_port(), live.free_port()]
    domain = calls_domain()
    with app.app_context():
        agents = live.ensure_staff(Role.AGENT, args.agents, "ringagent", regions=(REGION,))
        customers = []
        if domain:
            open_all_day(REGION)
            customers = ready_dossiers(args.customers)
        with live.servers(url, ports) as started:
            front, back = started[0], started[-1]
            namespaces = ("/staff", "/desk") if domain else ("/staff",)
            specs = [live.Spec(back.url, namespaces, live.staff_cookie(app, a), tag=str(a.id)) for a in agents]
            clients = live.Clients(specs, args.processes, events=("ring",))
            try:
                if clients.connected != len(specs):
                    raise RuntimeError(f"{clients.connected}/{len(specs)} agents connected: {clients.failures}")
                if domain:
                    _times, acks = clients.call("presence", {"status": "available", "devices_ok": True}, "/desk")
                    refused = [a for a in acks if not (isinstance(a, dict) and a.get("ok"))]
                    if refused:
                        raise RuntimeError(f"presence refused: {refused[:3]}")
                browsers = [Customer(front.url, live.customer_cookie(app, c), code) for c, code in customers]
                cpu_before = sum(s.worker_cpu() for s in started)
                result = measure(args, clients, browsers)
                cycles = len(result["rings"]) + len(result["not_rung"])
                result["cpu_ms"] = ((sum(s.worker_cpu() for s in started) - cpu_before) * 1000 / cycles
                                    if cycles else None)
                return result
            finally:
                clients.close()


def measure(args, clients: live.Clients, browsers: list[Customer]) -> dict:
    rings: list[float] = []
    posts: list[float] = []
    echo: list[float] = []
    not_rung: list[str] = []
    echo += clients.echo()  # warm-up of every socket's path, then measured below
    echo.clear()
    if not browsers:
        for _batch in range(max(1, args.calls // 100)):
            echo += clients.echo()
        return {"rings": rings, "posts": posts, "echo": echo, "not_rung": not_rung}
    cycle = itertools.cycle(browsers)
    for i in range(args.warmup + args.calls):
        browser = next(cycle)
        start = time.monotonic()
        response = browser.post()
        posted = time.monotonic()
        body = response.json() if response.headers.get("Content-Type", "").startswith("application/json") else {}
        call_id = body.get("call_id")
        arrived = wait_ring(clients.reports, call_id, RING_TIMEOUT) if call_id else None
        cancel = browser.post("/huy")
        if cancel.status_code != 200:
            raise RuntimeError(f"hang up: {cancel.status_code} {cancel.text[:200]}")
        # The hang-up's own messages (ring_cancelled, the region's desks told the waiting count, which may be held
        # up to CALL_WAITING_EVERY_MS) reach their sockets before the next call starts: calls one at a time, not
        # overlapping with the last one's tail.
        time.sleep(args.gap)
        if i < args.warmup:
            continue
        if arrived is None:
            not_rung.append(f"{response.status_code} {body.get('status') or body.get('error')}")
        else:
            rings.append((arrived - start) * 1000)
            posts.append((posted - start) * 1000)
        if (i - args.warmup + 1) % 100 == 0:
            echo += clients.echo()
    return {"rings": rings, "posts": posts, "echo": echo, "not_rung": not_rung}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--layout", choices=("one", "two", "both"), default="both")
    parser.add_argument("--agents", type=int, default=100)
    parser.add_argument("--customers", type=int, default=4, help="customers taking turns to call")
    parser.add_argument("--calls", type=int, default=1000, help="measured calls per layout")
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--gap", type=float, default=0.3,
                        help="seconds between a hang-up and the next call (longer than CALL_WAITING_EVERY_MS)")
    parser.add_argument("--processes", type=int, default=2, help="child processes holding the agents' sockets")
    live.add_args(parser)
    args = parser.parse_args(argv)
    url, facts, app = live.set_up(args)
    layouts = ("one", "two") if args.layout == "both" else (args.layout,)
    results = {}
    for layout in layouts:
        results[layout] = run_layout(args, url, app, layout)
        r = results[layout]
        if r["rings"]:
            print(f"{layout}: ring p50 {percentile(r['rings'], 50):.1f} ms, p99 {percentile(r['rings'], 99):.1f} ms "
                  f"over {len(r['rings'])} calls; echo p50 {percentile(r['echo'], 50):.1f} ms"
                  + (f"; not rung: {len(r['not_rung'])}" if r["not_rung"] else ""), flush=True)
    body = table(args, facts, results)
    print(body)
    if not args.no_write:
        replace_section("ring-" + "-".join(layouts), body)


TARGETS = {"one": 25.0, "two": 50.0}
LAYOUTS = {"one": "one web process (agents' sockets and the request on it)",
           "two": "two web processes through Redis (request on A, agents on B)"}


def table(args, facts: str, results: dict) -> str:
    lines = [f"**Ring latency with {args.agents} agents connected and available**, {facts}; gunicorn gthread "
             f"(gunicorn.conf.py), PostgreSQL, Redis message queue; {args.calls} calls per layout after "
             f"{args.warmup} warm-up calls, {args.customers} customers taking turns, one call at a time "
             f"({args.gap:.1f} s after each hang-up).", ""]
    if not calls_domain():
        lines += ["The calls domain (portal/calls) is not in this tree: only the echo was measured.", ""]
    lines += ["| layout | calls rung | ring p50 ms | **ring p99 ms** | target p99 | met | POST answered p50 / p99 ms "
              "| web CPU ms per call | echo n | echo p50 ms | echo p99 ms |",
              "|---|---:|---:|---:|---:|---|---:|---:|---:|---:|---:|"]
    for layout, r in results.items():
        rings, posts, echo = r["rings"], r["posts"], r["echo"]
        ring_cells = (f"{ms(percentile(rings, 50))} | **{ms(percentile(rings, 99))}** | ≤ {TARGETS[layout]:.0f} | "
                      f"{'yes' if percentile(rings, 99) <= TARGETS[layout] else 'no'} | "
                      f"{ms(percentile(posts, 50))} / {ms(percentile(posts, 99))}" if rings else "– | – | – | – | –")
        echo_cells = (f"{len(echo)} | {ms(percentile(echo, 50))} | {ms(percentile(echo, 99))}" if echo else "0 | – | –")
        rung = f"{len(rings)} / {len(rings) + len(r['not_rung'])}"
        cpu = f"{r['cpu_ms']:.1f}" if r.get("cpu_ms") else "–"
        lines.append(f"| {LAYOUTS[layout]} | {rung} | {ring_cells} | {cpu} | {echo_cells} |")
    lines += ["", "Web CPU per call: user + system time of the web process(es) over the measured calls, divided by "
              "the calls — the request, its hang-up and the echo pings; PostgreSQL's and Redis's own CPU not "
              "counted. On a free core a call's ring cannot come sooner than its share of that."]
    not_rung = [x for r in results.values() for x in r["not_rung"]]
    if not_rung:
        lines += ["", f"Not rung within {RING_TIMEOUT:.0f} s: {statistics.multimode(not_rung)[:3]}."]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
