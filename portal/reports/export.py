"""Streamed exports: CSV (UTF-8 with a BOM, so Excel shows Vietnamese) and XLSX (a SpreadsheetML writer of our own
whose zip is produced while the rows arrive). Both are generator responses fed by the report's row iterator, which
reads through a server-side cursor: a million rows never sit in memory, nor on disk."""
from __future__ import annotations

import csv
import functools
import io
import math
import re
import zipfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from itertools import islice
from typing import Any

from flask import Response
from sqlalchemy import Connection

from portal.core.time import VIETNAM
from portal.extensions import db
from portal.reports.filters import Scope

BOM = "\ufeff"
CSV_FLUSH_ROWS = 500  # rows per chunk sent


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return _csv_moment(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, (int, float)):
        return value
    return str(value)


_TWO_DIGITS = [f"{n:02d}" for n in range(60)]


@functools.lru_cache(maxsize=1024)
def _iso_day(day: date) -> str:
    return day.isoformat()


def _csv_moment(value: datetime) -> str:
    """A moment (naive: UTC, as the columns hold it) as "YYYY-MM-DD HH:MM:SS" in Vietnam time (see
    _FIXED_OFFSET_SINCE). Put together from a cached day and two-digit strings: ``isoformat(" ", "seconds")`` costs
    twice as much, and a funnel row has eight moments."""
    if value.tzinfo is None and value >= _FIXED_OFFSET_SINCE:
        local, two = value + _VIETNAM_OFFSET, _TWO_DIGITS
        return f"{_iso_day(local.date())} {two[local.hour]}:{two[local.minute]}:{two[local.second]}"
    return value.replace(tzinfo=UTC).astimezone(VIETNAM).strftime("%Y-%m-%d %H:%M:%S")


def _csv_row(values: Sequence[Any]) -> list[Any]:
    """One row's fields: text and whole numbers, most of them, as they are (no call in the CSV's hot loop); the rest
    through ``_cell``."""
    return [value if type(value) is str or type(value) is int else _cell(value) for value in values]


def csv_chunks(headers: Sequence[Any], rows: Iterable[Sequence[Any]]) -> Iterator[bytes]:
    """The CSV as byte chunks: the BOM and the header line first, at once (the download starts while a report that
    reads before its first row, the funnel's grouped pass, is still reading), then ``CSV_FLUSH_ROWS`` rows at a
    time."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write(BOM)
    writer.writerow([str(h) for h in headers])
    yield buffer.getvalue().encode("utf-8")
    buffer.seek(0)
    buffer.truncate()
    for count, row in enumerate(rows, start=1):
        writer.writerow(_csv_row(row))
        if count % CSV_FLUSH_ROWS == 0:
            yield buffer.getvalue().encode("utf-8")
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode("utf-8")


# XLSX: a minimal SpreadsheetML package written as a zip stream (zipfile on an unseekable sink: each entry's sizes
# follow its data in a data descriptor). The sheet comes first, row chunk by row chunk, then the small parts that
# name it. Text is written inline (t="inlineStr": no shared-string table to hold), numbers as numbers, moments as
# Excel date-times (Vietnam time) with a date format, the header row bold and frozen.
XLSX_FLUSH_ROWS = 500  # rows per chunk written to the zip (and sent as soon as deflate lets bytes out)
XLSX_SHEET_ROWS = 1_048_576  # Excel's rows per sheet, the header included: past it the rows go on a next sheet
# A sheet's XML stays far below 4 GiB, the most a plain (non-ZIP64) zip entry holds: the ZIP64 local header that
# zipfile's force_zip64 writes is the form Excel is reported to refuse (docs/reports.md, "Exports"), so a sheet that
# grows past this (rows of 3 KB would need it) continues on the next one.
XLSX_SHEET_BYTES = 3 * 2**30
XLSX_CELL_CHARS = 32_767  # Excel's longest cell text
XLSX_COMPRESSLEVEL = 1  # deflate's fastest: the XML still shrinks ~8 times (level 6: ~13, for 3x the CPU)
XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

_MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_XML_DECL = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
# What text needs beyond a plain copy: the XML specials, the characters XML 1.0 forbids (C0 controls but tab,
# newline and carriage return; lone surrogates; U+FFFE/U+FFFF), and a literal "_xHHHH_", which Excel would decode
# (looked for as "_x" apart: one character class keeps the regex at a single fast scan).
_SPECIAL = re.compile('[&<>"\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]')
_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_OOXML_ESCAPE = re.compile("_(?=x[0-9A-Fa-f]{4}_)")
_SHEET_NAME_FORBIDDEN = re.compile(r"[\[\]:*?/\\\x00-\x1f]")
_EXCEL_EPOCH = datetime(1899, 12, 30)  # day 0 of Excel's serial dates (as Excel counts, 1900 a leap year)
_EXCEL_EPOCH_DATE = _EXCEL_EPOCH.date()
# Vietnam has kept UTC+7, without daylight saving, since 13 June 1975: later moments are shifted by a subtraction
# (astimezone costs ~1 µs a cell), earlier ones go through the time zone.
_FIXED_OFFSET_SINCE = datetime(1975, 6, 14)
_VIETNAM_OFFSET = timedelta(hours=7)
_EXCEL_EPOCH_UTC = _EXCEL_EPOCH - _VIETNAM_OFFSET
_EMPTY = "<c/>"
_HEADER_STYLE = ' s="1"'  # cellXfs 1 of _STYLES: bold; 2 and 3 are the date-time and date formats
_DATETIME_WIDTH = 19  # "2026-12-03 07:59:20"

_STYLES = (_XML_DECL + f'<styleSheet xmlns="{_MAIN_NS}">'
           '<numFmts count="2"><numFmt numFmtId="164" formatCode="yyyy-mm-dd hh:mm:ss"/>'
           '<numFmt numFmtId="165" formatCode="yyyy-mm-dd"/></numFmts>'
           '<fonts count="2"><font><sz val="11"/><name val="Calibri"/><family val="2"/></font>'
           '<font><b/><sz val="11"/><name val="Calibri"/><family val="2"/></font></fonts>'
           '<fills count="2"><fill><patternFill patternType="none"/></fill>'
           '<fill><patternFill patternType="gray125"/></fill></fills>'
           '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
           '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
           '<cellXfs count="4"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
           '<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/>'
           '<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
           '<xf numFmtId="165" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/></cellXfs>'
           '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
           '</styleSheet>')


class _Sink:
    """The zip's output: unseekable (no tell/seek), so zipfile streams; what it writes waits here for the next
    chunk the response sends."""

    def __init__(self) -> None:
        self._parts: list[bytes] = []

    def write(self, data: bytes) -> int:
        self._parts.append(bytes(data))
        return len(data)

    def flush(self) -> None:
        pass

    def take(self) -> bytes:
        data = b"".join(self._parts)
        self._parts.clear()
        return data


def _escape(text: str) -> str:
    """Text for an XML text node or a double-quoted attribute, without the characters XML 1.0 forbids."""
    if _SPECIAL.search(text) is None and "_x" not in text:
        return text
    text = _FORBIDDEN.sub("", text)
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
    return _OOXML_ESCAPE.sub("_x005F_", text)


def _text(text: str, style: str = "") -> str:
    """A text cell, whatever the text: cut to Excel's longest, escaped, its outer blanks kept."""
    text = _escape(text[:XLSX_CELL_CHARS])
    space = ' xml:space="preserve"' if text.strip() != text else ""
    return f'<c t="inlineStr"{style}><is><t{space}>{text}</t></is></c>'


