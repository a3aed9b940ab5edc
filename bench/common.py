"""What every benchmark shares: where the data lives, the app for an engine, timing and the README section.

Benchmark databases are never the tests' (`test`) nor the developer's (instance/portal.db):
SQLite files under ``--data-dir`` (default /tmp/bench-data) and PostgreSQL databases
``bench`` (1M numbers) and ``bench10m`` (10M) on 127.0.0.1, created when missing.
"""
from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import re
import statistics
import subprocess
from pathlib import Path

DEFAULT_DATA_DIR = Path(os.environ.get("BENCH_DATA_DIR", "/tmp/bench-data"))
# portal.config reads PORTAL_INSTANCE when imported: keep the bench's secret key and files out of instance/.
os.environ.setdefault("PORTAL_INSTANCE", str(DEFAULT_DATA_DIR / "instance"))

PG_HOST = os.environ.get("BENCH_PG_HOST", "127.0.0.1")
PG_USER = os.environ.get("BENCH_PG_USER", "root")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/13")
SEED = 2026
README = Path(__file__).resolve().parent / "README.md"
FORBIDDEN_DATABASES = {"test", "postgres", "root", "template0", "template1"}


def label(count: int) -> str:
    """1000000 → "1m", 10000000 → "10m", 20000 → "20000"."""
    return f"{count // 1_000_000}m" if count % 1_000_000 == 0 else str(count)


def pg_database(count: int) -> str:
    return "bench" if count == 1_000_000 else f"bench{label(count)}"


def add_common_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--engine", choices=("sqlite", "postgres"), required=True)
    parser.add_argument("--count", type=int, default=1_000_000, help="numbers in the inventory (default 1,000,000)")
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR,
                        help="SQLite files and the flat file of numbers (default /tmp/bench-data)")
    parser.add_argument("--database", help="PostgreSQL database (default bench for 1M, bench10m for 10M)")


def database_url(args: argparse.Namespace) -> str:
    if args.engine == "sqlite":
        return f"sqlite:///{args.data_dir / f'bench-{label(args.count)}.db'}"
    name = args.database or pg_database(args.count)
    if name in FORBIDDEN_DATABASES:
        raise SystemExit(f"refusing to use database {name!r}: benchmarks have their own")
    return f"postgresql+psycopg://{PG_USER}@{PG_HOST}:5432/{name}"


def flat_file(args: argparse.Namespace) -> Path:
    return args.data_dir / f"numbers-{label(args.count)}.txt"


def ensure_pg_database(url: str) -> None:
    name = url.rsplit("/", 1)[1]
    found = subprocess.run(["psql", "-h", PG_HOST, "-U", PG_USER, "-d", "postgres", "-Atc",
                            f"SELECT 1 FROM pg_database WHERE datname = '{name}'"],
                           capture_output=True, text=True, check=True).stdout.strip()
    if not found:
        subprocess.run(["createdb", "-h", PG_HOST, "-U", PG_USER, name], check=True)


def make_app(url: str, **extra):
    """The real app on the benchmark database (no test settings; sockets without a message queue)."""
    from portal import create_app

    config = {"SQLALCHEMY_DATABASE_URI": url, "TESTING": False, "REDIS_URL": REDIS_URL,
              "SOCKETIO_QUEUE": False, "RATELIMIT_ENABLED": False}
    config.update(extra)
    return create_app(config)


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100) of a non-empty list."""
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * q // 100))
    return ordered[int(rank) - 1]


def summary(values: list[float]) -> dict[str, float]:
    return {"median": statistics.median(values), "p95": percentile(values, 95), "max": max(values), "n": len(values)}


def engine_version(db) -> str:
    from sqlalchemy import text

    if db.engine.dialect.name == "sqlite":
        return "SQLite " + db.session.scalar(text("SELECT sqlite_version()"))
    return "PostgreSQL " + db.session.scalar(text("SHOW server_version"))


def machine_facts() -> str:
    cpu = "?"
    try:
        cpu = next(line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                   if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    mem_gb = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    return (f"{dt.datetime.now().astimezone():%Y-%m-%d %H:%M %Z}; nproc {os.cpu_count()} ({cpu}), "
            f"{mem_gb:.0f} GB RAM, Python {platform.python_version()}, load average before the run {load}")


def replace_section(key: str, body: str, path: Path = README) -> None:
    """Replace (or append) the README block between ``<!-- results:key -->`` and ``<!-- /results:key -->``."""
    start, end = f"<!-- results:{key} -->", f"<!-- /results:{key} -->"
    block = f"{start}\n{body.rstrip()}\n{end}"
    text = path.read_text() if path.exists() else ""
    pattern = re.compile(re.escape(start) + r".*?" + re.escape(end), re.S)
    found = pattern.search(text)
    path.write_text(pattern.sub(lambda _m: block, text) if found else text.rstrip() + "\n\n" + block + "\n")


def ms(value: float) -> str:
    return f"{value:.1f}" if value < 100 else f"{value:.0f}"


def open_bench_app(url: str, engine: str, sqlite_path: Path | None, rebuild: bool):
    """The app on a benchmark database, migrated and with its reference rows; ``rebuild`` starts it empty
    (the SQLite file deleted, or PostgreSQL's public schema dropped)."""
    from flask_migrate import upgrade
    from sqlalchemy import text

    from portal.core.domains import ensure_reference_data
    from portal.extensions import db

    if engine == "sqlite":
        sqlite_path.parent.mkdir(parents=True, exist_ok=True)
        if rebuild and sqlite_path.exists():
            sqlite_path.unlink()
    else:
        ensure_pg_database(url.replace("postgresql+psycopg://", "postgresql://"))
    app = make_app(url)
    with app.app_context():
        if engine == "postgres" and rebuild:
            with db.engine.begin() as conn:
                conn.execute(text("DROP SCHEMA public CASCADE"))
                conn.execute(text("CREATE SCHEMA public"))
        upgrade()
        ensure_reference_data()
        db.session.commit()
    return app


def page_table(heading: str, rows: list[tuple[str, str, dict]], runs: int, warmup: int) -> list[str]:
    """The README block of a page benchmark: one row per (viewer, page), the worst p95 of a tab's first page
    against the 100 ms target."""
    worst = max(s["p95"] for _v, label, s in rows if label.startswith("tab"))
    body = [heading, "", "| viewer | page | median ms | p95 ms | max ms |", "|---|---|---:|---:|---:|"]
    body += [f"| {v} | {label} | {ms(s['median'])} | {ms(s['p95'])} | {ms(s['max'])} |" for v, label, s in rows]
    body += ["", f"Worst p95 of a tab's first page: **{ms(worst)} ms** (target ≤ 100 ms: "
             f"{'met' if worst <= 100 else 'NOT met'}). {runs} requests per row after {warmup} warm-up."]
    return body


def staff_id(db, password: str, username: str, role, region: int) -> int:
    """The id of the bench's staff member ``username``, created (and committed) on first use."""
    from sqlalchemy import select

    from portal.auth.models import Staff
    from portal.auth.services import create_staff

    found = db.session.scalar(select(Staff.id).where(Staff.username == username))
    if found is None:
        found = create_staff(username, password, role, region, None, full_name=username).id
        db.session.commit()
    return found
