"""Jobs used by the tests (importable by a real worker process)."""
from __future__ import annotations

from portal.core.audit import audit
from portal.core.jobs import job
from portal.core.realtime import emit_after_commit


@job
def record(text: str) -> str:
    """Writes an audit row: proof that the job ran, committed by the job wrapper."""
    audit("test.job_ran", detail={"text": text})
    return text


@job
def announce(staff_id: int, text: str) -> None:
    """Emits to one staff member's sockets after the job commits (worker → Redis → web → browser)."""
    audit("test.job_announced", detail={"text": text})
    emit_after_commit("notice", {"text": text}, namespace="/staff", to=f"staff:{staff_id}")


@job
def always_fails(text: str) -> None:
    raise RuntimeError(f"mSale answered 503 for {text}")


def not_a_job() -> None:
    """Plain function: enqueue_after_commit must refuse it."""
