"""``flask --app wsgi numbers import FILE`` and ``flask --app wsgi numbers generate --count N [--seed S]``."""
from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from itertools import islice
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import event, func, select

from portal.core import sqlite
from portal.core.audit import audit
from portal.core.domains import ensure_reference_data
from portal.core.errors import Invalid
from portal.extensions import db
from portal.numbers import importer
from portal.numbers.models import PhoneNumber
from portal.numbers.services import add_numbers, generate_numbers

numbers_cli = AppGroup("numbers", help="Number inventory: import a CSV, generate demo numbers.")
SHOWN_ERRORS = 20
BULK_CACHE_KB = 256 * 1024


def _n(value: int) -> str:
    return f"{value:,}".replace(",", ".")


@contextmanager
def _bulk_writes() -> Iterator[None]:
    """Take SQLite's write lock up front, with a bigger page cache: with the default 2 MB, a batch of
    inserts into phone_number's nine indexes and its trigram table spills the same pages again and again."""
    sqlite_engine = db.engine.dialect.name == "sqlite"
    if sqlite_engine:
        event.listen(db.engine, "checkout", _big_cache)
    try:
        with sqlite.writing():
            yield
    finally:
        if sqlite_engine:
            event.remove(db.engine, "checkout", _big_cache)


def _big_cache(dbapi_connection, _record, _proxy) -> None:
    dbapi_connection.execute(f"PRAGMA cache_size=-{BULK_CACHE_KB}")


def _inventory_size() -> int:
    return db.session.scalar(select(func.count()).select_from(PhoneNumber)) or 0


@numbers_cli.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--batch", default=importer.BATCH, show_default=True, type=click.IntRange(100, 1_000_000),
              help="Rows per transaction.")
def import_command(file: Path, batch: int) -> None:
    """Import a CSV (header row: number[,price,region,status]); good rows go in, bad rows are listed.

    Exit code 1 if any row was bad: the good rows are imported all the same.
    """
    with file.open("rb") as stream:
        try:
            importer.check_file(stream)  # binary or not UTF-8: refused before anything is imported
        except Invalid as exc:
            raise click.ClickException(exc.message) from None
    started = time.perf_counter()

    def committed(report: importer.ImportReport) -> None:
        db.session.commit()
        click.echo(f"  … {_n(report.rows)} dòng đã đọc, {_n(report.added)} số đã nhập", err=True)

    with _bulk_writes(), file.open("rb") as stream:
        ensure_reference_data()
        try:
            report = importer.import_rows(importer.parse_rows(importer.binary_lines(stream)), batch_size=batch,
                                          after_batch=committed)
        except Invalid as exc:  # a file-level problem (no header…): found before the first row
            db.session.rollback()
            raise click.ClickException(exc.message) from None
        audit("numbers.import", detail={"source": "cli", "file": file.name, **report.counts()})
        db.session.commit()
    click.echo(f"{file.name}: {_n(report.rows)} dòng; đã nhập {_n(report.added)} số mới; "
               f"{_n(report.skipped)} số đã có trong kho (bỏ qua); {_n(report.error_count)} dòng lỗi "
               f"({time.perf_counter() - started:.1f} s).")
    for issue in report.errors[:SHOWN_ERRORS]:
        click.echo(f"  dòng {issue.line}: {issue.value or '—'} — {issue.message}")
    if report.error_count > SHOWN_ERRORS:
        click.echo(f"  … và {_n(report.error_count - SHOWN_ERRORS)} dòng lỗi khác.")
    if report.error_count:
        click.echo("Các dòng hợp lệ đã được nhập; các dòng lỗi thì không. Sửa chúng rồi chạy lại lệnh "
                   "(số đã nhập sẽ được bỏ qua).", err=True)
        raise SystemExit(1)


@numbers_cli.command("generate")
@click.option("--count", required=True, type=click.IntRange(1, 20_000_000), help="How many numbers to generate.")
@click.option("--seed", type=int, default=None, help="Same seed, same numbers: running again adds none.")
@click.option("--batch", default=50_000, show_default=True, type=click.IntRange(1_000, 1_000_000),
              help="Numbers per transaction.")
def generate_command(count: int, seed: int | None, batch: int) -> None:
    """Add realistic demo/benchmark numbers (numbers already in the inventory are skipped)."""
    if current_app.config["PORTAL_ENV"] == "production":
        raise click.ClickException("numbers generate refuses to run in production")
    started = time.perf_counter()
    added = offered = 0
    numbers = generate_numbers(count, seed=seed)
    with _bulk_writes():
        ensure_reference_data()  # the regions the numbers' home regions point at
        while chunk := list(islice(numbers, batch)):
            added += add_numbers(chunk)
            offered += len(chunk)
            db.session.commit()
            click.echo(f"  {_n(offered)}/{_n(count)} ({_n(added)} added, {time.perf_counter() - started:.0f} s)",
                       err=True)
        audit("numbers.generate", detail={"count": count, "seed": seed, "added": added})
        db.session.commit()
    click.echo(f"generated {_n(count)} numbers (seed {seed}): {_n(added)} added, {_n(count - added)} already there; "
               f"inventory now {_n(_inventory_size())} numbers ({time.perf_counter() - started:.1f} s)")
