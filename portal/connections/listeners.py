"""What the connections domain does when a dossier moves (portal.core.events).

Approved (ACT-11, ESIM-10) → a submission and its push job, in the transaction of the approval itself
(``status_changed`` + the jobs outbox): if the approval rolls back, nothing was queued; if Redis is away at the
commit, the outbox sweep delivers the job later (checklist 27, 29). Connected, refused, QR issued → the customer's
e-mail, once per move.
"""
from __future__ import annotations

from typing import Any

from flask import current_app

from portal.core.events import StatusEvent, status_changed
from portal.core.jobs import enqueue_after_commit
from portal.dossiers.models import Dossier, DossierStatus

TOLD = frozenset({DossierStatus.CONNECTED.value, DossierStatus.CONNECTION_REFUSED.value,
                  DossierStatus.QR_ISSUED.value})


@status_changed.connect_via(Dossier)
def _approved(_sender: type, obj: Dossier, event: StatusEvent, **_kw: Any) -> None:
    """The connection team approved the dossier: push it to mSale."""
    from portal.connections import services
    from portal.connections.jobs import push_to_msale

    if event.to_status != DossierStatus.APPROVED.value:
        return
    submission = services.open_submission(obj)
    enqueue_after_commit(push_to_msale, submission.id, retry=current_app.config["MSALE_RETRY_INTERVALS"])


@status_changed.connect_via(Dossier)
def _tell_the_customer(_sender: type, obj: Dossier, event: StatusEvent, **_kw: Any) -> None:
    """mSale's result (or the customer's own QR verdict): an e-mail, once per move."""
    from portal.connections.notices import mail_connection_result

    if event.to_status in TOLD and (obj.email or (obj.order is not None and obj.order.email)):
        enqueue_after_commit(mail_connection_result, obj.id, event.change_id, event.to_status)
