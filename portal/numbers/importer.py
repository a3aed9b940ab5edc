"""Reading a CSV of numbers into the inventory: every row is either fully valid and inserted, or reported.

The file needs a header row with a ``number`` column; ``price`` (VND), ``region``
(1–9) and ``status`` (available/locked) are optional. The delimiter (``;`` or
``,``) is taken from the header. Rows are checked one by one and reported with
their line number in the file; numbers already in the inventory are skipped, not
errors. Nothing here commits: the web import's job (portal.numbers.imports) and the
CLI commit after each batch.
"""
from __future__ import annotations

import codecs
import csv
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from itertools import chain, islice
from typing import BinaryIO

from flask_babel import gettext as _
from sqlalchemy import select

from portal.core.digits import normalize
from portal.core.errors import Invalid
from portal.extensions import db
from portal.numbers.formatting import OPERATOR_PREFIXES, normalize_number
from portal.numbers.models import NumberStatus, PhoneNumber
from portal.numbers.services import MAX_PRICE, NewNumber, add_numbers

MAX_BYTES = 5 * 1024 * 1024  # web upload
MAX_ROWS = 200_000  # web upload; the CLI reads any number of rows
MAX_SHOWN = 200  # errors (and skipped rows) kept for display
SAMPLE_SIZE = 20  # good rows shown in the preview
BATCH = 5_000
MAX_FIELD = 131_072  # the csv module's default field limit; longer fields make the row unreadable

# Column names a header may use (lower-cased, stripped); the first one is the canonical name.
COLUMNS: dict[str, tuple[str, ...]] = {
    "number": ("number", "so", "số", "so_thue_bao", "số thuê bao", "so thue bao", "msisdn"),
    "price": ("price", "gia", "giá", "gia_ban", "giá bán"),
    "region": ("region", "khu_vuc", "khu vực", "khu vuc", "ctkv"),
    "status": ("status", "trang_thai", "trạng thái", "trang thai"),
}
_HEADER_NAMES = {alias: canonical for canonical, aliases in COLUMNS.items() for alias in aliases}
_STATUSES = {
    "available": NumberStatus.AVAILABLE, "sẵn sàng": NumberStatus.AVAILABLE, "san sang": NumberStatus.AVAILABLE,
    "locked": NumberStatus.LOCKED, "khóa": NumberStatus.LOCKED, "khoá": NumberStatus.LOCKED,
    "khoa": NumberStatus.LOCKED,
}
_PRICE = re.compile(r"[0-9]{1,3}(?:[.,][0-9]{3})+|[0-9]{1,10}")
_PRICE_SUFFIX = re.compile(r"\s*(?:₫|đ|vnđ|vnd)\Z", re.IGNORECASE)
_REGION = re.compile(r"(?:ctkv|kv)?\s*0*([1-9])", re.IGNORECASE)
_SPACES = re.compile(r"[\s\u00a0]+")
_LOOKS_LIKE_NUMBER = re.compile(r"\+?[0-9][0-9\s.\-()\u00a0]*")


@dataclass(frozen=True)
class RowIssue:
    """A row that was not imported: its line in the file, the number as typed (shortened), and why."""

    line: int
    value: str
    message: str


@dataclass(frozen=True)
class ParsedRow:
    line: int
    new: NewNumber | None = None
    issue: RowIssue | None = None


@dataclass
class ImportReport:
    """Counts of one file, the first errors and skipped rows, and a sample of the good rows."""

    rows: int = 0  # data rows read (blank lines are not counted)
    good: int = 0  # valid rows of numbers not yet in the inventory (to import, or imported)
    skipped: int = 0  # valid rows of numbers already in the inventory ("đã có trong kho")
    error_count: int = 0
    errors: list[RowIssue] = field(default_factory=list)
    skipped_rows: list[RowIssue] = field(default_factory=list)
    sample: list[tuple[int, NewNumber]] = field(default_factory=list)  # (line, row)
    added: int = 0  # rows inserted (after import)

    def error(self, issue: RowIssue) -> None:
        self.error_count += 1
        if len(self.errors) < MAX_SHOWN:
            self.errors.append(issue)

    def skip(self, issue: RowIssue) -> None:
        self.skipped += 1
        if len(self.skipped_rows) < MAX_SHOWN:
            self.skipped_rows.append(issue)

    def counts(self) -> dict[str, int]:
        return {"rows": self.rows, "added": self.added, "good": self.good, "skipped": self.skipped,
                "errors": self.error_count}


