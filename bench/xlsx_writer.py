"""The XLSX writer alone (issue 14, "Figures"): portal.reports.export.xlsx_chunks over synthetic rows of the
shipping report's shape, no database, no Flask.

    .venv/bin/python -m bench.xlsx_writer                    # 1,000,000 rows, 3 runs, the median written below
    .venv/bin/python -m bench.xlsx_writer --rows 100000 --runs 1 --no-readme --check

17 columns as ``portal.reports.shipping.rows`` yields them: the order number, region, channel, SIM type, receipt,
payment and status (text), the carrier (text or empty), four moments (naive UTC datetimes, some empty), the
cancellation reason (Vietnamese text, mostly empty), three amounts (ints) and the mismatch flag. The rows come
from a pool of 1,000 prebuilt tuples, cycled, so the rows' own making costs next to nothing: what is timed is the
writer (cells to XML, deflate, the zip stream). Measured per run: rows/s over the whole export, the time to the
first chunk (streaming: bytes leave before the last row is read), the process's CPU time (rows per CPU second
say what the writer costs on a machine shared with other work, where the wall clock also counts waiting for a
core), the bytes, and the growth of the process's
peak resident memory (ru_maxrss) over its resident memory before the run. ``--check`` reads the workbook back
(zipfile, the sheet's rows counted while it is inflated) to show it is whole. ``--libreoffice N`` has LibreOffice
(``soffice --headless``, Debian's libreoffice-calc-nogui; not a requirement of the project) read a workbook of N of
the rows and write it as CSV, and compares that, cell by cell, with ``csv_chunks`` of the same rows: a second
implementation's reading of the package, the empty cells, the moments in Vietnam time.
"""
from __future__ import annotations

import argparse
import csv
import io
import random
import resource
import shutil
import statistics
import subprocess
import tempfile
import time
import zipfile
from collections.abc import Iterator
from datetime import datetime, timedelta
from itertools import cycle, islice
from pathlib import Path

from bench.common import SEED, machine_facts, replace_section

REASONS = ("Khách từ chối nhận hàng", "Sai địa chỉ giao hàng", "Khách hẹn giao lại, không liên lạc được")
CARRIERS = ("ghn", "viettelpost", "vnpost")
STATUSES = ("delivered", "shipped", "waiting_pickup", "cancelled", "refused")


def pool(size: int = 1_000) -> list[tuple]:
    rand = random.Random(SEED)
    start = datetime(2026, 1, 1)
    rows = []
    for n in range(size):
        created = start + timedelta(seconds=rand.randrange(365 * 86400))
        handed = created + timedelta(hours=rand.randrange(1, 48)) if rand.random() < 0.8 else None
        delivered = handed + timedelta(hours=rand.randrange(4, 96)) if handed and rand.random() < 0.85 else None
        cancelled = created + timedelta(hours=rand.randrange(1, 72)) if rand.random() < 0.08 else None
        total = rand.choice((50_000, 545_000, 1_045_000, 2_350_000))
        cod = rand.random() < 0.55
        rows.append((f"DH{created:%y%m%d}{n:06d}", rand.randrange(1, 10), rand.choice(("web", "app", "partner")),
                     rand.choice(("physical", "esim")), rand.choice(("delivery", "pickup", "email")),
                     "cod" if cod else "online", rand.choice(STATUSES), rand.choice(CARRIERS) if handed else None,
                     created, handed, delivered, cancelled, rand.choice(REASONS) if cancelled else None,
                     total, total if cod else 0, total if delivered and cod else None,
                     1 if rand.random() < 0.01 else 0))
    return rows


def _rss_mb() -> float:
    return int(Path("/proc/self/statm").read_text().split()[1]) * 4096 / 2**20


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kB on Linux


def run_once(count: int, rows_pool: list[tuple], out: Path | None) -> dict:
    from portal.reports.export import xlsx_chunks
    from portal.reports.shipping import HEADERS

    headers = [str(h) for h in HEADERS]
    rss0 = _rss_mb()
    read = 0

    def rows() -> Iterator[tuple]:
        nonlocal read
        for row in islice(cycle(rows_pool), count):
            read += 1
            yield row

    size = 0
    first = first_read = None
    sink = out.open("wb") if out else None
    started, cpu = time.perf_counter(), time.process_time()
    for chunk in xlsx_chunks(headers, rows(), "shipping"):
        if first is None and chunk:
            first, first_read = time.perf_counter() - started, read
        size += len(chunk)
        if sink:
            sink.write(chunk)
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    if sink:
        sink.close()
    return {"seconds": seconds, "rate": count / seconds, "cpu": cpu, "first": first or 0.0,
            "first_read": first_read or 0, "bytes": size, "growth": max(0.0, _peak_mb() - rss0)}


