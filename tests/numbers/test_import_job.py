"""The web CSV import runs as a job (issue 10): the confirmation answers at once, the job imports in batches and
records its progress, a rerun resumes without importing anything twice, and the errors are listed by line."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from portal.core.models import AuditEntry, OutboxJob
from portal.core.roles import Role
from portal.numbers import importer, imports
from portal.numbers.models import ImportStatus, NumberImport, PhoneNumber
from portal.numbers.services import NewNumber, add_numbers
from tests.numbers.test_import import confirm, token_in, upload, work

FILE = "number,price\n" + "".join(f"09031234{i:02d},\n" for i in range(10)) + "abc,\n0903123401,\n0705555555,\n"
# 13 data rows: 10 new, "abc" (line 12) bad, 0903123401 again (line 13) a duplicate, 0705555555 already in stock


@pytest.fixture
def existing(db):
    add_numbers([NewNumber("0705555555")])
    db.session.commit()


def _import(db) -> NumberImport:
    db.session.expire_all()
    return db.session.scalar(select(NumberImport))


def _numbers(db) -> int:
    return db.session.scalar(select(func.count()).select_from(PhoneNumber))


def test_confirming_queues_the_import_and_answers_at_once(client, login, db, imports_dir, existing):
    login(Role.ADMIN, region=0)
    response = confirm(client, token_in(upload(client, FILE).get_data(as_text=True)), run=False)
    job = _import(db)
    assert response.status_code == 302 and response.headers["Location"] == f"/numbers/import/{job.id}"
    assert _numbers(db) == 1  # nothing imported inside the request
    assert (job.status, job.total, job.done) == (ImportStatus.QUEUED, 13, 0)
    assert db.session.scalar(select(OutboxJob.func)) == "portal.numbers.imports.import_numbers"
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert 'role="progressbar"' in page and "Đang chờ" in page and "import-progress.js" in page
    assert list(imports_dir.iterdir()) == []  # the upload moved into the import's row, for the worker
    assert client.get(f"/numbers/import/{job.id}/progress").get_json()["percent"] == 0


def test_the_job_imports_reports_progress_and_lists_errors_by_line(client, login, db, imports_dir, existing):
    login(Role.ADMIN, region=0)
    location = confirm(client, token_in(upload(client, FILE).get_data(as_text=True))).headers["Location"]
    job = _import(db)
    assert (job.status, job.done, job.added, job.skipped, job.error_count) == (ImportStatus.DONE, 13, 10, 1, 2)
    assert job.content is None and job.finished_at is not None  # the file is gone once imported
    assert [e["line"] for e in job.errors] == [12, 13]
    assert _numbers(db) == 11
    progress = client.get(f"{location}/progress").get_json()
    assert progress == {"status": "done", "label": "Đã xong", "total": 13, "done": 13, "percent": 100, "added": 10,
                        "skipped": 1, "error_count": 2, "finished": True}
    page = client.get(location).get_data(as_text=True)
    assert "Đã nhập 10 số vào kho; 1 số đã có trong kho được bỏ qua; 2 dòng lỗi không được nhập." in page
    assert '<td class="text-end">12</td>' in page and "Trùng với số ở dòng 3" in page


def test_a_rerun_after_a_crash_resumes_after_the_last_batch_and_imports_nothing_twice(
        client, login, db, imports_dir, existing, monkeypatch):
    admin = login(Role.ADMIN, region=0)
    monkeypatch.setattr(importer, "BATCH", 4)
    real_add, calls = importer.add_numbers, []

    def dies_on_the_third_batch(numbers):
        calls.append(1)
        if len(calls) == 3:
            raise RuntimeError("worker killed")
        return real_add(numbers)

    monkeypatch.setattr(importer, "add_numbers", dies_on_the_third_batch)
    confirm(client, token_in(upload(client, FILE).get_data(as_text=True)))  # the job fails in the third batch
    job = _import(db)
    assert (job.status, job.done, job.added) == (ImportStatus.RUNNING, 8, 8)  # two batches committed with progress
    assert client.get(f"/numbers/import/{job.id}/progress").get_json()["percent"] == 61
    assert _numbers(db) == 9

    imports.import_numbers(job.id)  # RQ's retry
    job = _import(db)
    assert (job.status, job.done, job.added, job.skipped, job.error_count) == (ImportStatus.DONE, 13, 10, 1, 2)
    assert [e["line"] for e in job.errors] == [12, 13]
    assert _numbers(db) == 11
    imports.import_numbers(job.id)  # and once more: nothing to do
    assert _numbers(db) == 11
    [entry] = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "numbers.import"))
    assert entry.actor_id == admin.id and entry.detail["added"] == 10


def test_another_regions_admin_cannot_follow_an_import(app, client, login, db, imports_dir):
    login(Role.ADMIN, region=3)
    location = confirm(client, token_in(upload(client, "number\n0903123456\n").get_data(as_text=True))).headers[
        "Location"]
    other = app.test_client()
    login(Role.ADMIN, region=4, on=other)
    assert other.get(location).status_code == 404
    assert other.get(f"{location}/progress").status_code == 404
    head_office = app.test_client()
    login(Role.ADMIN, region=0, on=head_office)
    assert head_office.get(f"{location}/progress").get_json()["added"] == 1


def test_the_worker_runs_it_from_the_queue(client, login, db, imports_dir):
    login(Role.ADMIN, region=0)
    confirm(client, token_in(upload(client, "number\n0903123456\n0903123457\n").get_data(as_text=True)), run=False)
    assert _numbers(db) == 0
    work()
    assert _numbers(db) == 2 and _import(db).status == ImportStatus.DONE
    assert db.session.scalar(select(OutboxJob)) is None