def _moment(value: datetime) -> str:
    """A moment (naive: UTC, as the columns hold it) as an Excel date-time of Vietnam, in whole seconds (as the CSV
    shows it)."""
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    if value >= _FIXED_OFFSET_SINCE:
        local = value - _EXCEL_EPOCH_UTC
    else:
        local = value.replace(tzinfo=UTC).astimezone(VIETNAM).replace(tzinfo=None) - _EXCEL_EPOCH
    return f'<c s="2"><v>{local.days + local.seconds / 86400!r}</v></c>'


def _other(value: Any) -> str:
    """A cell of a type less common in the reports' rows than text, ints, moments and None."""
    kind = type(value)
    if kind is float or kind is Decimal:
        return f"<c><v>{value}</v></c>" if math.isfinite(value) else _text(str(value))
    if kind is bool:
        return f'<c t="b"><v>{int(value)}</v></c>'
    if kind is date:
        return f'<c s="3"><v>{(value - _EXCEL_EPOCH_DATE).days}</v></c>'
    if isinstance(value, datetime):
        return _moment(value)
    return _text(str(value))


def _row(number: int, values: Sequence[Any]) -> str:
    """One row's XML. The cells carry no reference (Excel places a row's cells one after the other, an empty one
    as <c/>). This is the writer's hot loop: the common cases are inlined, plain string work only."""
    cells = []
    for value in values:
        kind = type(value)
        if kind is str:
            if not value:
                cells.append(_EMPTY)
            elif (_SPECIAL.search(value) is None and "_x" not in value and value.strip() == value
                  and len(value) <= XLSX_CELL_CHARS):
                cells.append(f"<c t=\"inlineStr\"><is><t>{value}</t></is></c>")
            else:
                cells.append(_text(value))
        elif kind is int:
            cells.append(f"<c><v>{value}</v></c>")
        elif value is None:
            cells.append(_EMPTY)
        elif kind is datetime:
            cells.append(_moment(value))
        else:
            cells.append(_other(value))
    return f'<row r="{number}">{"".join(cells)}</row>'


def _width(value: Any) -> int:
    if isinstance(value, datetime):
        return _DATETIME_WIDTH
    return len(value.isoformat() if isinstance(value, date) else str(value))


