"""Status changes, published once per move, for whatever reacts to them (STYLE: Indico's signals).

``portal.core.states`` publishes every move of every record (creation included) on two signals,
whose sender is the record's model class:

* ``status_changed(Model, obj=…, event=…)`` — inside the transaction that makes the move. For
  reactions that must commit or roll back with it: audit rows, notification records, outbox jobs
  (``enqueue_after_commit``). A receiver may raise to undo the whole move.
* ``status_committed(Model, event=…)`` — once that transaction has committed, and never if it
  rolled back. For live reactions: socket emits to boards, desks and walls. Receivers get the
  frozen ``StatusEvent`` only (no SQL may run while a commit finishes); what a screen needs is in
  ``event.data``, which the model fills through ``status_data()``.

A domain listens with ``status_changed.connect_via(Order)`` (or ``status_committed``); the
domain that owns the record never needs to know who listens, so no move can be missed.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from blinker import Namespace

log = logging.getLogger(__name__)
_signals = Namespace()
status_changed = _signals.signal("status-changed")
status_committed = _signals.signal("status-committed")


@dataclass(frozen=True)
class StatusEvent:
    """One move of one record, as it will be once committed."""

    object_type: str  # the table name: "customer_order", "hold_ticket", …
    object_id: int
    from_status: str | None  # None: the record was created in ``to_status``
    to_status: str
    at: datetime
    actor_id: int | None
    actor_name: str
    actor_kind: str  # staff, customer, partner, system
    reason: str = ""
    region_id: int | None = None
    change_id: int | None = None  # the status_change row (history) this move wrote
    data: dict[str, Any] = field(default_factory=dict)  # the model's status_data(): what live screens show
    values: dict[str, Any] = field(default_factory=dict)  # the other columns the move set (serial, pickup time…)


def publish_committed(sender: type, event: StatusEvent) -> None:
    """after_commit callback: tell the live listeners; one failing listener does not silence the others."""
    for receiver in status_committed.receivers_for(sender):
        try:
            receiver(sender, event=event)
        except Exception:
            log.exception("status_committed receiver %s failed for %s %s", getattr(receiver, "__name__", receiver),
                          event.object_type, event.object_id)
