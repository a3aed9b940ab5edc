"""Many open sockets on one machine: memory per socket, and page latency while they are open (issue 12, "Figures").

    .venv/bin/python -m bench.sockets                       # 1,000 sockets, pages and sockets on one process
    .venv/bin/python -m bench.sockets --layout split        # pages on one process, sockets on another
    .venv/bin/python -m bench.sockets --sockets 200 --reps 1 --no-write   # a quick look

Each repetition starts the server(s) afresh (``gunicorn -c gunicorn.conf.py wsgi:app``, bench/live.py) and then:
1. warms the server up (the pages below, 50 times), reads the worker's RSS and thread count;
2. baseline: ``--pages`` GETs each of a staff page (``/shipping``, the shipping board, signed in) and the sign-in
   page (``/login``), in turn, one at a time, with keep-alive, as one browser would;
3. opens ``--sockets`` Socket.IO connections (websocket transport) from ``--processes`` child processes, each a
   browser tab of its kind: shipping boards (``/staff`` + ``/shipping``), store screens (``/staff`` + ``/store``),
   agents' desks (``/staff`` + ``/desk`` once the calls domain is in) and waiting customers (``/call`` once the
   calls domain is in; before that the default namespace ``/``, an engine.io connection like theirs); every staff
   socket is signed in with its own server-side session;
4. waits ``--settle`` seconds, reads the RSS and threads again → memory and threads per socket;
5. the same page GETs while every socket stays open, then one acknowledged ``ping`` per staff socket (all
   sockets still open: the echo round trip of Socket.IO under that load);
6. closes the sockets and stops the server.
The table gives the median over ``--reps`` repetitions of each repetition's figures.
"""
from __future__ import annotations

import argparse
import statistics
import time

from bench import live
from bench.common import ms, percentile, replace_section

PAGES = ("/shipping/", "/login")
STORE = "CH-HN-01"  # a demo store of region 1 (seed-demo)


