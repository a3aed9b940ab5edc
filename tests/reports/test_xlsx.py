"""The XLSX writer (portal/reports/export.py): a SpreadsheetML package streamed while the rows arrive. Read back
with zipfile and ElementTree (openpyxl is not a requirement): the parts, the header, Vietnamese text, numbers as
numbers, moments as date-times of Vietnam, empty cells in place, text with XML specials and forbidden characters,
the zip entries Excel takes, the first bytes before the last row, flat memory, and the sheets past Excel's rows."""
from __future__ import annotations

import io
import tracemalloc
import zipfile
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from xml.etree import ElementTree

import pytest

from portal.core.time import VIETNAM
from portal.reports import export
from portal.reports.export import xlsx_chunks

NS = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main"}
EPOCH = datetime(1899, 12, 30)
HEADERS = ["Mã đơn", "Khu vực", "Tổng tiền", "Tạo lúc (giờ Việt Nam)", "Ngày", "Lý do hủy / từ chối", "Cờ"]


def _workbook(chunks) -> zipfile.ZipFile:
    book = zipfile.ZipFile(io.BytesIO(b"".join(chunks)))
    assert book.testzip() is None  # every entry's CRC and sizes check out
    return book


def _cells(book: zipfile.ZipFile, sheet: int = 1) -> list[list[tuple[str | None, object]]]:
    """Each row as (style, value) per cell: text for inline strings, float for numbers, bool for t="b"."""
    root = ElementTree.fromstring(book.read(f"xl/worksheets/sheet{sheet}.xml"))
    rows = []
    for row in root.iterfind("m:sheetData/m:row", NS):
        cells = []
        for c in row.iterfind("m:c", NS):
            kind, text = c.get("t"), c.find("m:is/m:t", NS)
            v = c.find("m:v", NS)
            if kind == "inlineStr":
                value: object = text.text or ""
            elif kind == "b":
                value = v.text == "1"
            else:
                value = None if v is None else float(v.text)
            cells.append((c.get("s"), value))
        rows.append(cells)
    return rows


def _moment(serial: float) -> datetime:
    return EPOCH + timedelta(days=serial)


def test_cells_header_text_numbers_moments_and_empties():
    created = datetime(2026, 12, 3, 0, 59, 20)  # naive UTC: 07:59:20 in Vietnam
    rows = [("ĐH-0001", 1, 545_000, created, date(2026, 12, 3), "Khách từ chối nhận hàng", True),
            ("ĐH-0002", 9, Decimal("1045000.50"), None, None, "", False),
            ("ĐH-0003", None, 2.5, datetime(1970, 1, 1), None, None, None)]
    book = _workbook(xlsx_chunks(HEADERS, rows, "shipping"))
    header, first, second, third = _cells(book)
    assert header == [("1", h) for h in HEADERS]  # bold (cellXfs 1) and the Vietnamese intact
    assert first[:3] == [(None, "ĐH-0001"), (None, 1.0), (None, 545_000.0)]
    style, serial = first[3]
    assert style == "2" and _moment(serial).replace(microsecond=0) == datetime(2026, 12, 3, 7, 59, 20)
    assert first[4] == ("3", float((date(2026, 12, 3) - EPOCH.date()).days))
    assert first[5:] == [(None, "Khách từ chối nhận hàng"), (None, True)]
    # None and "" are empty cells that keep the next cells in their columns
    assert second == [(None, "ĐH-0002"), (None, 9.0), (None, 1045000.5), (None, None), (None, None), (None, None),
                      (None, False)]
    assert len(third) == len(HEADERS) and third[1] == (None, None) and third[2] == (None, 2.5)
    # before 1975 Vietnam was not always UTC+7: the time zone decides (1970-01-01 00:00 UTC was 08:00 there)
    local = datetime(1970, 1, 1, tzinfo=UTC).astimezone(VIETNAM).replace(tzinfo=None)
    assert _moment(third[3][1]).replace(microsecond=0) == local
    styles = book.read("xl/styles.xml").decode()
    assert 'formatCode="yyyy-mm-dd hh:mm:ss"' in styles and "<b/>" in styles
    sheet = book.read("xl/worksheets/sheet1.xml").decode()
    assert 'state="frozen"' in sheet and 'topLeftCell="A2"' in sheet  # the header row stays in view


def test_text_is_escaped_and_forbidden_characters_dropped():
    nasty = 'A & B <b>"x"</b> \'q\'\x00\x07\x1b\x1f\ufffe\ud800 tab\there\nline'
    rows = [(nasty, "  lề  ", "_x0041_", "=1+1")]
    book = _workbook(xlsx_chunks(["Ghi chú", "Khoảng trắng", "Mã", "Công thức"], rows))
    (_, (text, blanks, code, formula)) = _cells(book)
    assert text[1] == 'A & B <b>"x"</b> \'q\' tab\there\nline'  # the XML 1.0 forbidden characters gone
    assert blanks[1] == "  lề  "  # xml:space="preserve": outer blanks kept
    raw = book.read("xl/worksheets/sheet1.xml").decode()
    # stored as _x005F_x0041_, which Excel (and LibreOffice) read back as _x0041_; a bare _x0041_ would read "A"
    assert code[1] == "_x005F_x0041_" and "<t>_x0041_" not in raw
    assert formula[1] == "=1+1" and "<f>" not in raw  # text stays text, never a formula


