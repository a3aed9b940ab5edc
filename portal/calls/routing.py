"""Whom a waiting call rings: the longest-idle available agent of the call's region with no wrap-up pending, no
ring out and no live call; after the region's overflow delay, the backup region's. Read-only: the moves are in
``portal.calls.lifecycle``."""
from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import exists, func, select

from portal.calls import reference
from portal.calls.models import (
    IN_CALL,
    AgentPresence,
    Call,
    CallOffer,
    OfferOutcome,
    PresenceStatus,
    RegionCallSettings,
)
from portal.core.time import utcnow
from portal.extensions import db


def region_for(dossier: Any) -> int:
    """Whose desk serves the dossier: the first admins' rule matching its province and its ticket's channel, else
    the dossier's region (the customer's address, province → CTKV). The rules: the process's copy."""
    rules = reference.current().rules
    if not rules:
        return dossier.region_id
    channel = dossier.ticket.channel if dossier.ticket and any(r.channel for r in rules) else ""
    return next((r.region_id for r in rules if r.matches(dossier.province, channel)), dossier.region_id)


def candidates(call: Call | None, region_id: int, skip_tried: bool = True) -> list[int]:
    """Staff ids, longest idle first (never-called agents first, then by when they last ended a call); ``call``
    None: for a call not written yet (nobody tried)."""
    busy_offer = exists().where(CallOffer.agent_id == AgentPresence.staff_id,
                                CallOffer.outcome == OfferOutcome.PENDING)
    busy_call = exists().where(Call.agent_id == AgentPresence.staff_id, Call.status.in_(IN_CALL))
    stmt = (select(AgentPresence.staff_id)
            .where(AgentPresence.region_id == region_id, AgentPresence.status == PresenceStatus.AVAILABLE,
                   AgentPresence.wrap_up_call_id.is_(None), ~busy_offer, ~busy_call)
            .order_by(func.coalesce(AgentPresence.last_call_ended_at, AgentPresence.since).asc(),
                      AgentPresence.staff_id))
    if skip_tried and call is not None:
        tried = exists().where(CallOffer.call_id == call.id, CallOffer.agent_id == AgentPresence.staff_id)
        stmt = stmt.where(~tried)
    return list(db.session.scalars(stmt.limit(20)))


def pick_agents(call: Call) -> list[int]:
    """Agents to try in order: those not yet rung for this call, else (everyone missed it) anyone available. An
    overflowed call may still be taken by its home region, whose agents come first."""
    regions = [call.home_region_id, call.region_id] if call.overflowed_at else [call.region_id]
    for skip_tried in (True, False):
        for region_id in regions:
            found = candidates(call, region_id, skip_tried)
            if found:
                return found
    return []


def settings_of(region_id: int) -> RegionCallSettings | None:
    return db.session.get(RegionCallSettings, region_id)


def overflow_to(call: Call) -> int | None:
    """The backup region, once the call has waited the home region's overflow delay (None: stay)."""
    if call.overflowed_at is not None:
        return None
    settings = settings_of(call.home_region_id)
    if settings is None or settings.backup_region_id is None:
        return None
    if utcnow() - call.requested_at < timedelta(seconds=settings.overflow_after_seconds):
        return None
    return settings.backup_region_id


def recording_on(region_id: int) -> bool:
    settings = settings_of(region_id)
    return bool(settings and settings.recording)