def mix(total: int) -> dict[str, int]:
    """How many tabs of each kind make ``total``: 40 % boards, 10 % stores, 10 % agents, 40 % customers."""
    counts = {"board": total * 4 // 10, "store": total // 10, "agent": total // 10}
    counts["customer"] = total - sum(counts.values())
    return counts


def build_specs(app, url: str, total: int) -> tuple[list[live.Spec], dict[str, str], dict[str, int], str]:
    """The sockets' specs, the page cookie, the mix and the namespaces in use (a line for the table)."""
    from portal.core.roles import Role
    from portal.extensions import socketio

    handlers = socketio.server.namespace_handlers
    desk, call = "/desk" in handlers, "/call" in handlers
    counts = mix(total)
    with app.app_context():
        boards = live.ensure_staff(Role.SHIPPING, 100, "bship", regions=(1, 2, 3))
        clerks = live.ensure_staff(Role.CLERK, 20, "bclerk", regions=(1,), store=STORE)
        agents = live.ensure_staff(Role.AGENT, 100, "bagent", regions=(1, 2, 3))
        customers = ensure_customers(counts["customer"]) if call else []
        specs: list[live.Spec] = []
        for i in range(counts["board"]):
            specs.append(live.Spec(url, ("/staff", "/shipping"), live.staff_cookie(app, boards[i % len(boards)])))
        for i in range(counts["store"]):
            specs.append(live.Spec(url, ("/staff", "/store"), live.staff_cookie(app, clerks[i % len(clerks)])))
        agent_namespaces = ("/staff", "/desk") if desk else ("/staff",)
        for i in range(counts["agent"]):
            specs.append(live.Spec(url, agent_namespaces, live.staff_cookie(app, agents[i % len(agents)])))
        for i in range(counts["customer"]):
            cookie = live.customer_cookie(app, customers[i]) if call else ""
            specs.append(live.Spec(url, ("/call",) if call else ("/",), cookie))
        page_cookie = live.staff_cookie(app, boards[0])
    namespaces = (f"boards /staff+/shipping, stores /staff+/store, agents /staff{'+/desk' if desk else ''}, "
                  f"customers {'/call' if call else '/ (no /call namespace yet)'}")
    return specs, {"/shipping/": page_cookie, "/login": ""}, counts, namespaces


def ensure_customers(count: int) -> list:
    """``count`` active customers ``0939000001``… (created when missing; one password hash for all)."""
    from sqlalchemy import select

    from portal.auth.services import password_hasher
    from portal.core.time import utcnow
    from portal.customers.models import Customer, CustomerStatus
    from portal.extensions import db

    phones = [f"0939{i:06d}" for i in range(1, count + 1)]
    found = {c.phone: c for c in db.session.scalars(select(Customer).where(Customer.phone.in_(phones)))}
    password_hash = password_hasher().hash(live.BENCH_PASSWORD + "1")
    for phone in phones:
        if phone not in found:
            found[phone] = Customer(phone=phone, full_name="Khách Bench", status=CustomerStatus.ACTIVE,
                                    password_hash=password_hash, activated_at=utcnow())
            db.session.add(found[phone])
    db.session.commit()
    return [found[p] for p in phones]


def page_times(base: str, cookies: dict[str, str], rounds: int) -> dict[str, list[float]]:
    """``rounds`` GETs of each page in turn, one at a time, each page on its own kept-alive connection (ms)."""
    sessions = {path: live.http_session(cookies[path]) for path in PAGES}
    times: dict[str, list[float]] = {p: [] for p in PAGES}
    for _ in range(rounds):
        for path in PAGES:
            start = time.perf_counter()
            response = sessions[path].get(base + path, allow_redirects=False, timeout=30)
            elapsed = (time.perf_counter() - start) * 1000
            if response.status_code != 200:
                raise RuntimeError(f"GET {path}: {response.status_code} (the staff cookie was refused?)")
            times[path].append(elapsed)
    return times


def one_rep(args, url: str, app) -> dict:
    layout_ports = [live.free_port()] if args.layout == "one" else [live.free_port(), live.free_port()]
    extra = {"WEB_THREAD_STACK_KB": str(args.stack_kb)}
    with live.servers(url, layout_ports, **extra) as started:
        pages, sockets_at = started[0], started[-1]
        specs, cookies, counts, namespaces = build_specs(app, sockets_at.url, args.sockets)
        page_times(pages.url, cookies, 50)  # warm-up: templates compiled, pools filled, search index built
        time.sleep(2)
        rss0, threads0 = sockets_at.worker_memory()
        baseline = page_times(pages.url, cookies, args.pages)
        opened = time.monotonic()
        clients = live.Clients(specs, args.processes)
        try:
            open_seconds = time.monotonic() - opened
            time.sleep(args.settle)
            rss1, threads1 = sockets_at.worker_memory()
            loaded = page_times(pages.url, cookies, args.pages)
            echo = clients.echo() if clients.connected else []
            pages_rss = pages.worker_memory()[0] if pages is not sockets_at else None
        finally:
            clients.close()
    n = clients.connected
    return {"counts": counts, "namespaces": namespaces, "connected": n, "failures": clients.failures,
            "open_seconds": open_seconds, "rss0": rss0, "rss1": rss1, "threads0": threads0, "threads1": threads1,
            "kb_per_socket": (rss1 - rss0) / 1024 / n if n else float("nan"),
            "threads_per_socket": (threads1 - threads0) / n if n else float("nan"),
            "baseline": baseline, "loaded": loaded, "echo": echo, "pages_rss": pages_rss}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sockets", type=int, default=1000)
    parser.add_argument("--processes", type=int, default=4, help="child processes holding the client sockets")
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--pages", type=int, default=200, help="GETs of each page per phase")
    parser.add_argument("--settle", type=float, default=5.0, help="seconds between the last connect and measuring")
    parser.add_argument("--layout", choices=("one", "split"), default="one",
                        help="one: pages and sockets on one process; split: pages on one, sockets on another")
    parser.add_argument("--stack-kb", type=int, default=1024, help="WEB_THREAD_STACK_KB of the server (0: system)")
    live.add_args(parser)
    args = parser.parse_args(argv)
    url, facts, app = live.set_up(args)
    reps = []
    for rep in range(args.reps):
        result = one_rep(args, url, app)
        reps.append(result)
        print(f"rep {rep + 1}: {result['connected']} sockets in {result['open_seconds']:.1f} s, "
              f"{result['kb_per_socket']:.0f} KB and {result['threads_per_socket']:.2f} threads per socket, "
              f"/shipping/ p95 {percentile(result['baseline']['/shipping/'], 95):.1f} → "
              f"{percentile(result['loaded']['/shipping/'], 95):.1f} ms"
              + (f"; failures: {result['failures']}" if result["failures"] else ""), flush=True)
    body = table(args, facts, reps)
    print(body)
    if not args.no_write:
        replace_section(f"sockets-{args.layout}-{args.sockets}", body)


def _med(reps: list[dict], fn) -> float:
    return statistics.median(fn(r) for r in reps)


def table(args, facts: str, reps: list[dict]) -> str:
    first = reps[0]
    layout = ("pages and sockets on one web process" if args.layout == "one" else
              "pages on one web process, the sockets on a second one (same app, Redis message queue)")
    lines = [
        f"**{args.sockets} open sockets, {layout}** (`--layout {args.layout}`), {facts}; "
        f"median of {len(reps)} repetitions, each on fresh server processes; "
        f"gunicorn gthread, `WEB_THREAD_STACK_KB={args.stack_kb}`; PostgreSQL, Redis message queue; "
        f"tabs: {first['counts']} ({first['namespaces']}).",
        "",
        "| figure | value |",
        "|---|---:|",
        f"| sockets connected / asked | {min(r['connected'] for r in reps)} / {args.sockets} |",
        f"| time to open them all ({args.processes} client processes) | "
        f"{_med(reps, lambda r: r['open_seconds']):.1f} s |",
        f"| socket process RSS before → with the sockets | {_med(reps, lambda r: r['rss0']) / 2**20:.0f} → "
        f"{_med(reps, lambda r: r['rss1']) / 2**20:.0f} MB |",
        f"| **memory per socket** (RSS growth / sockets) | **{_med(reps, lambda r: r['kb_per_socket']):.0f} KB** |",
        f"| threads before → with the sockets (per socket) | {_med(reps, lambda r: r['threads0']):.0f} → "
        f"{_med(reps, lambda r: r['threads1']):.0f} ({_med(reps, lambda r: r['threads_per_socket']):.2f}) |",
    ]
    if first["pages_rss"] is not None:
        lines.append(f"| pages process RSS with the sockets open elsewhere | "
                     f"{_med(reps, lambda r: r['pages_rss']) / 2**20:.0f} MB |")
    for path in PAGES:
        for phase, key in (("no sockets", "baseline"), (f"{args.sockets} sockets open", "loaded")):
            lines.append(f"| GET {path}, {phase}: median / **p95** / max ms | "
                         f"{ms(_med(reps, lambda r, k=key, p=path: statistics.median(r[k][p])))} / "
                         f"**{ms(_med(reps, lambda r, k=key, p=path: percentile(r[k][p], 95)))}** / "
                         f"{ms(_med(reps, lambda r, k=key, p=path: max(r[k][p])))} |")
    echoes = [r["echo"] for r in reps if r["echo"]]
    if echoes:
        lines.append(f"| Socket.IO echo (`ping` on /staff, ack) with all open: median / p95 / p99 ms "
                     f"({len(echoes[0])} per rep) | "
                     f"{ms(statistics.median(statistics.median(e) for e in echoes))} / "
                     f"{ms(statistics.median(percentile(e, 95) for e in echoes))} / "
                     f"{ms(statistics.median(percentile(e, 99) for e in echoes))} |")
    failures = [f for r in reps for f in r["failures"]]
    if failures:
        lines.append(f"| refused or failed connections (first few) | {'; '.join(failures[:3])} |")
    lines += ["", f"{args.pages} GETs of each page per phase, one at a time, keep-alive; "
              "a staff page is the shipping board signed in as a shipping clerk of region 1."]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
