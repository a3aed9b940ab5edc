"""``flask numbers import FILE`` and ``flask numbers generate --count N --seed S``."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from portal.core.models import AuditEntry
from portal.numbers.models import NumberStatus, PhoneNumber
from portal.numbers.services import NewNumber, add_numbers, generate_numbers

# The import and generate commands tune the engine's pool for their bulk writes: tests that reach that step
# run on the real engine (committed_db).


def numbers_in(db) -> set[str]:
    db.session.commit()  # see what the command committed
    return set(db.session.scalars(select(PhoneNumber.number)))


def run(app, *args: str):
    return app.test_cli_runner().invoke(args=["numbers", *args])


@pytest.mark.usefixtures("committed_db")
def test_import_reports_bad_lines_imports_the_good_rows_and_exits_1(app, db, tmp_path):
    add_numbers([NewNumber("0705555555")])
    db.session.commit()
    path = tmp_path / "kho.csv"
    path.write_bytes("\ufeffnumber;price;region;status\n0903123456;1.500.000;2;\n0912345678;;;\n"
                     "0705555555;;;\n0938686868;;;locked\n0903123456;;;\n".encode())
    result = run(app, "import", str(path))
    assert result.exit_code == 1, result.output
    assert "5 dòng; đã nhập 2 số mới; 1 số đã có trong kho (bỏ qua); 2 dòng lỗi" in result.output
    assert "dòng 3: 0912345678" in result.output and "không thuộc đầu số" in result.output
    assert "dòng 6: 0903123456" in result.output and "Trùng với số ở dòng 2" in result.output
    assert "Các dòng hợp lệ đã được nhập" in result.output
    assert numbers_in(db) == {"0705555555", "0903123456", "0938686868"}
    number = db.session.scalar(select(PhoneNumber).where(PhoneNumber.number == "0903123456"))
    assert (number.price, number.price_is_custom, number.region_id) == (1_500_000, True, 2)
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "numbers.import"))
    assert entry.actor_kind == "system"
    assert entry.detail == {"source": "cli", "file": "kho.csv", "rows": 5, "added": 2, "good": 2, "skipped": 1,
                            "errors": 2}


@pytest.mark.usefixtures("committed_db")
def test_a_clean_file_exits_0_and_batches_commit_as_they_go(app, db, tmp_path):
    path = tmp_path / "kho.csv"
    path.write_text("number\n" + "".join(f"09031{i:05d}\n" for i in range(250)))
    result = run(app, "import", str(path), "--batch", "100")
    assert result.exit_code == 0, result.output
    assert "đã nhập 250 số mới" in result.output
    assert result.output.count("dòng đã đọc") == 3  # one progress line per committed batch
    assert len(numbers_in(db)) == 250
    assert run(app, "import", str(path)).exit_code == 0  # again: all skipped, nothing bad
    assert len(numbers_in(db)) == 250


def test_a_binary_or_non_utf8_file_is_refused_before_anything_is_imported(app, db, tmp_path):
    for name, content in (("anh.csv", b"number\n0903123456\n\x00\x01\x02"),
                          ("excel.csv", "number,region\n0903123456,1\n0903123457,Khánh Hòa\n".encode("cp1252"))):
        path = tmp_path / name
        path.write_bytes(content)
        result = run(app, "import", str(path))
        assert result.exit_code == 1
        assert "UTF-8" in result.output or "không phải tệp CSV" in result.output
    assert "dòng 3" in result.output
    assert numbers_in(db) == set()


@pytest.mark.usefixtures("committed_db")
def test_a_file_without_a_header_is_refused(app, db, tmp_path):
    path = tmp_path / "kho.csv"
    path.write_text("0903123456\n0903123457\n")
    result = run(app, "import", str(path))
    assert result.exit_code == 1 and "dòng tiêu đề" in result.output
    assert numbers_in(db) == set()


@pytest.mark.usefixtures("committed_db")
def test_generate_adds_the_numbers_of_its_seed_and_running_it_again_adds_none(app, db):
    result = run(app, "generate", "--count", "1500", "--seed", "7", "--batch", "1000")
    assert result.exit_code == 0, result.output
    assert "1.500 added, 0 already there; inventory now 1.500 numbers" in result.output
    expected = {n.number for n in generate_numbers(1500, seed=7)}
    assert numbers_in(db) == expected
    again = run(app, "generate", "--count", "1500", "--seed", "7")
    assert "0 added, 1.500 already there" in again.output
    assert numbers_in(db) == expected
    other = {n.number for n in generate_numbers(1500, seed=8)}
    assert other != expected
    statuses = set(db.session.scalars(select(PhoneNumber.status).distinct()))
    assert statuses == {NumberStatus.AVAILABLE}
    assert db.session.scalar(select(func.count()).select_from(AuditEntry)
                             .where(AuditEntry.action == "numbers.generate")) == 2


def test_same_seed_same_numbers():
    assert [n.number for n in generate_numbers(300, seed=42)] == [n.number for n in generate_numbers(300, seed=42)]


def test_generate_refuses_production(app, db, monkeypatch):
    monkeypatch.setitem(app.config, "PORTAL_ENV", "production")
    result = run(app, "generate", "--count", "10")
    assert result.exit_code != 0 and "refuses to run in production" in result.output
    assert numbers_in(db) == set()
