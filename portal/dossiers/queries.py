"""Finding dossiers — a customer's own, a region's for staff — their timeline, last eKYC run, and the customer's
notifications of dossier moves (derived from the status history, like the orders')."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import url_for
from flask_babel import gettext as _
from sqlalchemy import func, or_, select

from portal.core.access import in_region
from portal.core.digits import only_digits
from portal.core.errors import NotFound
from portal.core.models import StatusChange
from portal.core.roles import Role
from portal.dossiers import lifecycle
from portal.dossiers.models import MAY_CALL, Dossier, DossierStatus, DossierStep, EkycRun
from portal.extensions import db
from portal.holds.models import HoldTicket
from portal.holds.services import normalize_hold_code
from portal.orders import queries as order_queries
from portal.orders.models import Order


def _not_found() -> NotFound:
    return NotFound("dossier_not_found", _("Không tìm thấy phiếu giữ số."))


def customer_dossier(hold_code: str, customer) -> Dossier:
    """A customer's own dossier by its ticket's hold code; anyone else's (or none) is 'not found'."""
    dossier = db.session.scalar(select(Dossier).join(HoldTicket, HoldTicket.id == Dossier.ticket_id)
                                .where(HoldTicket.hold_code == normalize_hold_code(hold_code)))
    if dossier is None or customer is None or dossier.customer_id != customer.id:
        raise _not_found()
    return dossier


def customer_order_or_none(hold_code: str, customer) -> Order | None:
    try:
        return order_queries.customer_order(hold_code, customer)
    except NotFound:
        return None


@dataclass(frozen=True)
class Activation:
    """What the ticket page shows about activation: the dossier, or whether one may be opened (and why not)."""

    dossier: Dossier | None
    refusal: str | None

    @property
    def may_open(self) -> bool:
        return self.dossier is None and self.refusal is None


def activation_of(order: Order) -> Activation:
    """ACT-3, ESIM-2: the "Kích hoạt" button's rule for an order's ticket (the ticket page asks this)."""
    dossier = db.session.scalar(select(Dossier).where(Dossier.ticket_id == order.ticket_id))
    if dossier is not None and dossier.customer_id == order.customer_id:
        return Activation(dossier, None)
    return Activation(None, lifecycle.opening_refusal(order))


def timeline(dossier: Dossier) -> list[DossierStep]:
    """Every step, oldest first, with its SPEC step id, actor and time."""
    return list(db.session.scalars(select(DossierStep).where(DossierStep.dossier_id == dossier.id)
                                   .order_by(DossierStep.at, DossierStep.id)))


def last_run(dossier: Dossier) -> EkycRun | None:
    return db.session.scalar(select(EkycRun).where(EkycRun.dossier_id == dossier.id)
                             .order_by(EkycRun.id.desc()).limit(1))


def runs(dossier: Dossier) -> list[EkycRun]:
    """Every eKYC run of the dossier, newest first."""
    return list(db.session.scalars(select(EkycRun).where(EkycRun.dossier_id == dossier.id)
                                   .order_by(EkycRun.id.desc())))


def customer_dossiers(customer) -> list[Dossier]:
    return list(db.session.scalars(select(Dossier).where(Dossier.customer_id == customer.id)
                                   .order_by(Dossier.created_at.desc())))


def region_dossiers(status: DossierStatus | None = None, q: str = "", limit: int = 200) -> list[Dossier]:
    """Staff: the dossiers of their region (head office: all), newest activity first, by status or hold code/phone."""
    stmt = in_region(select(Dossier), Dossier.region_id)
    if status is not None:
        stmt = stmt.where(Dossier.status == status)
    if q:
        digits = only_digits(q)
        stmt = stmt.join(HoldTicket, HoldTicket.id == Dossier.ticket_id).where(or_(
            HoldTicket.hold_code == normalize_hold_code(q), Dossier.contact_phone == digits,
            HoldTicket.customer_phone == digits))
    return list(db.session.scalars(stmt.order_by(Dossier.updated_at.desc(), Dossier.id.desc()).limit(limit)))


def status_counts() -> dict[DossierStatus, int]:
    """Staff's tabs: how many of the region's dossiers are in each status."""
    stmt = in_region(select(Dossier.status, func.count()).group_by(Dossier.status), Dossier.region_id)
    return {status: n for status, n in db.session.execute(stmt)}


def waiting_count(user: Any) -> int:
    """The number beside the menu entry: for agents the region's dossiers waiting for a video call (E-1.5); the
    connection team's count is beside "Duyệt hồ sơ" (review_queries.waiting_count); none for the others."""
    statuses = {Role.AGENT: MAY_CALL}.get(user.role)
    if not statuses:
        return 0
    stmt = in_region(select(func.count()).select_from(Dossier).where(Dossier.status.in_(statuses)), Dossier.region_id)
    return db.session.scalar(stmt) or 0


@order_queries.notification_source
def dossier_notifications(customer: Any) -> list[order_queries.Notification]:
    """ACT-7, ESIM-6 (and the call's result): the moves of the customer's dossiers that are news to them — eKYC
    failed or passed, the call's verdict, an abandoned dossier — with the reason."""
    dossiers = {str(d.id): d for d in customer_dossiers(customer)}
    if not dossiers:
        return []
    changes = db.session.scalars(select(StatusChange).where(
        StatusChange.object_type == Dossier.__tablename__, StatusChange.object_id.in_(list(dossiers)),
        StatusChange.to_status != DossierStatus.DRAFT.value))  # the customer's own edits: no news to them
    out = []
    for change in changes:
        dossier = dossiers[change.object_id]
        code = dossier.ticket.hold_code
        label = _("Kích hoạt: %(s)s", s=DossierStatus(change.to_status).label)
        out.append(order_queries.Notification(change.at, code, tuple(dossier.ticket.numbers), label, change.reason,
                                              url_for("dossiers.dossier", hold_code=code)))
    return out
