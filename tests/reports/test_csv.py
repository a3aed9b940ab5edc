"""The CSV writer (portal/reports/export.py): Excel's BOM and the header, then each value as the export shows it —
moments (naive UTC) in Vietnam time to the second, whatever the day, hour or microseconds."""
from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from portal.core.time import VIETNAM
from portal.reports.export import BOM, csv_chunks


def _read(chunks) -> list[list[str]]:
    text = b"".join(chunks).decode("utf-8")
    assert text.startswith(BOM)
    return list(csv.reader(io.StringIO(text[1:])))


def test_values_as_shown():
    row = (7, "Hà Nội, \"CTKV1\"", None, "", 1.5, Decimal("2.50"), True, date(2026, 1, 2),
           datetime(2026, 1, 2, 23, 59, 59, 999_999), datetime(1970, 1, 1, 0, 0, 1))
    header, shown = _read(csv_chunks(["Mã", "Khu vực"], [row]))
    assert header == ["Mã", "Khu vực"]
    # 1970: before Vietnam's fixed UTC+7 (since June 1975), read through the time zone (UTC+8 then)
    assert shown == ["7", "Hà Nội, \"CTKV1\"", "", "", "1.5", "2.50", "True", "2026-01-02", "2026-01-03 06:59:59",
                     "1970-01-01 08:00:01"]


def test_moments_agree_with_the_time_zone_every_few_hours_of_a_year():
    moments = [datetime(2025, 12, 31, 16, 59, 59) + timedelta(seconds=7_919 * n) for n in range(4_000)]
    shown = [line[0] for line in _read(csv_chunks(["Lúc"], [(m,) for m in moments]))[1:]]
    assert shown == [m.replace(tzinfo=UTC).astimezone(VIETNAM).strftime("%Y-%m-%d %H:%M:%S") for m in moments]


def _rows_read_after(chunks, when: list[int]):
    """Rows that note (in ``when``) how many chunks had come out when the first row was asked for."""
    def rows():
        when.append(len(out))
        yield ("DH1",)

    out: list[bytes] = []
    for chunk in chunks(rows()):
        out.append(chunk)
    return out


def test_the_download_starts_before_the_first_row_is_read():
    """A report that reads long before its first row (the funnel's grouped pass over a long range: seconds) still
    answers at once: the CSV's BOM and header line, the XLSX's empty first chunk (the server sends the headers on
    it), come out before any row is asked for."""
    from portal.reports.export import xlsx_chunks

    when: list[int] = []
    out = _rows_read_after(lambda rows: csv_chunks(["Mã đơn"], rows), when)
    assert when == [1] and out[0] == (BOM + "Mã đơn\r\n").encode("utf-8")
    when.clear()
    out = _rows_read_after(lambda rows: xlsx_chunks(["Mã đơn"], rows), when)
    assert when == [1] and out[0] == b"" and out[1].startswith(b"PK")
