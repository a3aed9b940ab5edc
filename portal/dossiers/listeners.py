"""What the dossiers domain does when other records move (portal.core.events): a dossier ends with its ticket.

Listening rather than being called: the orders and holds domains cancel and expire tickets without knowing that
dossiers exist; a dossier still in progress on a ticket that ended is abandoned in the same transaction (its
photos then follow the retention period).
"""
from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from portal.core.events import StatusEvent, status_changed
from portal.dossiers import lifecycle
from portal.dossiers.models import MAY_ABANDON, Dossier
from portal.extensions import db
from portal.holds.models import HoldStatus, HoldTicket

ENDED = {HoldStatus.CANCELLED.value: _l("Phiếu giữ số đã bị hủy"),
         HoldStatus.EXPIRED.value: _l("Phiếu giữ số đã hết hạn")}


@status_changed.connect_via(HoldTicket)
def _ticket_ended(_sender: type, obj: HoldTicket, event: StatusEvent, **_kw: Any) -> None:
    """The ticket was cancelled (with its order, by staff or a channel) or expired: its live dossier is abandoned."""
    if event.to_status not in ENDED:
        return
    dossier = db.session.scalar(select(Dossier).where(Dossier.ticket_id == obj.id))
    if dossier is not None and dossier.status in MAY_ABANDON:
        lifecycle.abandon(dossier, None, str(ENDED[event.to_status]))
