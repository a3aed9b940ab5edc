"""Who acts: staff, a customer, a sales channel, or the system (a job, a bank's IPN, a carrier's callback).

Services take an ``Actor``; the audit log and the status history name it through ``describe``.
Staff, Customer and Partner rows are actors as they are; outside systems are ``SystemActor``s.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, runtime_checkable


@runtime_checkable
class Actor(Protocol):
    """Anything that can be written down as having made a decision."""

    @property
    def id(self) -> int | None: ...

    @property
    def actor_kind(self) -> str: ...  # staff, customer, partner, system

    @property
    def audit_name(self) -> str: ...


@dataclass(frozen=True)
class SystemActor:
    """A job or an outside system acting on its own; also an actor as recorded (name, id, kind) for the audit log."""

    audit_name: str
    id: int | None = None
    actor_kind: str = "system"


SYSTEM = SystemActor("Hệ thống")


def describe(actor: Actor | None) -> tuple[int | None, str, str]:
    """(id, name, kind) of an actor for the audit log and the status history; None is the system."""
    if actor is None:
        return None, SYSTEM.audit_name, SYSTEM.actor_kind
    name = getattr(actor, "audit_name", None) or getattr(actor, "username", None) or str(actor)
    return getattr(actor, "id", None), name, getattr(actor, "actor_kind", "staff")
