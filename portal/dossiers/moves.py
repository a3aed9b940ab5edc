"""The two primitives every named move of a dossier uses (``lifecycle``, ``signing``, ``review``, ``results``): a
status move through the domain's transition table, and a line of the timeline with its SPEC step id."""
from __future__ import annotations

from typing import Any

from portal.core.actors import Actor, describe
from portal.core.states import transition
from portal.core.time import utcnow
from portal.dossiers.models import DOSSIER_TRANSITIONS, Dossier, DossierStatus, DossierStep, StepAction
from portal.extensions import db


def move(dossier: Dossier, to: DossierStatus, actor: Actor | None, reason: str = "", **values: Any) -> None:
    transition(dossier, to, actor, DOSSIER_TRANSITIONS, reason, **values)


def step(dossier: Dossier, action: StepAction, actor: Actor | None, step_id: str = "", note: str = "") -> None:
    """One line of the timeline: what happened, its SPEC step id, who and when."""
    actor_id, actor_name, actor_kind = describe(actor)
    db.session.add(DossierStep(dossier_id=dossier.id, at=utcnow(), step=step_id, action=action, actor_id=actor_id,
                               actor_name=actor_name[:80], actor_kind=actor_kind, note=note[:500]))
