"""Writing the audit log (checklist 33).

``audit`` adds the entry to the current transaction, so a decision and its
audit row commit together. ``audit_now`` writes in a transaction of
its own: for refusals and failed sign-ins, whose request changes nothing else.
"""
from __future__ import annotations

from typing import Any

from flask import has_request_context, request
from flask_login import current_user
from sqlalchemy import Connection, insert

from portal.core.actors import Actor, SystemActor
from portal.core.events import StatusEvent, status_changed
from portal.core.models import AuditEntry
from portal.core.privacy import one_line, scrub
from portal.core.time import utcnow
from portal.core.tx import independently
from portal.extensions import db

# Strings in an entry's detail are kept whole up to this many characters: the longest text an admin edits, an
# e-mail template body (5,000, messages.rendering.MAX_BODY), even with each character escaped by one_line (× 4), so
# that its values before and after are the whole texts. Longer strings (none a form accepts) are cut.
AUDIT_TEXT_LIMIT = 20_000


def _entry(action: str, obj: Any, region_id: int | None, detail: dict[str, Any] | None,
           actor: Actor | None) -> dict[str, Any]:
    if actor is None and has_request_context() and current_user.is_authenticated:
        actor = current_user
    if region_id is None and obj is not None:
        region_id = getattr(obj, "region_id", None)
    return {
        "at": utcnow(),
        "actor_id": getattr(actor, "id", None),
        "actor_name": one_line(getattr(actor, "audit_name", None) or getattr(actor, "username", "") or "")[:80],
        "actor_kind": getattr(actor, "actor_kind", "staff") if actor is not None else "system",
        "action": action,
        "object_type": getattr(obj, "__tablename__", None),
        "object_id": str(obj.id) if obj is not None and getattr(obj, "id", None) is not None else None,
        "region_id": region_id,
        "ip": request.remote_addr if has_request_context() else None,
        "detail": scrub(detail or {}, limit=AUDIT_TEXT_LIMIT),
    }


def audit(
    action: str, obj: Any = None, *, region_id: int | None = None, detail: dict[str, Any] | None = None,
    actor: Actor | None = None,
) -> AuditEntry:
    """Record ``action`` on ``obj`` in the current transaction."""
    entry = AuditEntry(**_entry(action, obj, region_id, detail, actor))
    db.session.add(entry)
    return entry


def audit_now(
    action: str, obj: Any = None, *, region_id: int | None = None, detail: dict[str, Any] | None = None,
    actor: Actor | None = None,
) -> None:
    """Record ``action`` whatever happens to the current transaction (written when the unit of work ends)."""
    independently(_insert, _entry(action, obj, region_id, detail, actor))


def _insert(connection: Connection, values: dict[str, Any]) -> None:
    connection.execute(insert(AuditEntry).values(**values))


@status_changed.connect
def _audit_move(sender: type, obj: Any = None, event: StatusEvent | None = None, **_kw: Any) -> None:
    """Every move of every record is in the audit log, in its transaction: ``<record>.<new status>`` with where it
    came from, why, and what else the move set. (A record's creation is audited by the service that creates it,
    with its own details.)"""
    if event is None or event.from_status is None:
        return
    actor = SystemActor(event.actor_name, event.actor_id, event.actor_kind)
    prefix = getattr(sender, "audit_as", None) or event.object_type
    audit(f"{prefix}.{event.to_status}", obj, actor=actor,
          detail={"from": event.from_status, "to": event.to_status, "reason": event.reason, **event.values})
