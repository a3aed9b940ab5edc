"""Latency of every search mode through the real services, beside ``grep -E -c`` over the flat file.

    .venv/bin/python -m bench.search --engine sqlite
    .venv/bin/python -m bench.search --engine postgres
    .venv/bin/python -m bench.search --engine postgres --count 10000000 --queries 100

Needs the inventory of ``bench.inventory`` (same --engine/--count). Each query runs in an app
context of its own, as a request would (the search index catching up with the table, its exact
count and page, the page's rows read by id; feng-shui and pairs counted up to COUNT_CAP), and its
grep twin runs right after it, so both see the same machine load. ``--explain`` re-runs the
slowest input of each mode and prints its statements with their time and the engine's plan.
"""
from __future__ import annotations

import argparse
import datetime as dt
import itertools
import random
import re
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from bench.common import (
    SEED,
    add_common_args,
    database_url,
    engine_version,
    flat_file,
    label,
    machine_facts,
    make_app,
    ms,
    replace_section,
    summary,
)

TARGET_MS = 50.0
GREP_ENV = {"LC_ALL": "C", "PATH": "/usr/bin:/bin"}  # bytes, not UTF-8: grep's fast path
SCAN = "^"  # no regex says what the mode asks (price, sort, feng-shui, pairs): grep still reads every line

NAMES = [
    "Nguyễn Mai", "Trần Văn Hùng", "Lê Thị Thu Hà", "Phạm Minh Tuấn", "Hoàng Anh", "Huỳnh Ngọc Lan",
    "Vũ Đức Thắng", "Võ Thị Hồng", "Đặng Quốc Bảo", "Bùi Thanh Tâm", "Đỗ Hải Yến", "Hồ Văn Nam",
    "Ngô Thị Linh", "Dương Minh Khoa", "Lý Thu Trang", "Nguyễn Thị Hoa", "Trần Quang Huy", "Phan Thị Ngọc Ánh",
    "Mai Phương", "Đinh Công Sơn", "Trương Mỹ Linh", "Nguyễn Văn An", "Lâm Gia Hân", "Tạ Thị Bích",
    "Cao Minh Đức", "Hà Thu", "Châu Ngọc Vy", "Lương Văn Tài", "Kiều Oanh", "Nguyễn Hoàng Long",
]
PATTERNS = ["09*6868", "*39*79", "0903xxx888", "*8888", "0909*", "*1368", "09*8386", "*6789", "07*1102",
            "090xxxx999", "*68*68", "0789*", "*3979", "093x*888", "*5555", "*2468", "0*1995", "*000"]
CONTAINS = ["6868", "1368", "79", "8888", "2468", "39", "1102", "6789", "86", "999", "68"]
ENDS_WITH = ["999", "68", "6868", "8", "79", "888", "1102", "39", "000"]
AVOID = ["47", "4", "7", "13", "4 7", "53", "49"]
PREFIXES = ["0909", "090", "0786", "09031", "093", "0707", "0898", "07"]
D = "0123456789"


def _tails(shapes: list[str]) -> str:
    """An alternation of every tail of the given shapes ("AABB": A and B distinct digits), anchored at the end.

    Spelled out rather than with back-references, which send grep to its slow backtracking matcher.
    """
    found = set()
    for shape in shapes:
        letters = sorted(set(shape))
        for digits in itertools.permutations(D, len(letters)):
            found.add(shape.translate(str.maketrans(dict(zip(letters, digits, strict=True)))))
    return "(" + "|".join(sorted(found)) + ")$"


# What each class means on the tail (close to portal.numbers.classes: grep must read every line with a
# comparable expression, not agree digit for digit).
CLASS_REGEX = {
    "ngu_quy": _tails(["AAAAA"]), "tu_quy": _tails(["AAAA"]), "tam_hoa_kep": _tails(["AAABBB"]),
    # taxi and dao spelled out (810 and 720 tails) take grep 10 to 26 s: a line-shape regex stands in.
    "taxi": "[0-9]{6}$", "tam_hoa": _tails(["AAA"]),
    "tien": "(012|123|234|345|456|567|678|789)$", "loc_phat": "(68|86)$", "than_tai": "(39|79)$",
    "ong_dia": "(38|78)$", "lap": _tails(["ABAB"]), "kep": _tails(["AABB"]), "dao": "[0-9]{6}$",
    "ganh": _tails(["ABA", "ABBA"]), "nam_sinh": "(19[5-9][0-9]|20(0[0-9]|1[0-5]))$",
    "de_nho": SCAN, "thuong": SCAN,
}
PRICES = [50_000, 200_000, 400_000, 600_000, 800_000, 1_200_000, 1_500_000, 3_000_000, 5_000_000, 15_000_000]


