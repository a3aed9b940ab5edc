"""What the wall listens to: the moves of calls, dossiers and mSale submissions (``core.events.status_committed``)
and agents' presence (``calls.notify.presence_committed``), each after its commit. A listener only flags the region
(``live.changed``: Redis, no SQL); the pusher reads the figures and coalesces the bursts."""
from __future__ import annotations

from typing import Any

from portal.calls.models import Call
from portal.calls.notify import presence_committed
from portal.connections.models import MsaleSubmission
from portal.core.events import StatusEvent, status_committed
from portal.dossiers.models import Dossier, DossierStatus
from portal.wall import live

# A dossier's move shows on the wall when it enters or leaves review (submitted) or mSale (approved).
_DOSSIER_SHOWN = frozenset({DossierStatus.SUBMITTED.value, DossierStatus.APPROVED.value})


def _region(event: StatusEvent) -> int | None:
    region = event.region_id if event.region_id is not None else event.data.get("region_id")
    return region if isinstance(region, int) else None


@status_committed.connect_via(Call)
@status_committed.connect_via(MsaleSubmission)
def _moved(_sender: type, event: StatusEvent, **_kw: Any) -> None:
    """Every move of a call (waiting, in a call, wrap-up next) and of a submission (stuck, failed, answered)."""
    live.changed(_region(event))


@status_committed.connect_via(Dossier)
def _dossier_moved(_sender: type, event: StatusEvent, **_kw: Any) -> None:
    """A dossier submitted for review, decided, or answered by mSale."""
    if event.to_status in _DOSSIER_SHOWN or event.from_status in _DOSSIER_SHOWN:
        live.changed(_region(event))


@presence_committed.connect
def _presence(region_id: Any, **_kw: Any) -> None:
    """An agent went available, away or offline, or finished a wrap-up."""
    live.changed(region_id if isinstance(region_id, int) else None)
