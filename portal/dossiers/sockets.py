"""The review queue's live list (/review): the connection team and supervisors of a region hear when a dossier
joins, leaves or is claimed in their queue, and re-read the list (static/js/live-list.js). Rooms are joined by the
server (``StaffNamespace``: ``region:<n>``), never by the client; head office hears every region."""
from __future__ import annotations

from typing import Any

from flask_login import current_user

from portal.core.events import StatusEvent, status_committed
from portal.core.realtime import StaffNamespace, emit_after_commit
from portal.core.roles import HEAD_OFFICE, Role
from portal.dossiers.models import Dossier, DossierStatus
from portal.extensions import socketio

NAMESPACE = "/review"
EVENT = "dossier_moved"
READERS = frozenset({Role.CONNECTION, Role.SUPERVISOR, Role.ADMIN})


class ReviewNamespace(StaffNamespace):
    """The connection team and its overseers."""

    roles = READERS

    def on_ping(self, data: Any = None) -> dict:
        """Lets the queue check that its socket is alive and still signed in."""
        return {"ok": True, "region": current_user.region_id}


def _rooms(region_id: int | None) -> list[str]:
    return [f"region:{region_id}"] + ([f"region:{HEAD_OFFICE}"] if region_id != HEAD_OFFICE else [])


def tell_after_commit(dossier: Dossier, what: str) -> None:
    """A claim or an assignment (no status move): tell the region's queues once it commits."""
    data = {"row_id": dossier.id, "what": what, "region_id": dossier.region_id}
    for room in _rooms(dossier.region_id):
        emit_after_commit(EVENT, data, namespace=NAMESPACE, to=room)


@status_committed.connect_via(Dossier)
def _queue_moved(_sender: type, event: StatusEvent, **_kw: Any) -> None:
    """A dossier submitted, decided, or given mSale's result: every open queue of its region re-reads its list."""
    queue = {DossierStatus.SUBMITTED.value, DossierStatus.APPROVED.value, DossierStatus.QR_ISSUED.value}
    if event.to_status not in queue and event.from_status not in queue:
        return
    data = {"row_id": event.object_id, "what": event.to_status, "region_id": event.region_id}
    for room in _rooms(event.region_id):
        socketio.emit(EVENT, data, namespace=NAMESPACE, to=room)
