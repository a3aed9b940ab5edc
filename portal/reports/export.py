"""Streamed exports: CSV (UTF-8 with a BOM, so Excel shows Vietnamese) and XLSX (xlsxwriter in constant_memory
mode, each row written to disk as it comes). Both are generator responses fed by the report's row iterator,
which reads through a server-side cursor: a million rows never sit in memory."""
from __future__ import annotations

import csv
import io
import os
import tempfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import UTC, date, datetime
from typing import Any

import xlsxwriter
from flask import Response
from sqlalchemy import Connection

from portal.core.time import VIETNAM
from portal.extensions import db
from portal.reports.filters import Scope

BOM = "\ufeff"
CSV_FLUSH_ROWS = 500  # rows per chunk sent
XLSX_CHUNK = 64 * 1024


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, datetime):  # the columns' naive UTC, shown in Vietnam time
        return value.replace(tzinfo=UTC).astimezone(VIETNAM).strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, (int, float)):
        return value
    return str(value)


def csv_chunks(headers: Sequence[Any], rows: Iterable[Sequence[Any]]) -> Iterator[bytes]:
    """The CSV as byte chunks: the BOM and the header line first, then ``CSV_FLUSH_ROWS`` rows at a time."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write(BOM)
    writer.writerow([str(h) for h in headers])
    for count, row in enumerate(rows, start=1):
        writer.writerow([_cell(v) for v in row])
        if count % CSV_FLUSH_ROWS == 0:
            yield buffer.getvalue().encode("utf-8")
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode("utf-8")


def xlsx_chunks(headers: Sequence[Any], rows: Iterable[Sequence[Any]], sheet: str = "Report") -> Iterator[bytes]:
    """The workbook written row by row (constant_memory: each row goes to a temporary file once written), then
    sent in chunks; the temporary file is removed when the response ends."""
    fd, path = tempfile.mkstemp(suffix=".xlsx")
    os.close(fd)
    try:
        book = xlsxwriter.Workbook(path, {"constant_memory": True, "strings_to_numbers": False,
                                          "strings_to_formulas": False, "strings_to_urls": False,
                                          "tmpdir": tempfile.gettempdir()})
        bold = book.add_format({"bold": True})
        ws = book.add_worksheet(sheet[:31])
        ws.write_row(0, 0, [str(h) for h in headers], bold)
        for r, row in enumerate(rows, start=1):
            ws.write_row(r, 0, [_cell(v) for v in row])
        book.close()
        with open(path, "rb") as f:
            while chunk := f.read(XLSX_CHUNK):
                yield chunk
    finally:
        os.unlink(path)


def export_rows(rows: Callable[[Scope, Connection], Iterator[Sequence[Any]]], scope: Scope) -> Iterator[Sequence[Any]]:
    """A report's export rows on a connection of the export's own, opened when the server starts sending the body
    (the request's contexts and session are gone by then) and closed when it ends."""
    engine = db.engine  # read now, in the request: the body is iterated after it

    def run() -> Iterator[Sequence[Any]]:
        with engine.connect() as conn:
            yield from rows(scope, conn)

    return run()


def streamed(chunks: Iterator[bytes], filename: str, mimetype: str) -> Response:
    response = Response(chunks, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def csv_response(headers: Sequence[Any], rows: Iterable[Sequence[Any]], filename: str) -> Response:
    return streamed(csv_chunks(headers, rows), filename, "text/csv; charset=utf-8")


def xlsx_response(headers: Sequence[Any], rows: Iterable[Sequence[Any]], filename: str, sheet: str) -> Response:
    return streamed(xlsx_chunks(headers, rows, sheet), filename,
                    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