def check(path: Path, count: int) -> str:
    """Count the sheet's rows while inflating it (the XML is never whole in memory)."""
    rows = 0
    tail = b""
    with zipfile.ZipFile(path) as book, book.open("xl/worksheets/sheet1.xml") as sheet:
        while block := sheet.read(1 << 20):
            rows += (tail + block).count(b"<row ")
            tail = block[-4:]
        names = book.namelist()
    assert rows == count + 1, (rows, count)
    return f"read back: {len(names)} parts, {rows:,} rows in sheet1 (the header and {count:,})"


def libreoffice(count: int, rows_pool: list[tuple]) -> str:
    from portal.reports.export import csv_chunks, xlsx_chunks
    from portal.reports.shipping import HEADERS

    soffice = shutil.which("soffice")
    if not soffice:
        return "LibreOffice: not installed (apt-get install libreoffice-calc-nogui), not compared"
    headers = [str(h) for h in HEADERS]
    with tempfile.TemporaryDirectory() as tmp:
        book = Path(tmp) / "shipping.xlsx"
        book.write_bytes(b"".join(xlsx_chunks(headers, islice(cycle(rows_pool), count), "shipping")))
        # CSV filter options: comma, double quote, UTF-8 (76), from line 1; formatted values as shown
        subprocess.run([soffice, "--headless", "--norestore", f"-env:UserInstallation=file://{tmp}/profile",
                        "--convert-to", "csv:Text - txt - csv (StarCalc):44,34,76,1", "--outdir", tmp, str(book)],
                       check=True, capture_output=True, timeout=600)
        theirs = list(csv.reader(io.StringIO((Path(tmp) / "shipping.csv").read_text(encoding="utf-8"), newline="")))
    ours = list(csv.reader(io.StringIO(b"".join(csv_chunks(headers, islice(cycle(rows_pool), count)))
                                       .decode("utf-8-sig"), newline="")))
    differ = sum(a != b for a, b in zip(ours, theirs, strict=False)) + abs(len(ours) - len(theirs))
    assert differ == 0, f"{differ} rows differ between LibreOffice's reading and csv_chunks"
    return (f"LibreOffice read the workbook of {count:,} rows: its CSV equals csv_chunks of the same rows, "
            f"{len(theirs):,} lines, cell for cell")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--check", action="store_true", help="keep the last run's file and read it back")
    parser.add_argument("--libreoffice", type=int, default=0, metavar="N",
                        help="have LibreOffice read a workbook of N rows and compare it with the CSV export")
    parser.add_argument("--no-readme", action="store_true")
    args = parser.parse_args(argv)

    facts = machine_facts()
    rows_pool = pool()
    out = Path("/tmp/bench-xlsx-writer.xlsx") if args.check else None
    body = [f"**XLSX writer alone**, {args.rows:,} synthetic rows of the shipping report (17 columns) — {facts}", "",
            "| run | seconds | rows/s | CPU seconds | rows per CPU second | first chunk after | rows read by then | MB "
            "| peak RSS growth MB |", "|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    results = []
    for n in range(1, args.runs + 1):
        r = run_once(args.rows, rows_pool, out)
        results.append(r)
        body.append(f"| {n} | {r['seconds']:.1f} | {r['rate']:,.0f} | {r['cpu']:.1f} | {args.rows / r['cpu']:,.0f} | "
                    f"{r['first'] * 1000:.1f} ms | "
                    f"{r['first_read']:,} | {r['bytes'] / 2**20:.1f} | {r['growth']:.1f} |")
        print(body[-1], flush=True)
    rate = statistics.median(r["rate"] for r in results)
    growth = max(r["growth"] for r in results)
    body += ["", f"Median: **{rate:,.0f} rows/s** (target ≥ 20,000: {'met' if rate >= 20_000 else 'NOT met'}); "
             f"peak RSS growth at most {growth:.1f} MB over {args.runs} run(s)."]
    if args.check and out:
        body.append(check(out, args.rows) + ".")
        out.unlink()
    if args.libreoffice:
        body.append(libreoffice(args.libreoffice, rows_pool) + ".")
    print("\n".join(body))
    if not args.no_readme:
        replace_section("xlsx-writer", "\n".join(body))


if __name__ == "__main__":
    main()