def test_package_parts_and_zip_entries_excel_takes():
    book = _workbook(xlsx_chunks(["Tên"], [("a",)], 'Giao vận: [tháng 12] / "bắc" * tên rất dài quá'))
    assert set(book.namelist()) == {"[Content_Types].xml", "_rels/.rels", "xl/workbook.xml",
                                    "xl/_rels/workbook.xml.rels", "xl/styles.xml", "xl/worksheets/sheet1.xml"}
    for name in book.namelist():
        ElementTree.fromstring(book.read(name))  # every part is well-formed XML
    sheets = ElementTree.fromstring(book.read("xl/workbook.xml")).findall("m:sheets/m:sheet", NS)
    name = sheets[0].get("name")
    assert len(name) <= 31 and not set(name) & set("[]:*?/\\") and name.startswith("Giao vận_ _tháng 12_ _ ")
    assert '"' in name  # escaped in the attribute, read back whole
    types = book.read("[Content_Types].xml").decode()
    assert 'PartName="/xl/worksheets/sheet1.xml"' in types and 'PartName="/xl/workbook.xml"' in types
    for info in book.infolist():
        # a streamed entry (sizes in a data descriptor) with no ZIP64 extra field in its local header: the
        # ZIP64 local header of zipfile's force_zip64 is what Excel is reported to refuse
        assert info.compress_type == zipfile.ZIP_DEFLATED and info.flag_bits & 0x08
        assert info.extract_version == 20 and info.extra == b""


def test_empty_export_is_a_workbook_with_its_header():
    book = _workbook(xlsx_chunks(["Mã đơn", "Khu vực"], iter(())))
    assert _cells(book) == [[("1", "Mã đơn"), ("1", "Khu vực")]]


def test_first_bytes_leave_before_the_rows_are_all_read():
    total, read = 12_000, 0

    def rows():
        nonlocal read
        for n in range(total):
            read += 1
            yield (f"ĐH-{n:06d}", n % 9 + 1, n * 1000, datetime(2026, 1, 1) + timedelta(minutes=n), "Hà Nội")

    chunks = xlsx_chunks(HEADERS[:4] + ["Tỉnh"], rows())
    assert next(chunks) == b"" and read == 0  # the response's headers go out before any row is read
    first = next(chunks)
    assert first.startswith(b"PK\x03\x04") and read <= export.XLSX_FLUSH_ROWS
    received, seen_at = [first], [read]
    for chunk in chunks:
        received.append(chunk)
        seen_at.append(read)
    assert read == total
    # the chunks arrive all along the rows, as deflate lets them out: some before half the rows were read, and most
    # of the bytes before the last one was
    assert len(received) > 5 and any(at <= total // 2 for at in seen_at[1:])
    sizes = [len(c) for c in received]
    assert sum(s for s, at in zip(sizes, seen_at, strict=True) if at < total) > sum(sizes) * 0.8
    rows_back = _cells(_workbook(received))
    assert len(rows_back) == total + 1 and rows_back[-1][0] == (None, f"ĐH-{total - 1:06d}")


def test_memory_stays_flat_whatever_the_row_count():
    def rows(count):
        return ((f"ĐH-{n:06d}", "Khách từ chối nhận hàng", n, datetime(2026, 1, 1) + timedelta(seconds=n))
                for n in range(count))

    def peak(count: int) -> tuple[int, int]:
        tracemalloc.start()
        try:
            size = sum(len(c) for c in xlsx_chunks(["a", "b", "c", "d"], rows(count)))
            return tracemalloc.get_traced_memory()[1], size
        finally:
            tracemalloc.stop()

    small, _ = peak(2_000)
    large, size = peak(20_000)
    assert size > 200_000  # the workbook itself grows with the rows …
    assert large < small + 512 * 1024 and large < 3 * 2**20  # … what the writer holds does not


def test_rows_past_a_sheets_capacity_go_on_the_next_sheets(monkeypatch):
    monkeypatch.setattr(export, "XLSX_SHEET_ROWS", 5)  # the header and 4 rows a sheet
    monkeypatch.setattr(export, "XLSX_FLUSH_ROWS", 3)  # chunks that straddle the sheets' ends
    book = _workbook(xlsx_chunks(["Số"], [(n,) for n in range(10)], "msale"))
    names = [s.get("name") for s in
             ElementTree.fromstring(book.read("xl/workbook.xml")).findall("m:sheets/m:sheet", NS)]
    assert names == ["msale", "msale (2)", "msale (3)"]
    values = []
    for n in (1, 2, 3):
        header, *rows = _cells(book, n)
        assert header == [("1", "Số")]
        values += [row[0][1] for row in rows]
    assert values == [float(n) for n in range(10)]
    rels = book.read("xl/_rels/workbook.xml.rels").decode()
    assert all(f'Target="worksheets/sheet{n}.xml"' in rels for n in (1, 2, 3))


@pytest.mark.parametrize("value", [float("nan"), float("inf"), Decimal("NaN")])
def test_numbers_excel_cannot_hold_are_written_as_text(value):
    (_, (cell,)) = _cells(_workbook(xlsx_chunks(["x"], [(value,)])))
    assert cell == (None, str(value))