@dataclass
class Case:
    """One input of a mode: a call of the service and the grep regex that stands beside it."""

    text: str
    call: Callable[[], object]
    regex: str


def _pattern_regex(pattern: str) -> str:
    from portal.numbers.patterns import parse_pattern

    body = "".join({"*": "[0-9]*", "x": "[0-9]"}.get(c, c) for c in parse_pattern(pattern).text)
    return f"^{body}$"


def _digits(rng: random.Random, n: int) -> str:
    return "".join(rng.choice("0123456789") for _ in range(n))


def _page(rng: random.Random) -> int:
    return rng.choice([1, 1, 1, 1, 2, 2, 3, 5])


def _sort(rng: random.Random) -> str:
    """The order a customer asks for: mostly the default (cheapest first)."""
    return rng.choices(["price", "beauty", "price_desc", "number"], weights=[60, 20, 10, 10])[0]


def build_cases(rng: random.Random, n: int) -> dict[str, list[Case]]:  # noqa: C901 - one table of modes
    """``n`` inputs per mode, drawn with a fixed seed: half from realistic lists, half random digits."""
    from portal.numbers import search as s
    from portal.numbers.classes import CLASS_LABELS
    from portal.numbers.formatting import OPERATOR_PREFIXES

    Q = s.NumberQuery

    def numbers(text: str, regex: str, **kw) -> Case:
        return Case(text, lambda: s.search_numbers(Q(**kw)), regex)

    def pattern() -> Case:
        if rng.random() < 0.5:
            p = rng.choice(PATTERNS)
        else:
            p = rng.choice([f"*{_digits(rng, 4)}", f"09*{_digits(rng, 4)}", f"{rng.choice(OPERATOR_PREFIXES)}*"
                            f"{_digits(rng, 3)}", f"0{_digits(rng, 2)}xxx{_digits(rng, 4)}", f"*{_digits(rng, 2)}*"
                            f"{_digits(rng, 2)}"])
        return numbers(f"pattern={p}", _pattern_regex(p), pattern=p, page=_page(rng))

    def prefix() -> Case:
        p = rng.choice(PREFIXES) if rng.random() < 0.5 else rng.choice(OPERATOR_PREFIXES) + _digits(rng, rng.randint(
            0, 3))
        return numbers(f"prefix={p}", f"^{p}", prefix=p, page=_page(rng))

    def contains() -> Case:
        c = rng.choice(CONTAINS) if rng.random() < 0.5 else _digits(rng, rng.randint(2, 5))
        return numbers(f"contains={c}", c, contains=c, page=_page(rng))

    def ends_with() -> Case:
        e = rng.choice(ENDS_WITH) if rng.random() < 0.5 else _digits(rng, rng.randint(1, 4))
        return numbers(f"ends_with={e}", f"{e}$", ends_with=e, page=_page(rng))

    def avoid() -> Case:
        a = rng.choice(AVOID)
        sort = _sort(rng)
        digits = a.replace(" ", "")
        return numbers(f"avoid={a} sort={sort}", f"^[^{digits}]*$", avoid=a, sort=sort, page=_page(rng))

    def by_class() -> Case:
        c = rng.choice(list(CLASS_LABELS))
        sort = _sort(rng)
        return numbers(f"class={c} sort={sort}", CLASS_REGEX[c], number_class=c, sort=sort, page=_page(rng))

    def price() -> Case:
        low, high = sorted(rng.sample(PRICES, 2))
        low = None if rng.random() < 0.3 else low
        sort = _sort(rng)
        return numbers(f"price={low}..{high} sort={sort}", SCAN, min_price=low, max_price=high, sort=sort,
                       page=_page(rng))

    def beauty() -> Case:
        extra = rng.choice([{}, {}, {"prefix": rng.choice(PREFIXES)}, {"contains": rng.choice(CONTAINS)},
                            {"max_price": rng.choice(PRICES)}])
        regex = f"^{extra['prefix']}" if "prefix" in extra else extra.get("contains", SCAN)
        return numbers(f"sort=beauty {extra}", regex, sort="beauty", page=_page(rng), **extra)

    def combined() -> Case:
        kw: dict = {"page": _page(rng), "sort": _sort(rng)}
        regex = SCAN
        if rng.random() < 0.5:
            kw["contains"] = rng.choice(CONTAINS)
            regex = kw["contains"]
        else:
            kw["pattern"] = rng.choice(PATTERNS)
            regex = _pattern_regex(kw["pattern"])
        if rng.random() < 0.5:
            kw["avoid"] = rng.choice(["4", "47", "7"])
        if rng.random() < 0.5:
            kw["max_price"] = rng.choice(PRICES)
        elif rng.random() < 0.5:
            kw["number_class"] = rng.choice(list(CLASS_LABELS))
        return numbers(" ".join(f"{k}={v}" for k, v in kw.items()), regex, **kw)

    def name() -> Case:
        person = rng.choice(NAMES)
        page = _page(rng)
        return Case(f"name={person} page={page}", lambda: s.search_by_name(person, page=page),
                    s.name_digits(person))

    def feng_shui() -> Case:
        born = dt.date(1950, 1, 1) + dt.timedelta(days=rng.randrange(365 * 61))
        page = _page(rng)
        return Case(f"born={born} page={page}", lambda: s.search_feng_shui(born, page=page), SCAN)

    def pairs() -> Case:
        kind = rng.choice([None, "prefix", "digit"])
        page = rng.randint(1, 5)
        return Case(f"pairs kind={kind} page={page}", lambda: s.search_pairs(kind, page=page), SCAN)

    makers = {"pattern": pattern, "prefix": prefix, "contains": contains, "ends_with": ends_with, "avoid": avoid,
              "class": by_class, "price range": price, "sort by beauty": beauty, "combined": combined,
              "by name": name, "feng-shui": feng_shui, "pairs": pairs}
    return {mode: [make() for _ in range(n)] for mode, make in makers.items()}


