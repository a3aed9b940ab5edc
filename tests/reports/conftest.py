"""Reports fixtures: data made through the domains' own moves, reused from their tests' fixtures — orders delivered
or paid, dossiers verified and submitted (tests/dossiers), calls and agents (tests/calls), approved dossiers
(tests/connections) — and ``at_times``, which puts the recorded moments where a test wants them (the reports
measure durations between them; how the rows got there stays the domains' own moves)."""
from __future__ import annotations

from datetime import datetime, time, timedelta

import pytest
from sqlalchemy import String, cast, update

from portal.core.models import StatusChange
from portal.core.time import vietnam_to_utc, vietnam_today
from tests.calls import conftest as calls
from tests.connections import conftest as connections
from tests.dossiers import conftest as dossiers

approved, msale_box, einvoice_box = connections.approved, connections.msale_box, connections.einvoice_box
outbox, checks_once, media_root, numbers = (connections.outbox, connections.checks_once, connections.media_root,
                                            connections.numbers)
lan, delivered_order, paid_esim = connections.lan, connections.delivered_order, connections.paid_esim
verified, submitted, channel_ticket = dossiers.verified, dossiers.submitted, dossiers.channel_ticket
contract_certificate = dossiers.contract_certificate
ready_dossier, available_agent, waiting_counts_at_once = (calls.ready_dossier, calls.available_agent,
                                                          calls.waiting_counts_at_once)

DAY = vietnam_today() - timedelta(days=3)  # the day the tests' moments are put on (inside the default 30 days)
ARGS = f"date_from={DAY.isoformat()}&date_to={DAY.isoformat()}"


def vn(hour: int, minute: int = 0, second: int = 0, days: int = 0) -> datetime:
    """Naive UTC of ``hour:minute:second`` Vietnam time on DAY (+ ``days``)."""
    return vietnam_to_utc(datetime.combine(DAY + timedelta(days=days), time(hour, minute, second)))


def set_columns(db, model, row_id: int, **values) -> None:
    db.session.execute(update(model).where(model.id == row_id).values(**values))


def set_moves(db, obj, to_status: str, *moments: datetime) -> None:
    """The status_change rows moving ``obj`` to ``to_status``, oldest first, put at ``moments`` (as many as there
    are rows)."""
    from sqlalchemy import select

    ids = db.session.scalars(select(StatusChange.id).where(
        StatusChange.object_type == obj.__tablename__, StatusChange.object_id == cast(str(obj.id), String),
        StatusChange.to_status == to_status).order_by(StatusChange.id)).all()
    assert len(ids) == len(moments), (obj, to_status, ids)
    for change_id, at in zip(ids, moments, strict=True):
        db.session.execute(update(StatusChange).where(StatusChange.id == change_id).values(at=at))


@pytest.fixture
def at_times(db):
    """``at_times(fn)`` runs ``fn()`` (which calls set_columns / set_moves) and commits."""

    def run(fn) -> None:
        from tests.conftest import writing_now

        with writing_now(db):
            fn()
            db.session.commit()

    return run


@pytest.fixture(params=["source", "cells"])
def page_of(request, app, monkeypatch):
    """``page_of(report, scope)``: the report's page computed from the source tables, then (the second run of each
    test) from its cells — every day of the scope built first, with no live day left (portal/reports/cells.py): the
    same assertions hold both ways."""
    from portal.reports.cells import rebuild

    def page(report, scope):
        with app.test_request_context():
            if request.param == "source":
                return report.page(scope)
            monkeypatch.setitem(app.config, "REPORT_LIVE_DAYS", -1)
            rebuild(report, scope.date_from, scope.date_to)
            built = report.page(scope)
            assert built.built_at is not None  # read from cells, not recomputed
            return built

    return page
