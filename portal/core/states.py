"""The one helper through which every status changes (STYLE: state machines are data).

Each domain keeps its transition table as ``{from: {to, ...}}`` beside its
models; ``transition`` enforces it, applies it with a conditional UPDATE (so
two people acting at once cannot both move the same record: the second gets
``Conflict``), records who moved what, when and why, and publishes the move
(``portal.core.events``): in the transaction to ``status_changed`` and, once it
commits, to ``status_committed``.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from collections.abc import Set as AbstractSet
from enum import Enum
from typing import Any, NamedTuple, TypeVar

from flask_babel import gettext as _
from sqlalchemy import update
from sqlalchemy.orm.attributes import set_committed_value

from portal.core.actors import Actor, describe
from portal.core.errors import Conflict
from portal.core.events import StatusEvent, publish_committed, status_changed
from portal.core.models import StatusChange
from portal.core.time import utcnow
from portal.core.tx import after_commit, rowcount
from portal.extensions import db

S = TypeVar("S", bound=Enum)  # a domain's status enum: its transition table maps it to the same enum


def transition(
    obj: Any,
    to: S,
    actor: Actor | None,
    allowed: Mapping[S, AbstractSet[S]],
    reason: str = "",
    field: str = "status",
    **values: Any,
) -> None:
    """Move ``obj.<field>`` to ``to`` if the table allows it (setting ``values`` too), and record the move."""
    current = getattr(obj, field)
    if to not in allowed.get(current, ()):
        raise Conflict("invalid_transition", _("Không thể chuyển từ trạng thái “%(a)s” sang “%(b)s”.",
                                               a=getattr(current, "label", current), b=getattr(to, "label", to)))
    model = type(obj)
    if hasattr(model, "updated_at") and "updated_at" not in values:
        values["updated_at"] = utcnow()
    db.session.flush()
    result = db.session.execute(
        update(model).where(model.id == obj.id, getattr(model, field) == current)
        .values({field: to, **values}).execution_options(synchronize_session=False)
    )
    if rowcount(result) != 1:
        raise Conflict("stale_state", _("Hồ sơ vừa được người khác cập nhật. Vui lòng tải lại trang."))
    for name, value in {field: to, **values}.items():
        set_committed_value(obj, name, value)
    record_change(obj, current, to, actor, reason, values)


def _plain(value: Any) -> Any:
    return value if value is None or isinstance(value, bool | int | str) else str(value)


def record_change(obj: Any, current: Enum | None, to: Enum, actor: Actor | None, reason: str = "",
                  values: dict[str, Any] | None = None) -> StatusEvent:
    """Write the status history row and publish the move (also for a record created in ``to``)."""
    return record_changes(obj, [Move(current, to, actor, reason, values)])[0]


class Move(NamedTuple):
    """One step of a record's history for ``record_changes``."""

    current: Enum | None
    to: Enum
    actor: Actor | None
    reason: str = ""
    values: dict[str, Any] | None = None


def record_changes(obj: Any, moves: Sequence[Move], before_publish: Callable[[], Any] | None = None
                   ) -> list[StatusEvent]:
    """Write the history rows of moves ``obj`` has made, in order, with one flush (one INSERT for all the rows where
    the database returns their ids together), then publish each move as ``record_change`` does: a record created
    already past its first state (a call created ringing) keeps the history and events of every step.
    ``before_publish`` runs between the two (after the flush: what it adds is written with the listeners' rows)."""
    changes = []
    for move in moves:
        actor_id, actor_name, actor_kind = describe(move.actor)
        change = StatusChange(object_type=obj.__tablename__, object_id=str(obj.id),
                              from_status=move.current.value if move.current is not None else None,
                              to_status=move.to.value, actor_id=actor_id, actor_name=actor_name[:80],
                              reason=move.reason[:500], at=utcnow())
        db.session.add(change)
        changes.append((change, actor_kind, move.values))
    db.session.flush()  # the history rows' ids: the keys of exactly-once reactions (a notification per move)
    if before_publish is not None:
        before_publish()
    status_data = getattr(obj, "status_data", None)
    events = []
    for change, actor_kind, values in changes:
        event = StatusEvent(
            object_type=obj.__tablename__, object_id=obj.id, from_status=change.from_status,
            to_status=change.to_status, at=change.at, actor_id=change.actor_id, actor_name=change.actor_name,
            actor_kind=actor_kind, reason=change.reason, region_id=getattr(obj, "region_id", None),
            change_id=change.id, data=status_data() if callable(status_data) else {},
            values={k: _plain(v) for k, v in (values or {}).items() if k != "updated_at"})
        status_changed.send(type(obj), obj=obj, event=event)
        after_commit(publish_committed, type(obj), event)
        events.append(event)
    return events
