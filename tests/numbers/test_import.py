"""CSV import: per-row errors with line numbers, good rows in, bad rows out, never half a row; the two-step web flow."""
from __future__ import annotations

import io
import json
import os
import re
import time

import pytest
from rq import Queue, SimpleWorker
from sqlalchemy import func, select

from portal.core import redis as portal_redis
from portal.core.errors import Invalid
from portal.core.models import AuditEntry
from portal.core.roles import Role
from portal.numbers import importer, uploads
from portal.numbers.models import NumberStatus, PhoneNumber
from portal.numbers.services import NewNumber, add_numbers
from tests.conftest import page_csrf

MIXED = (
    "number,price,region,status\n"        # line 1
    "0903123456,,1,available\n"           # 2 good: price from the class tier
    "0912345678,,,\n"                     # 3 not an operator prefix (091)
    "abc,,,\n"                            # 4 not a number
    "\n"                                  # 5 blank: ignored
    "0938686868,\"12,000,000\",2,\n"      # 6 good: quoted price with commas
    "0903123456,,3,\n"                    # 7 duplicate of line 2
    "0779797979,1.2.3,,\n"                # 8 bad price
    "0779797970,,12,\n"                   # 9 bad region
    "0779797971,,,sold\n"                 # 10 bad status
    "0779797972,,,,extra\n"               # 11 too many columns
    "0705555555,,,\n"                     # 12 already in the inventory: skipped, not an error
    "+84 89 111 2222,500000,9,locked\n"   # 13 good: +84 and spaces, locked
)


def rows_of(text: str, **kwargs) -> list[importer.ParsedRow]:
    return list(importer.parse_rows(importer.text_lines(text), **kwargs))


def count_numbers(db) -> int:
    return db.session.scalar(select(func.count()).select_from(PhoneNumber))


def audits(db, action: str) -> list[AuditEntry]:
    return list(db.session.scalars(select(AuditEntry).where(AuditEntry.action == action)))


@pytest.fixture
def existing(db):
    add_numbers([NewNumber("0705555555", price=777_000)])
    db.session.commit()


def upload(client, content: bytes | str, filename: str = "kho-so.csv"):
    if isinstance(content, str):
        content = content.encode()
    token = page_csrf(client, "/numbers/import")
    return client.post("/numbers/import", data={"csrf_token": token, "file": (io.BytesIO(content), filename)},
                       content_type="multipart/form-data")


def token_in(html: str) -> str:
    match = re.search(r'name="token" value="([0-9a-f]{32})"', html)
    assert match, "the preview offers no confirmation"
    return match.group(1)


def work() -> None:
    """Run the queued jobs here and now, as a worker would (the import runs in an RQ job)."""
    connection = portal_redis.connection()
    SimpleWorker([Queue("default", connection=connection)], connection=connection).work(burst=True)


def confirm(client, token: str, run: bool = True):
    response = client.post("/numbers/import/confirm", data={"csrf_token": page_csrf(client, "/numbers/import"),
                                                            "token": token})
    if run:
        work()
    return response


# --- Parsing (no database writes) --------------------------------------------------------------------------------

def test_each_bad_row_is_reported_with_its_line_number_and_a_vietnamese_reason(db):
    errors = {row.line: row.issue.message for row in rows_of(MIXED) if row.issue}
    assert sorted(errors) == [3, 4, 7, 8, 9, 10, 11]
    assert "không thuộc đầu số" in errors[3] and "091" in errors[3]
    assert "không hợp lệ" in errors[4]
    assert "Trùng với số ở dòng 2" in errors[7]
    assert "Giá" in errors[8]
    assert "Khu vực" in errors[9]
    assert "Trạng thái" in errors[10]
    assert "nhiều hơn dòng tiêu đề" in errors[11]


def test_good_rows_are_parsed_whole(db):
    good = {row.line: row.new for row in rows_of(MIXED) if row.new}
    assert good[2] == NewNumber("0903123456", price=None, region_id=1, status=NumberStatus.AVAILABLE)
    assert good[6] == NewNumber("0938686868", price=12_000_000, region_id=2)
    assert good[12] == NewNumber("0705555555")
    assert good[13] == NewNumber("0891112222", price=500_000, region_id=9, status=NumberStatus.LOCKED)


