"""What the reports domain does when records move (portal.core.events): a late move reopens the past day it counts on.

The figures of a closed day come from its cells (portal.reports.cells), which the periodic job rebuilds for the last
REPORT_RECHECK_DAYS only. A record counts on the day it, or its hold ticket, was made — the funnel follows a ticket
held in March to its connection in May —, so a move of an older record would never reach the figures. Such a move
forgets those days' built state (every report's) in its own transaction: a page reads them from the source again
at once, and the next refresh builds them again. Recent moves cost a date comparison.
"""
from __future__ import annotations

from datetime import date, datetime
from typing import Any

from portal.core.events import StatusEvent, status_changed
from portal.extensions import db
from portal.holds.models import HoldTicket
from portal.reports.cells import forget_days, recheck_from, vietnam_day


def _made(obj: Any) -> list[datetime]:
    """When the record and its hold ticket (an order's, a dossier's) were made."""
    moments = [getattr(obj, "created_at", None)]
    ticket_id = getattr(obj, "ticket_id", None)
    if ticket_id is not None:
        ticket = db.session.get(HoldTicket, ticket_id)  # usually in the session already
        moments.append(ticket.created_at if ticket is not None else None)
    return [at for at in moments if at is not None]


@status_changed.connect
def _late_move(_sender: type, obj: Any = None, event: StatusEvent | None = None, **_kw: Any) -> None:
    if obj is None or event is None or event.from_status is None:  # a record made now counts today
        return
    first_recent = recheck_from()
    late: set[date] = {day for day in map(vietnam_day, _made(obj)) if day < first_recent}
    if late:
        forget_days(late)
