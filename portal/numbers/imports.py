"""The web CSV import as a job: the confirmation queues it, a worker imports in batches and records progress.

``start_import`` (the service the confirm page calls) keeps the uploaded file in its ``number_import`` row
and enqueues ``import_numbers`` after the commit. The job imports ``importer.BATCH`` rows at a time and
commits each batch together with the progress (rows read, added, skipped, errors by line), so the page's
progress bar moves and a rerun — RQ runs a job at least once, and retries a failed one — resumes after the
last committed batch: nothing is imported twice (numbers already in the inventory are skipped anyway). When
it ends the file is emptied from the row. The CLI (``flask numbers import``) imports in-process as before.
"""
from __future__ import annotations

import logging
from dataclasses import asdict
from itertools import islice
from types import SimpleNamespace

from sqlalchemy import update

from portal.core.actors import Actor
from portal.core.audit import audit
from portal.core.errors import Invalid
from portal.core.jobs import enqueue_after_commit, job
from portal.core.roles import HEAD_OFFICE
from portal.core.states import transition
from portal.core.time import utcnow
from portal.extensions import db
from portal.numbers import importer
from portal.numbers.models import IMPORT_TRANSITIONS, ImportStatus, NumberImport

log = logging.getLogger(__name__)


def start_import(raw: bytes, filename: str, rows: int, actor: Actor, region_id: int) -> NumberImport:
    """Keep the confirmed file and queue its import (after the commit); ``region_id``: the importer's region."""
    row = NumberImport(filename=filename[:120], total=rows, content=raw, created_by=actor.id,
                       created_by_name=actor.audit_name[:80], region_id=region_id, status=ImportStatus.QUEUED)
    db.session.add(row)
    db.session.flush()
    audit("numbers.import_queued", row, actor=actor, detail={"file": row.filename, "rows": rows})
    enqueue_after_commit(import_numbers, row.id)
    return row


def _rows(raw: bytes, region_id: int):
    """The file's rows, checked as the preview checked them: a regional admin's import stays in their region."""
    regional = region_id != HEAD_OFFICE
    return importer.parse_rows(importer.text_lines(importer.decode_upload(raw)), max_rows=importer.MAX_ROWS,
                               default_region=region_id if regional else None,
                               allowed_regions=frozenset({region_id}) if regional else None)


def _so_far(row: NumberImport) -> importer.ImportReport:
    return importer.ImportReport(rows=row.done, good=row.added, skipped=row.skipped, added=row.added,
                                 error_count=row.error_count, errors=[importer.RowIssue(**e) for e in row.errors])


def _progress(import_id: int, report: importer.ImportReport) -> dict:
    return {"done": report.rows, "added": report.added, "skipped": report.skipped,
            "error_count": report.error_count, "errors": [asdict(issue) for issue in report.errors]}


@job
def import_numbers(import_id: int) -> None:
    """Import a confirmed CSV batch by batch, committing progress with each batch; resumes where it stopped."""
    row = db.session.get(NumberImport, import_id)
    if row is None or row.finished:
        return  # done already, or gone: nothing to do (RQ delivers at least once)
    if row.status == ImportStatus.QUEUED:
        transition(row, ImportStatus.RUNNING, None, IMPORT_TRANSITIONS, started_at=utcnow())
        db.session.commit()
    raw, region_id, resume = row.content or b"", row.region_id, row.done
    actor = SimpleNamespace(id=row.created_by, actor_kind="staff", audit_name=row.created_by_name)

    def committed(report: importer.ImportReport) -> None:
        db.session.execute(update(NumberImport).where(NumberImport.id == import_id)
                           .values(**_progress(import_id, report), updated_at=utcnow()))
        db.session.commit()  # the batch's numbers and the progress that says they are in: together

    try:
        report = importer.import_rows(islice(_rows(raw, region_id), resume, None), batch_size=importer.BATCH,
                                      after_batch=committed, report=_so_far(row))
    except Invalid as exc:  # a file-level problem the preview did not see: nothing more to try
        db.session.rollback()
        transition(row, ImportStatus.FAILED, None, IMPORT_TRANSITIONS, message=exc.message[:300],
                   content=None, finished_at=utcnow())
        return
    transition(row, ImportStatus.DONE, None, IMPORT_TRANSITIONS, content=None, finished_at=utcnow(),
               **_progress(import_id, report))
    audit("numbers.import", row, region_id=region_id, actor=actor,
          detail={"source": "web", "file": row.filename, **report.counts()})
    log.info("number import %s: %s", import_id, report.counts())