def time_db(app, case: Case) -> float:
    from portal.extensions import db

    t0 = time.perf_counter()
    with app.app_context():
        case.call()
        db.session.rollback()
    return (time.perf_counter() - t0) * 1000


def time_grep(path: str, regex: str) -> float:
    t0 = time.perf_counter()
    done = subprocess.run(["grep", "-E", "-c", regex, path], capture_output=True, env=GREP_ENV)
    elapsed = (time.perf_counter() - t0) * 1000
    if done.returncode not in (0, 1):
        raise RuntimeError(f"grep -E {regex!r}: {done.stderr.decode()}")
    return elapsed


def explain(app, case: Case) -> str:
    """The statements the slowest input runs, each with its time and the engine's plan."""
    from sqlalchemy import event, text

    from portal.extensions import db

    lines = [f"-- {case.text}"]
    with app.app_context():
        statements: list[tuple[str, object, float]] = []

        def before(conn, cursor, statement, params, context, executemany):
            conn.info["bench_t0"] = time.perf_counter()

        def after(conn, cursor, statement, params, context, executemany):
            statements.append((statement, params, (time.perf_counter() - conn.info["bench_t0"]) * 1000))

        event.listen(db.engine, "before_cursor_execute", before)
        event.listen(db.engine, "after_cursor_execute", after)
        try:
            case.call()
        finally:
            event.remove(db.engine, "before_cursor_execute", before)
            event.remove(db.engine, "after_cursor_execute", after)
        db.session.rollback()
        sqlite = db.engine.dialect.name == "sqlite"
        with db.engine.connect() as conn:
            for statement, params, elapsed in statements:
                lines.append(f"[{elapsed:.1f} ms] {' '.join(statement.split())}  params={params}")
                if statement.lstrip().upper().startswith("SET "):  # a session setting: apply it, as the search did
                    conn.exec_driver_sql(statement, params)
                elif sqlite:
                    rows = conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, params).all()
                    lines += [f"    {'  ' * 0}{r[3]}" for r in rows]
                else:
                    rows = conn.exec_driver_sql("EXPLAIN (ANALYZE, BUFFERS) " + statement, params).all()
                    lines += [f"    {r[0]}" for r in rows]
            conn.execute(text("SELECT 1"))
    return "\n".join(lines)