def test_bom_semicolons_and_dotted_prices(db):
    text = importer.decode_upload("\ufeffSố;Giá;Khu vực;Trạng thái\r\n0903 123 888;1.500.000;KV3;khóa\r\n".encode())
    [row] = rows_of(text)
    assert row.line == 2
    assert row.new == NewNumber("0903123888", price=1_500_000, region_id=3, status=NumberStatus.LOCKED)


def test_a_10000_character_field_is_one_bad_row_shown_shortened(db):
    rows = rows_of("number,price\n" + "9" * 10_000 + ",1000\n0903000111,\n")
    assert [r.line for r in rows] == [2, 3]
    assert rows[0].issue and len(rows[0].issue.value) <= 25
    assert rows[1].new == NewNumber("0903000111")


def test_a_field_longer_than_the_csv_limit_is_one_unreadable_row_and_reading_goes_on(db):
    rows = rows_of("number,price\n0903000111," + "9" * 200_000 + "\n0903000112,\n")
    assert rows[0].line == 2 and "Dòng không đọc được" in rows[0].issue.message
    assert rows[1].line == 3 and rows[1].new == NewNumber("0903000112")


def test_a_row_is_reported_at_the_line_it_starts_on_even_when_a_quoted_field_spans_lines(db):
    rows = rows_of('number,price\n"0903\n111222","1\nabc"\n0903000111,abc\n')
    assert rows[0].line == 2 and "Giá" in rows[0].issue.message
    assert rows[1].line == 5 and "Giá" in rows[1].issue.message


@pytest.mark.parametrize("text, code", [
    ("", "import_empty"),
    ("0903123456\n0903123457\n", "import_no_header"),
    ("<!doctype html><html><body><h1>Xin chào</h1></body></html>\n", "import_no_header"),
    ("number,ghi_chu\n0903123456,x\n", "import_unknown_column"),
    ("number,so\n0903123456,0903123457\n", "import_repeated_column"),
])
def test_file_level_problems_refuse_the_whole_file(db, text, code):
    with pytest.raises(Invalid) as exc:
        rows_of(text)
    assert exc.value.code == code


def test_web_row_limit(db):
    with pytest.raises(Invalid) as exc:
        rows_of("number\n0903000001\n0903000002\n0903000003\n", max_rows=2)
    assert exc.value.code == "import_too_many_rows"


@pytest.mark.parametrize("raw, code", [
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "import_not_text"),
    ("number\n0903123456\nSố điện thoại\n".encode("utf-16"), "import_not_text"),
    ("number,region\n0903123456,Khánh Hòa\n".encode("cp1252"), "import_not_utf8"),
])
def test_binary_and_non_utf8_files_are_refused(raw, code):
    with pytest.raises(Invalid) as exc:
        importer.decode_upload(raw)
    assert exc.value.code == code


@pytest.mark.parametrize("text, price", [("1500000", 1_500_000), ("1.500.000", 1_500_000), ("1,500,000", 1_500_000),
                                         ("1 500 000 ₫", 1_500_000), ("0", 0), ("", None)])
def test_prices_people_type(text, price):
    assert importer.parse_price(text) == price


@pytest.mark.parametrize("text", ["1,5", "1.50.000", "-5", "abc", "99999999999", "1e6"])
def test_prices_that_are_refused(text):
    with pytest.raises(ValueError):
        importer.parse_price(text)


# --- The web flow ---------------------------------------------------------------------------------------------------

def test_preview_shows_counts_and_line_numbers_and_changes_nothing(client, login, db, imports_dir, existing):
    login(Role.ADMIN, region=0)
    response = upload(client, MIXED)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    report = importer.preview(importer.parse_rows(importer.text_lines(MIXED)))
    assert (report.rows, report.good, report.skipped, report.error_count) == (11, 3, 1, 7)
    assert '<div class="h4 mb-0 text-success">3</div>' in html  # new numbers to import
    for line in (3, 4, 7, 8, 9, 10, 11):
        assert f'<td class="text-end">{line}</td>' in html
    assert "Trùng với số ở dòng 2" in html
    assert "0705 555 555" in html  # listed as already in the inventory
    assert "Xác nhận nhập" in html
    assert count_numbers(db) == 1
    assert audits(db, "numbers.import") == []