# --- Reading the bytes ------------------------------------------------------------------------------------------

def _not_text() -> Invalid:
    return Invalid("import_not_text", _("Tệp không phải tệp CSV dạng văn bản. Vui lòng chọn tệp .csv."))


def _not_utf8(line: int) -> Invalid:
    return Invalid("import_not_utf8", _("Tệp không ở mã UTF-8 (lỗi ở dòng %(line)d). Trong Excel, hãy lưu lại "
                                        "với kiểu \"CSV UTF-8\".", line=line))


def decode_upload(raw: bytes) -> str:
    """The text of an uploaded file (UTF-8, with or without BOM); a binary or non-UTF-8 file is refused."""
    if b"\x00" in raw:
        raise _not_text()
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise _not_utf8(raw.count(b"\n", 0, exc.start) + 1) from None


def check_file(stream: BinaryIO, chunk_size: int = 1 << 20) -> None:
    """Read a whole file once (CLI): refuse it before anything is imported if it is binary or not UTF-8."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    lines = 1
    while chunk := stream.read(chunk_size):
        if b"\x00" in chunk:
            raise _not_text()
        try:
            decoder.decode(chunk)
        except UnicodeDecodeError as exc:
            raise _not_utf8(lines + chunk.count(b"\n", 0, max(exc.start, 0))) from None
        lines += chunk.count(b"\n")
    try:
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        raise _not_utf8(lines) from None


# --- Checking the rows ------------------------------------------------------------------------------------------

def _shorten(value: str, limit: int = 24) -> str:
    value = _SPACES.sub(" ", value).strip()
    return value if len(value) <= limit else value[:limit] + "…"


def parse_price(text: str) -> int | None:
    """ "1.500.000", "1,500,000", "1500000 ₫" → 1500000; blank → None; anything else raises ValueError."""
    compact = _PRICE_SUFFIX.sub("", _SPACES.sub("", normalize(text or ""))) if len(text or "") <= 40 else "x"
    if not compact:
        return None
    if not _PRICE.fullmatch(compact):
        raise ValueError(text)
    price = int(compact.replace(".", "").replace(",", ""))
    if price > MAX_PRICE:
        raise ValueError(text)
    return price


def _number_problem(text: str) -> str:
    """Why a cell is not one of our numbers: a well-formed number on another prefix, or not a number at all."""
    if not text:
        return _("Thiếu số điện thoại.")
    text = normalize(text) if len(text) <= 40 else text
    if len(text) <= 40 and _LOOKS_LIKE_NUMBER.fullmatch(text):
        digits = re.sub(r"[^0-9]", "", text)
        if digits.startswith("84") and len(digits) in (11, 12):
            digits = "0" + digits[2:].lstrip("0")
        if len(digits) == 9:
            digits = "0" + digits
        if len(digits) == 10 and digits.startswith("0"):
            return _("Số %(prefix)s… không thuộc đầu số của nhà mạng (%(prefixes)s).",
                     prefix=digits[:3], prefixes=", ".join(OPERATOR_PREFIXES))
    return _("Số điện thoại không hợp lệ (cần 10 chữ số, ví dụ 0903123456).")


def _header(cells: list[str]) -> list[str]:
    """Canonical column names of the header row; refuses a file without a ``number`` column."""
    names = [_HEADER_NAMES.get(_SPACES.sub(" ", c.replace("\ufeff", "")).strip().lower(), "") for c in cells]
    unknown = [_shorten(c, 30) for c, n in zip(cells, names, strict=True) if not n and c.strip()]
    if "number" not in names:
        raise Invalid("import_no_header", _("Dòng đầu tiên phải là dòng tiêu đề có cột \"number\" (số điện thoại); "
                                           "các cột khác được phép: price, region, status."))
    if unknown:
        raise Invalid("import_unknown_column", _("Cột không được hỗ trợ: %(cols)s. Các cột được phép: number, price, "
                                                 "region, status.", cols=", ".join(unknown)))
    repeated = sorted({n for n in names if n and names.count(n) > 1})
    if repeated:
        raise Invalid("import_repeated_column", _("Cột %(cols)s xuất hiện hai lần.", cols=", ".join(repeated)))
    return names


def _delimiter(header_line: str) -> str:
    return ";" if header_line.count(";") > header_line.count(",") else ","


class RowChecker:
    """Checks data rows one by one; remembers the valid numbers seen, to report duplicates within the file."""

    def __init__(self, columns: list[str], default_region: int | None = None,
                 allowed_regions: frozenset[int] | None = None):
        self.columns = columns
        self.default_region = default_region
        self.allowed_regions = allowed_regions
        self.seen: dict[int, int] = {}  # int(number) → line of its first valid row (ints: a million fit in memory)

    def check(self, line: int, cells: list[str]) -> ParsedRow:
        values = dict(zip(self.columns, cells, strict=False))
        raw_number = (values.get("number") or "").strip()

        def bad(message: str) -> ParsedRow:
            return ParsedRow(line, issue=RowIssue(line, _shorten(raw_number), message))

        if len(cells) > len(self.columns):
            return bad(_("Dòng có %(n)d cột, nhiều hơn dòng tiêu đề (%(m)d cột).", n=len(cells), m=len(self.columns)))
        if any("\ufffd" in cell for cell in cells):
            return bad(_("Dòng có ký tự không đọc được (tệp không ở mã UTF-8?)."))
        number = normalize_number(raw_number)
        if number is None:
            return bad(_number_problem(raw_number))
        try:
            price = parse_price(values.get("price", ""))
        except ValueError:
            return bad(_("Giá \"%(v)s\" không hợp lệ: nhập số tiền VND, ví dụ 1500000 hoặc 1.500.000.",
                         v=_shorten(values.get("price", ""), 20)))
        region = self.default_region
        region_text = normalize(values.get("region") or "").strip()
        if region_text:
            match = _REGION.fullmatch(region_text) if len(region_text) <= 10 else None
            if not match:
                return bad(_("Khu vực \"%(v)s\" không hợp lệ: nhập số từ 1 đến 9.", v=_shorten(region_text, 20)))
            region = int(match.group(1))
        if self.allowed_regions is not None and region not in self.allowed_regions:
            return bad(_("Bạn chỉ nhập được số thuộc khu vực của mình."))
        status_text = _SPACES.sub(" ", values.get("status") or "").strip().lower()
        status = _STATUSES.get(status_text, NumberStatus.AVAILABLE if not status_text else None)
        if status is None:
            return bad(_("Trạng thái \"%(v)s\" không hợp lệ: chỉ nhập được available (sẵn sàng) hoặc locked (khóa).",
                         v=_shorten(status_text, 20)))
        first = self.seen.setdefault(int(number), line)
        if first != line:
            return bad(_("Trùng với số ở dòng %(line)d của tệp.", line=first))
        return ParsedRow(line, new=NewNumber(number, price=price, region_id=region, status=status))


def parse_rows(lines: Iterable[str], *, max_rows: int | None = None, default_region: int | None = None,
               allowed_regions: frozenset[int] | None = None) -> Iterator[ParsedRow]:
    """Each data row of the CSV, checked; file-level problems (header, too many rows) raise Invalid at once."""
    lines = iter(lines)
    first, offset = "", -1  # offset: blank lines before the header, which csv.reader does not see
    for first in lines:  # the header: the first line that is not blank
        offset += 1
        if first.strip():
            break
    if not first.strip():
        raise Invalid("import_empty", _("Tệp trống: cần dòng tiêu đề và ít nhất một dòng số."))
    header_line = first.removeprefix("\ufeff")
    delimiter = _delimiter(header_line)
    reader = csv.reader(chain([header_line], lines), delimiter=delimiter)
    try:
        columns = _header(next(reader))
    except csv.Error:
        raise Invalid("import_no_header", _("Không đọc được dòng tiêu đề của tệp.")) from None
    checker = RowChecker(columns, default_region, allowed_regions)
    rows = 0
    while True:
        line = reader.line_num + offset + 1  # where the row starts (a quoted field may span lines)
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error:
            rows += 1
            yield ParsedRow(line, issue=RowIssue(
                line, "", _("Dòng không đọc được (dấu ngoặc kép không khớp hoặc ô quá dài).")))
            continue
        if not any(c.strip() for c in cells):
            continue
        rows += 1
        if max_rows is not None and rows > max_rows:
            raise Invalid("import_too_many_rows", _("Tệp có hơn %(n)s dòng. Hãy chia nhỏ tệp, hoặc dùng lệnh "
                                                    "\"flask numbers import\" cho tệp lớn.", n=f"{max_rows:,}"
                                                    .replace(",", ".")))
        yield checker.check(line, cells)


def text_lines(text: str) -> list[str]:
    """Lines for csv.reader, line endings kept (a quoted field may hold one)."""
    return text.splitlines(keepends=True)


def binary_lines(stream: BinaryIO) -> Iterator[str]:
    """Lines of a UTF-8 file, decoded one by one (CLI: streamed, never the whole file in memory)."""
    first = True
    for raw in stream:
        if first:
            raw = raw.removeprefix(codecs.BOM_UTF8)
            first = False
        yield raw.decode("utf-8", errors="replace")


# --- Preview and import -----------------------------------------------------------------------------------------

def _existing(numbers: Iterable[str]) -> set[str]:
    wanted = list(numbers)
    if not wanted:
        return set()
    return set(db.session.scalars(select(PhoneNumber.number).where(PhoneNumber.number.in_(wanted))))


def _batched(rows: Iterable[ParsedRow], size: int) -> Iterator[list[ParsedRow]]:
    rows = iter(rows)
    while batch := list(islice(rows, size)):
        yield batch


def _sort_batch(report: ImportReport, batch: list[ParsedRow]) -> list[NewNumber]:
    """Count one batch's errors and numbers already in the inventory; return the new numbers."""
    for row in batch:
        report.rows += 1
        if row.issue:
            report.error(row.issue)
    valid = [row for row in batch if row.new]
    existing: set[str] = set()
    for chunk in _batched(valid, BATCH):  # bound the IN list (PostgreSQL takes at most 65,535 parameters)
        existing |= _existing(row.new.number for row in chunk)
    fresh = []
    for row in valid:
        if row.new.number in existing:
            report.skip(RowIssue(row.line, row.new.number, _("Số đã có trong kho (bỏ qua).")))
        else:
            fresh.append(row.new)
            if len(report.sample) < SAMPLE_SIZE:
                report.sample.append((row.line, row.new))
    report.good += len(fresh)
    return fresh


def preview(rows: Iterable[ParsedRow]) -> ImportReport:
    """What importing these rows would do, without changing anything."""
    report = ImportReport()
    for batch in _batched(rows, BATCH):
        _sort_batch(report, batch)
    return report


def import_rows(rows: Iterable[ParsedRow], *, batch_size: int = BATCH,
                after_batch: Callable[[ImportReport], None] | None = None,
                report: ImportReport | None = None) -> ImportReport:
    """Insert the valid rows that are new, batch by batch; ``after_batch`` may commit (CLI, web job) and report
    progress; ``report``: the counts so far of an import that resumes."""
    report = report or ImportReport()
    for batch in _batched(rows, batch_size):
        fresh = _sort_batch(report, batch)
        added = add_numbers(fresh) if fresh else 0
        # A number inserted by someone else since the check above: skipped, as if it had been there.
        report.skipped += len(fresh) - added
        report.good -= len(fresh) - added
        report.added += added
        if after_batch:
            after_batch(report)
    return report
