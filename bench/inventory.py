"""Build the benchmark inventory: N numbers through the real services, then ANALYZE and the flat file.

    .venv/bin/python -m bench.inventory --engine sqlite --count 1000000
    .venv/bin/python -m bench.inventory --engine postgres --count 1000000      # database bench
    .venv/bin/python -m bench.inventory --engine postgres --count 10000000     # database bench10m

The numbers come from ``generate_numbers(count, seed=2026)`` and enter with
``add_numbers`` (pairs included), committed every ``--chunk`` numbers. The
generator is deterministic, so an interrupted build resumes where it stopped,
and a database that already holds N numbers is reused as it is.
"""
from __future__ import annotations

import argparse
import json
import time
from collections import deque
from itertools import islice
from pathlib import Path

from bench.common import SEED, add_common_args, database_url, ensure_pg_database, flat_file, label, make_app


def _drop_everything(url: str) -> None:
    if url.startswith("sqlite"):
        path = Path(url.removeprefix("sqlite:///"))
        for suffix in ("", "-wal", "-shm"):
            Path(str(path) + suffix).unlink(missing_ok=True)
        return
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


def _count_numbers() -> int:
    from sqlalchemy import func, select

    from portal.extensions import db
    from portal.numbers.models import PhoneNumber

    return db.session.scalar(select(func.count()).select_from(PhoneNumber)) or 0


def _load(count: int, have: int, chunk: int) -> float:
    """Add numbers ``have``..``count`` of the deterministic sequence; returns the seconds it took."""
    from sqlalchemy import select

    from portal.core.sqlite import writing
    from portal.extensions import db
    from portal.numbers.models import PhoneNumber
    from portal.numbers.services import generate_numbers

    numbers = generate_numbers(count, seed=SEED)
    if have:
        (last,) = deque(islice(numbers, have), maxlen=1)
        if db.session.scalar(select(PhoneNumber.id).where(PhoneNumber.number == last.number)) is None:
            raise SystemExit("the database holds numbers of another sequence: rerun with --rebuild")
        print(f"resuming after {have:,} numbers", flush=True)
    from portal.numbers.services import add_numbers

    started = time.perf_counter()
    done = have
    while done < count:
        t0 = time.perf_counter()
        with writing():
            added = add_numbers(islice(numbers, min(chunk, count - done)))
            db.session.commit()
        done += added
        elapsed = time.perf_counter() - started
        print(f"{done:>12,} numbers  chunk {added:,} in {time.perf_counter() - t0:.1f} s  "
              f"overall {(done - have) / elapsed:,.0f} numbers/s  elapsed {elapsed / 60:.1f} min", flush=True)
        if added == 0:
            raise SystemExit("the generator ran dry before reaching --count")
    return time.perf_counter() - started


def _analyze() -> float:
    from sqlalchemy import text

    from portal.extensions import db

    t0 = time.perf_counter()
    if db.engine.dialect.name == "postgresql":
        # VACUUM too: a freshly loaded table has no visibility map, so index-only scans would still read
        # the heap; autovacuum gets there on a live server, the benchmark should not depend on when.
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))
    else:
        with db.engine.begin() as conn:
            conn.execute(text("ANALYZE"))
    return time.perf_counter() - t0


def _write_flat_file(path: Path, count: int) -> None:
    """Every number, one per line, for the ``grep -E`` baseline (rewritten if it does not hold N lines)."""
    from sqlalchemy import select

    from portal.extensions import db
    from portal.numbers.models import PhoneNumber

    if path.exists() and sum(1 for _ in path.open()) == count:
        return
    tmp = path.with_suffix(".tmp")
    with tmp.open("w") as out:
        rows = db.session.execute(select(PhoneNumber.number).order_by(PhoneNumber.id).execution_options(
            stream_results=True, yield_per=50_000))
        for (number,) in rows:
            out.write(number + "\n")
    tmp.replace(path)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_common_args(parser)
    parser.add_argument("--chunk", type=int, default=250_000, help="numbers per committed transaction")
    parser.add_argument("--rebuild", action="store_true", help="drop the benchmark database and build it again")
    args = parser.parse_args(argv)
    args.data_dir.mkdir(parents=True, exist_ok=True)
    url = database_url(args)
    if args.engine == "postgres":
        ensure_pg_database(url)
    if args.rebuild:
        _drop_everything(url)
    app = make_app(url)
    log = args.data_dir / f"build-{args.engine}-{label(args.count)}.json"
    with app.app_context():
        from flask_migrate import upgrade

        from portal.core.domains import ensure_reference_data
        from portal.extensions import db

        upgrade()
        ensure_reference_data()
        db.session.commit()
        have = _count_numbers()
        if have > args.count:
            raise SystemExit(f"{url} holds {have:,} numbers, more than --count: rerun with --rebuild")
        if have == args.count:
            print(f"{url} already holds {have:,} numbers: reused", flush=True)
        else:
            seconds = _load(args.count, have, args.chunk)
            facts = json.loads(log.read_text()) if log.exists() and have else {"load_seconds": 0.0}
            facts["load_seconds"] += seconds
            facts["count"] = args.count
            facts["analyze_seconds"] = _analyze()
            log.write_text(json.dumps(facts))
            print(f"loaded in {facts['load_seconds'] / 60:.1f} min, ANALYZE {facts['analyze_seconds']:.0f} s",
                  flush=True)
        if have == args.count and not log.exists():
            log.write_text(json.dumps({"count": args.count, "analyze_seconds": _analyze()}))
        _write_flat_file(flat_file(args), args.count)
        db.session.remove()
        db.engine.dispose()
    print(f"flat file {flat_file(args)}", flush=True)


if __name__ == "__main__":
    main()