def run(args: argparse.Namespace) -> str:
    url = database_url(args)
    extra = {}
    if args.pg_options:  # per-session settings, e.g. "-c work_mem=32MB -c random_page_cost=1.1"
        extra["SQLALCHEMY_ENGINE_OPTIONS"] = {"pool_pre_ping": True, "connect_args": {"options": args.pg_options}}
    app = make_app(url, **extra)
    path = str(flat_file(args))
    with app.app_context():
        from portal.extensions import db

        version = engine_version(db)
        db.session.remove()
    facts = machine_facts()
    with app.app_context():  # the first search of a process builds the index: timed apart
        from portal.numbers import index

        started = time.perf_counter()
        with index.lock:
            built = index.current()
            for sort in ("price", "beauty", "number"):  # the sort orders are built when first asked
                built._order(sort)
        facts += (f"; search index built in {time.perf_counter() - started:.1f} s, "
                  f"{built.nbytes / 2**20:,.0f} MB with its three sort orders")
    cases = build_cases(random.Random(SEED), args.queries)
    for mode, items in cases.items():  # warm-up: caches, pool, prepared plans, the file in the page cache
        for case in items[: args.warmup]:
            time_db(app, case)
            time_grep(path, case.regex)
        print(f"warmed up {mode}", flush=True)
    rows, slowest = [], {}
    dump = args.dump.open("w") if args.dump else None
    for mode, items in cases.items():
        db_ms, grep_ms, started = [], [], time.perf_counter()
        worst: tuple[float, Case] | None = None
        for case in items:
            elapsed = time_db(app, case)
            db_ms.append(elapsed)
            grep_ms.append(time_grep(path, case.regex))
            if worst is None or elapsed > worst[0]:
                worst = (elapsed, case)
            if time.perf_counter() - started > args.budget:
                break
        slowest[mode] = worst
        if dump is not None:
            dump.writelines(f"{args.engine}\t{args.count}\t{mode}\t{case.text}\t{d_ms:.2f}\t{g_ms:.2f}\n"
                            for case, d_ms, g_ms in zip(items, db_ms, grep_ms, strict=False))
        d, g = summary(db_ms), summary(grep_ms)
        verdict = "yes" if d["p95"] <= TARGET_MS else "**NO**"
        rows.append(f"| {mode} | {d['n']} | {ms(d['median'])} | {ms(d['p95'])} | {ms(d['max'])} | "
                    f"{ms(g['median'])} | {ms(g['p95'])} | {d['p95'] / g['p95']:.2f} | {verdict} | "
                    f"`{worst[1].text}` |")
        print(rows[-1], flush=True)
    table = "\n".join([
        f"**{version}, {args.count:,} numbers** ({label(args.count)}), {facts}."
        + (f" Session settings: `{args.pg_options}`." if args.pg_options else ""),
        "",
        "| mode | queries | median ms | p95 ms | max ms | grep median ms | grep p95 ms | p95 / grep p95 "
        "| p95 ≤ 50 ms | slowest input |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---|---|",
        *rows,
    ])
    if dump is not None:
        dump.close()
    if args.explain:
        for mode, (elapsed, case) in slowest.items():
            print(f"\n### {mode}: slowest {elapsed:.1f} ms\n{explain(app, case)}", flush=True)
    with app.app_context():
        from portal.extensions import db

        db.session.remove()
        db.engine.dispose()
    return table


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_common_args(parser)
    parser.add_argument("--queries", type=int, default=200, help="inputs per mode (default 200)")
    parser.add_argument("--warmup", type=int, default=20, help="inputs per mode run once before timing")
    parser.add_argument("--budget", type=float, default=120.0, help="seconds per mode at most (default 120)")
    parser.add_argument("--explain", action="store_true", help="print the plans of each mode's slowest input")
    parser.add_argument("--pg-options", default="", help='PostgreSQL session settings, e.g. "-c work_mem=32MB"')
    parser.add_argument("--dump", type=Path, help="write every query's time (TSV) to this file")
    parser.add_argument("--no-readme", action="store_true", help="do not write the table into bench/README.md")
    args = parser.parse_args(argv)
    table = run(args)
    print("\n" + table)
    if not args.no_readme:
        replace_section(f"search-{args.engine}-{label(args.count)}", re.sub(r"\n{3,}", "\n\n", table))


if __name__ == "__main__":
    main()