def _cols(headers: Sequence[str], sample: Sequence[Sequence[Any]]) -> str:
    """Column widths from the header and the first chunk of rows (the sheet's XML gives them before its rows). A
    column empty in the whole chunk gets room for a date-time, should one come later (Excel shows ### otherwise)."""
    widths = [len(h) for h in headers]
    seen = [False] * len(widths)
    for row in sample:
        for n, value in enumerate(row[:len(widths)]):
            if value is not None and value != "":
                widths[n] = max(widths[n], _width(value))
                seen[n] = True
    cols = "".join(f'<col min="{n}" max="{n}" width="{min(w if s else max(w, _DATETIME_WIDTH), 60) + 2}" '
                   'customWidth="1"/>' for n, (w, s) in enumerate(zip(widths, seen, strict=True), start=1))
    return f"<cols>{cols}</cols>" if cols else ""


def _sheet_names(sheet: str) -> Iterator[str]:
    """The sheet's name as Excel takes it (≤ 31 characters, none of []:*?/\\), then "name (2)", "name (3)"…"""
    base = _SHEET_NAME_FORBIDDEN.sub("_", sheet).strip().strip("'") or "Report"
    yield base[:31].rstrip()
    n = 2
    while True:
        suffix = f" ({n})"
        yield base[:31 - len(suffix)].rstrip() + suffix
        n += 1


def _package(names: Sequence[str]) -> dict[str, str]:
    """The parts that name the sheets: content types, relationships, the workbook; and the styles."""
    sheets = range(1, len(names) + 1)
    overrides = "".join(f'<Override PartName="/xl/worksheets/sheet{n}.xml" ContentType="application/'
                        'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>' for n in sheets)
    return {
        "[Content_Types].xml": (
            _XML_DECL + '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
            '<Override PartName="/xl/styles.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
            f"{overrides}</Types>"),
        "_rels/.rels": (
            _XML_DECL + '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            f'<Relationship Id="rId1" Type="{_REL_NS}/officeDocument" Target="xl/workbook.xml"/></Relationships>'),
        "xl/workbook.xml": (
            _XML_DECL + f'<workbook xmlns="{_MAIN_NS}" xmlns:r="{_REL_NS}"><sheets>'
            + "".join(f'<sheet name="{_escape(name)}" sheetId="{n}" r:id="rId{n}"/>'
                      for n, name in zip(sheets, names, strict=True))
            + "</sheets></workbook>"),
        "xl/_rels/workbook.xml.rels": (
            _XML_DECL + '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            + "".join(f'<Relationship Id="rId{n}" Type="{_REL_NS}/worksheet" Target="worksheets/sheet{n}.xml"/>'
                      for n in sheets)
            + f'<Relationship Id="rId{len(names) + 1}" Type="{_REL_NS}/styles" Target="styles.xml"/>'
            "</Relationships>"),
        "xl/styles.xml": _STYLES,
    }


def xlsx_chunks(headers: Sequence[Any], rows: Iterable[Sequence[Any]], sheet: str = "Report") -> Iterator[bytes]:
    """The workbook as byte chunks, produced while the rows arrive: every ``XLSX_FLUSH_ROWS`` rows their XML goes
    through deflate into the zip stream and what came out is sent. Nothing is kept but the chunk at hand (and the
    zip's directory of a few entries); past Excel's 1,048,576 rows a sheet continues on the next one. An empty
    chunk first: the server sends the response's headers on it, so the download starts before the first rows (the
    sheet's column widths need them) are read."""
    yield b""
    sink = _Sink()
    book = zipfile.ZipFile(sink, "w", zipfile.ZIP_DEFLATED, compresslevel=XLSX_COMPRESSLEVEL)
    names = _sheet_names(sheet)
    titles = [str(h) for h in headers]
    header = f'<row r="1">{"".join(_text(t, _HEADER_STYLE) for t in titles)}</row>'
    rows = iter(rows)
    chunk = list(islice(rows, XLSX_FLUSH_ROWS))
    start = (f'<worksheet xmlns="{_MAIN_NS}"><sheetViews><sheetView workbookViewId="0">'
             '<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/></sheetView></sheetViews>'
             f"{_cols(titles, chunk)}<sheetData>")
    sheets: list[str] = []
    part = None
    number = size = 0  # the open sheet's last row number and bytes
    while True:
        if part is None or number >= XLSX_SHEET_ROWS or size >= XLSX_SHEET_BYTES:
            if part is not None:
                part.write(b"</sheetData></worksheet>")
                part.close()
            sheets.append(next(names))
            part = book.open(f"xl/worksheets/sheet{len(sheets)}.xml", "w")
            head = (_XML_DECL + start + header).encode("utf-8")
            part.write(head)
            number, size = 1, len(head)
        room = XLSX_SHEET_ROWS - number
        if len(chunk) > room:  # the sheet is full after the first rows of this chunk
            chunk, rest = chunk[:room], chunk[room:]
        else:
            rest = []
        data = "".join([_row(n, row) for n, row in enumerate(chunk, start=number + 1)]).encode("utf-8")
        number += len(chunk)
        part.write(data)
        size += len(data)
        if out := sink.take():
            yield out
        chunk = rest or list(islice(rows, XLSX_FLUSH_ROWS))
        if not chunk:
            break
    part.write(b"</sheetData></worksheet>")
    part.close()
    for name, text in _package(sheets).items():
        book.writestr(name, text)
    book.close()
    yield sink.take()


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
    return streamed(xlsx_chunks(headers, rows, sheet), filename, XLSX_MIMETYPE)