def test_confirm_imports_the_good_rows_skips_existing_and_audits_counts__never_half_a_row(
        client, login, db, imports_dir, existing):
    admin = login(Role.ADMIN, region=0)
    token = token_in(upload(client, MIXED).get_data(as_text=True))
    response = confirm(client, token)
    assert response.status_code == 302
    numbers = {n.number: n for n in db.session.scalars(select(PhoneNumber))}
    assert set(numbers) == {"0903123456", "0938686868", "0891112222", "0705555555"}
    assert numbers["0903123456"].region_id == 1 and not numbers["0903123456"].price_is_custom
    assert numbers["0938686868"].price == 12_000_000 and numbers["0938686868"].price_is_custom
    assert numbers["0891112222"].status == NumberStatus.LOCKED
    assert numbers["0705555555"].price == 777_000  # already there: untouched
    # Bad rows are out entirely, including the valid-looking numbers on them.
    assert not {"0779797979", "0779797970", "0779797971", "0779797972"} & set(numbers)
    [entry] = audits(db, "numbers.import")
    assert entry.actor_id == admin.id
    assert entry.detail == {"source": "web", "file": "kho-so.csv", "rows": 11, "added": 3, "good": 3, "skipped": 1,
                            "errors": 7}
    assert "0903123456" not in json.dumps(entry.detail)  # counts, never the file's content
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Đã nhập 3 số vào kho" in page


def test_uploaded_file_is_kept_under_a_random_name_and_deleted_after_import(client, login, db, imports_dir):
    login(Role.ADMIN, region=0)
    token = token_in(upload(client, "number\n0903123456\n", filename="../../etc/passwd.csv").get_data(as_text=True))
    stored = sorted(p.name for p in imports_dir.iterdir())
    assert stored == [f"{token}.csv", f"{token}.json"]
    assert (imports_dir / f"{token}.csv").read_bytes() == b"number\n0903123456\n"
    assert oct((imports_dir / f"{token}.csv").stat().st_mode & 0o777) == "0o600"
    confirm(client, token)
    assert list(imports_dir.iterdir()) == []
    assert count_numbers(db) == 1


def test_confirming_twice_imports_once(client, login, db, imports_dir):
    login(Role.ADMIN, region=0)
    token = token_in(upload(client, "number,price\n0903123456,\n0903123457,\n").get_data(as_text=True))
    first, second = confirm(client, token), confirm(client, token)
    assert first.status_code == second.status_code == 302
    assert second.headers["Location"].endswith("/numbers/import")
    assert "Không tìm thấy tệp đã tải lên" in client.get(second.headers["Location"]).get_data(as_text=True)
    assert count_numbers(db) == 2
    assert len(audits(db, "numbers.import")) == 1


def test_a_token_from_another_admin_is_refused(app, client, login, db, imports_dir):
    login(Role.ADMIN, region=0)
    token = token_in(upload(client, "number\n0903123456\n").get_data(as_text=True))
    other = app.test_client()
    login(Role.ADMIN, region=0, on=other)
    response = confirm(other, token)
    assert response.status_code == 302
    assert "Không tìm thấy tệp đã tải lên" in other.get(response.headers["Location"]).get_data(as_text=True)
    assert count_numbers(db) == 0
    assert len(audits(db, "numbers.import_refused")) == 1
    # Discarding someone else's upload does nothing either; the owner can still import it.
    other.post("/numbers/import/discard", data={"csrf_token": page_csrf(other, "/numbers/import"), "token": token})
    assert confirm(client, token).status_code == 302
    assert count_numbers(db) == 1


def test_an_upload_older_than_an_hour_is_gone(client, login, db, imports_dir):
    login(Role.ADMIN, region=0)
    token = token_in(upload(client, "number\n0903123456\n").get_data(as_text=True))
    old = time.time() - uploads.UPLOAD_TTL - 5
    for path in imports_dir.iterdir():
        os.utime(path, (old, old))
    confirm(client, token)
    assert count_numbers(db) == 0
    assert list(imports_dir.iterdir()) == []


def test_discard_deletes_the_upload_and_changes_nothing(client, login, db, imports_dir):
    login(Role.ADMIN, region=0)
    token = token_in(upload(client, "number\n0903123456\n").get_data(as_text=True))
    response = client.post("/numbers/import/discard", data={"csrf_token": page_csrf(client, "/numbers/import"),
                                                             "token": token})
    assert response.status_code == 302
    assert list(imports_dir.iterdir()) == []
    assert confirm(client, token).status_code == 302
    assert count_numbers(db) == 0


def test_a_forged_token_touches_no_file(client, login, db, imports_dir, tmp_path):
    login(Role.ADMIN, region=0)
    (tmp_path / "secret.json").write_text('{"owner_id": 1}')
    for token in ("../secret", "0" * 31 + "/", "A" * 32):
        response = confirm(client, token)
        assert response.status_code == 302
    assert (tmp_path / "secret.json").exists()
    assert count_numbers(db) == 0


@pytest.mark.parametrize("content, message", [
    ("<!doctype html>\n<html><body><script>alert(1)</script></body></html>\n", "dòng tiêu đề"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00", "không phải tệp CSV"),
    ("number,region\n0903123456,Khánh Hòa\n".encode("cp1252"), "UTF-8"),
    ("", "Tệp trống"),
])
def test_html_binary_or_empty_files_get_a_clear_message_and_nothing_is_kept(client, login, db, imports_dir,
                                                                           content, message):
    login(Role.ADMIN, region=0)
    response = upload(client, content)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert message in html
    assert "<script>alert(1)" not in html
    assert not imports_dir.exists() or list(imports_dir.iterdir()) == []


def test_no_file_chosen_is_said_beside_the_field(client, login, db, imports_dir):
    login(Role.ADMIN, region=0)
    response = client.post("/numbers/import", data={"csrf_token": page_csrf(client, "/numbers/import")},
                           content_type="multipart/form-data")
    assert response.status_code == 422
    assert "Vui lòng chọn tệp CSV." in response.get_data(as_text=True)


def test_a_file_over_5_mb_is_refused_with_413_and_a_message(client, login, db, imports_dir):
    login(Role.ADMIN, region=0)
    big = b"number\n" + b"0903123456\n" * (importer.MAX_BYTES // 11 + 1)
    assert len(big) > importer.MAX_BYTES
    response = upload(client, big)
    assert response.status_code == 413
    assert "Tệp lớn hơn 5 MB" in response.get_data(as_text=True)
    assert not imports_dir.exists() or list(imports_dir.iterdir()) == []


def test_a_file_with_nothing_new_offers_no_confirmation(client, login, db, imports_dir, existing):
    login(Role.ADMIN, region=0)
    html = upload(client, "number\n0705555555\nabc\n").get_data(as_text=True)
    assert "Xác nhận nhập" not in html
    assert "Tệp không có số mới nào để nhập" in html
    assert not imports_dir.exists() or list(imports_dir.iterdir()) == []


def test_a_regional_admin_imports_numbers_of_their_region_only(client, login, db, imports_dir):
    login(Role.ADMIN, region=3)
    html = upload(client, "number,region\n0903123456,\n0903123457,3\n0903123458,5\n").get_data(as_text=True)
    assert "Bạn chỉ nhập được số thuộc khu vực của mình." in html
    confirm(client, token_in(html))
    regions = dict(db.session.execute(select(PhoneNumber.number, PhoneNumber.region_id)).all())
    assert regions == {"0903123456": 3, "0903123457": 3}
    assert audits(db, "numbers.import")[0].region_id == 3


@pytest.mark.parametrize("role", [Role.AGENT, Role.CLERK, Role.SUPERVISOR])
def test_only_admins_import(client, login, db, imports_dir, role):
    login(role, region=1)
    assert client.get("/numbers/import").status_code == 403
    response = client.post("/numbers/import", data={"csrf_token": page_csrf(client)})
    assert response.status_code == 403
