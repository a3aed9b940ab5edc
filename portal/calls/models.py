"""The video-call desk's tables (E-1.5, E-3.5, E-5.1, ACT-8, ESIM-7): calls, the offers that ring agents, the agents'
presence, snapshots and recording chunks of a call, and the region settings admins keep (business hours, holidays,
overflow, recording) with the customers' callback bookings.

Only ``portal.calls.lifecycle`` moves a ``Call`` (``CALL_TRANSITIONS``); routing state lives in these rows, never
only in a socket message: an agent who reconnects is offered the pending call again from ``CallOffer``.
"""
from __future__ import annotations

from datetime import date, datetime, time
from enum import StrEnum
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import Boolean, Date, DateTime, ForeignKey, Index, Integer, SmallInteger, String, Time, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.auth.models import Staff
from portal.core.editing import Versioned
from portal.core.models import status_enum
from portal.core.time import utcnow
from portal.dossiers.models import Dossier
from portal.extensions import db


class CallStatus(StrEnum):
    QUEUED = "queued"  # waiting for an agent
    RINGING = "ringing"  # an offer is out
    CONNECTED = "connected"  # an agent accepted
    DROPPED = "dropped"  # the connection was lost mid-call: resumable until ``resumable_until``
    ENDED = "ended"  # the agent gave the verdict (outcome passed / failed)
    ABANDONED = "abandoned"  # dropped and not resumed in time
    CANCELLED = "cancelled"  # the customer hung up before an agent answered
    EXPIRED = "expired"  # nobody answered within CALL_MAX_WAIT_SECONDS

    @property
    def label(self) -> str:
        return str(CALL_STATUS_LABELS[self])


CALL_STATUS_LABELS = {
    CallStatus.QUEUED: _l("Đang chờ"),
    CallStatus.RINGING: _l("Đang đổ chuông"),
    CallStatus.CONNECTED: _l("Đang gọi"),
    CallStatus.DROPPED: _l("Mất kết nối"),
    CallStatus.ENDED: _l("Đã kết thúc"),
    CallStatus.ABANDONED: _l("Bỏ dở"),
    CallStatus.CANCELLED: _l("Khách đã hủy"),
    CallStatus.EXPIRED: _l("Hết thời gian chờ"),
}

CALL_TRANSITIONS = {
    CallStatus.QUEUED: {CallStatus.RINGING, CallStatus.CANCELLED, CallStatus.EXPIRED},
    CallStatus.RINGING: {CallStatus.QUEUED, CallStatus.CONNECTED, CallStatus.CANCELLED, CallStatus.EXPIRED},
    CallStatus.CONNECTED: {CallStatus.ENDED, CallStatus.DROPPED},
    CallStatus.DROPPED: {CallStatus.CONNECTED, CallStatus.ENDED, CallStatus.ABANDONED},
}
LIVE = frozenset({CallStatus.QUEUED, CallStatus.RINGING, CallStatus.CONNECTED, CallStatus.DROPPED})
WAITING = frozenset({CallStatus.QUEUED, CallStatus.RINGING})
IN_CALL = frozenset({CallStatus.CONNECTED, CallStatus.DROPPED})
LIVE_SQL = "status IN ('queued', 'ringing', 'connected', 'dropped')"  # the one-live-call index's predicate
PENDING_SQL = "outcome = 'pending'"  # the one-ring-per-agent index's predicate

# The verdict catalogue: why a call failed (the customer is told the label).
FAIL_REASONS: tuple[tuple[str, Any], ...] = (
    ("face_mismatch", _l("Khuôn mặt không khớp ảnh giấy tờ")),
    ("document_unclear", _l("Giấy tờ không rõ hoặc không phải bản gốc")),
    ("not_live", _l("Không xác định được người thật đang gọi")),
    ("details_mismatch", _l("Thông tin khách nói không khớp hồ sơ")),
    ("customer_absent", _l("Khách không có mặt trước camera")),
    ("poor_connection", _l("Đường truyền kém, không xác minh được")),
    ("other", _l("Lý do khác")),
)
FAIL_REASON_LABELS = dict(FAIL_REASONS)
NOTE_REQUIRED = frozenset({"other"})

WRAP_UP_OUTCOMES: tuple[tuple[str, Any], ...] = (
    ("verified", _l("Đã xác minh xong")),
    ("follow_up", _l("Cần gọi lại khách")),
    ("technical", _l("Sự cố kỹ thuật")),
    ("no_show", _l("Khách không tham gia")),
    ("other", _l("Khác")),
)


class OfferOutcome(StrEnum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    MISSED = "missed"  # not answered within CALL_RING_SECONDS, or declined
    WITHDRAWN = "withdrawn"  # the call was taken by another agent, or the customer hung up


class PresenceStatus(StrEnum):
    AVAILABLE = "available"
    PAUSED = "paused"
    OFFLINE = "offline"

    @property
    def label(self) -> str:
        return str({PresenceStatus.AVAILABLE: _l("Sẵn sàng"), PresenceStatus.PAUSED: _l("Tạm nghỉ"),
                    PresenceStatus.OFFLINE: _l("Ngoại tuyến")}[self])


class Call(db.Model):
    """One video call of a dossier: asked for by the customer, routed to an agent of the region, decided."""

    __tablename__ = "call"
    audit_as = "call"
    __table_args__ = (
        # One live call per dossier: a customer calling from two tabs gets the one call.
        Index("uq_call_live_dossier", "dossier_id", unique=True, sqlite_where=text(LIVE_SQL),
              postgresql_where=text(LIVE_SQL)),
        Index("ix_call_region_status_requested", "region_id", "status", "requested_at"),
        Index("ix_call_agent_answered", "agent_id", "answered_at"),
        Index("ix_call_requested", "requested_at"),  # reports (migration 0022_reports)
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossier.id"), index=True)
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customer.id"), index=True)
    region_id: Mapped[int] = mapped_column(ForeignKey("region.id"))  # the dossier's, or the overflow region
    home_region_id: Mapped[int] = mapped_column(ForeignKey("region.id"))  # the dossier's region
    status: Mapped[CallStatus] = mapped_column(status_enum(CallStatus), default=CallStatus.QUEUED)
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    channel: Mapped[str] = mapped_column(String(10), default="web")  # web, app
    requested_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    offered_at: Mapped[datetime | None] = mapped_column(DateTime)
    answered_at: Mapped[datetime | None] = mapped_column(DateTime)
    ended_at: Mapped[datetime | None] = mapped_column(DateTime)
    overflowed_at: Mapped[datetime | None] = mapped_column(DateTime)
    outcome: Mapped[str] = mapped_column(String(20), default="")  # passed, failed, abandoned, cancelled, expired
    reason_code: Mapped[str] = mapped_column(String(30), default="")
    note: Mapped[str] = mapped_column(String(500), default="")
    resumable_until: Mapped[datetime | None] = mapped_column(DateTime)
    recording: Mapped[bool] = mapped_column(Boolean, default=False)
    wrap_up_outcome: Mapped[str] = mapped_column(String(20), default="")
    wrap_up_note: Mapped[str] = mapped_column(String(500), default="")
    wrap_up_done_at: Mapped[datetime | None] = mapped_column(DateTime)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)

    dossier: Mapped[Dossier] = relationship()
    agent: Mapped[Staff | None] = relationship()

    @property
    def status_label(self) -> str:
        return self.status.label

    @property
    def is_live(self) -> bool:
        return self.status in LIVE

    @property
    def is_waiting(self) -> bool:
        return self.status in WAITING

    @property
    def in_call(self) -> bool:
        return self.status in IN_CALL

    @property
    def is_connected(self) -> bool:
        return self.status == CallStatus.CONNECTED

    @property
    def is_dropped(self) -> bool:
        return self.status == CallStatus.DROPPED

    @property
    def passed(self) -> bool | None:
        return {"passed": True, "failed": False}.get(self.outcome)

    @property
    def reason_label(self) -> str:
        return str(FAIL_REASON_LABELS.get(self.reason_code, "")) if self.reason_code else ""

    @property
    def needs_wrap_up(self) -> bool:
        return self.agent_id is not None and not self.is_live and self.wrap_up_done_at is None

    @property
    def room(self) -> str:
        return f"call:{self.id}"

    def status_data(self) -> dict[str, Any]:
        return {"region_id": self.region_id, "dossier_id": self.dossier_id, "agent_id": self.agent_id,
                "customer_id": self.customer_id}


class CallOffer(db.Model):
    """One ring of one agent for one call; the ring timeout marks it missed (job and sweep)."""

    __tablename__ = "call_offer"
    __table_args__ = (
        # An agent is rung for one call at a time (two routers racing pick different agents).
        Index("uq_call_offer_pending_agent", "agent_id", unique=True, sqlite_where=text(PENDING_SQL),
              postgresql_where=text(PENDING_SQL)),
        Index("ix_call_offer_outcome_expires", "outcome", "expires_at"),
        Index("ix_call_offer_offered", "offered_at"),  # reports (migration 0022_reports)
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    call_id: Mapped[int] = mapped_column(ForeignKey("call.id"), index=True)
    agent_id: Mapped[int] = mapped_column(ForeignKey("staff.id"))
    offered_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime)
    outcome: Mapped[OfferOutcome] = mapped_column(status_enum(OfferOutcome), default=OfferOutcome.PENDING)
    decided_at: Mapped[datetime | None] = mapped_column(DateTime)

    call: Mapped[Call] = relationship()

    @property
    def is_pending(self) -> bool:
        return self.outcome == OfferOutcome.PENDING


class AgentPresence(db.Model):
    """An agent's state on the desk: who may be rung, and who waited longest since their last call."""

    __tablename__ = "call_agent_presence"
    __table_args__ = (Index("ix_call_agent_presence_region_status", "region_id", "status"),)

    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id"), primary_key=True)
    region_id: Mapped[int] = mapped_column(ForeignKey("region.id"))
    status: Mapped[PresenceStatus] = mapped_column(status_enum(PresenceStatus), default=PresenceStatus.OFFLINE)
    since: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    last_call_ended_at: Mapped[datetime | None] = mapped_column(DateTime)
    wrap_up_call_id: Mapped[int | None] = mapped_column(ForeignKey("call.id"))
    devices_checked_at: Mapped[datetime | None] = mapped_column(DateTime)

    @property
    def is_available(self) -> bool:
        return self.status == PresenceStatus.AVAILABLE


class CallSnapshot(db.Model):
    """A still from the live video, saved with the dossier (encrypted, like ID photos)."""

    __tablename__ = "call_snapshot"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    call_id: Mapped[int] = mapped_column(ForeignKey("call.id"), index=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossier.id"), index=True)
    agent_id: Mapped[int] = mapped_column(ForeignKey("staff.id"))
    taken_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    storage_name: Mapped[str] = mapped_column(String(80), unique=True)
    width: Mapped[int] = mapped_column(Integer, default=0)
    height: Mapped[int] = mapped_column(Integer, default=0)
    deleted_at: Mapped[datetime | None] = mapped_column(DateTime)  # purged with the dossier's photos (retention)


class CallRecordingChunk(db.Model):
    """One WebM chunk of a call's recording (MediaRecorder's timeslice), in order by ``seq``."""

    __tablename__ = "call_recording_chunk"
    __table_args__ = (Index("uq_call_recording_chunk_seq", "call_id", "seq", unique=True),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    call_id: Mapped[int] = mapped_column(ForeignKey("call.id"))
    seq: Mapped[int] = mapped_column(Integer)
    storage_name: Mapped[str] = mapped_column(String(80), unique=True)
    size: Mapped[int] = mapped_column(Integer)
    received_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    deleted_at: Mapped[datetime | None] = mapped_column(DateTime)  # purged with the dossier's photos (retention)


class RegionCallSettings(Versioned, db.Model):
    """Per region (admins): overflow to a backup region after a delay, and whether calls are recorded."""

    __tablename__ = "call_region_settings"

    region_id: Mapped[int] = mapped_column(ForeignKey("region.id"), primary_key=True)
    backup_region_id: Mapped[int | None] = mapped_column(ForeignKey("region.id"))
    overflow_after_seconds: Mapped[int] = mapped_column(Integer, default=120)
    recording: Mapped[bool] = mapped_column(Boolean, default=False)


class RoutingRule(Versioned, db.Model):
    """Admins' rule: dossiers of this province and/or sales channel are served by this region's desk (the first
    matching rule by priority; none: the dossier's own region, from the customer's address)."""

    __tablename__ = "call_routing_rule"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    province: Mapped[str] = mapped_column(String(80), default="")  # "" = any province
    channel: Mapped[str] = mapped_column(String(40), default="")  # the ticket's channel: web, app, partner:<id>; ""
    region_id: Mapped[int] = mapped_column(ForeignKey("region.id"))
    priority: Mapped[int] = mapped_column(Integer, default=100)  # lower first

    def matches(self, province: str, channel: str) -> bool:
        return (not self.province or self.province == province) and (not self.channel or self.channel == channel)


class BusinessHours(Versioned, db.Model):
    """When a region's desk answers, per weekday (0 = Monday), Vietnam time. No rows for a region: always open."""

    __tablename__ = "call_business_hours"
    __table_args__ = (Index("uq_call_business_hours", "region_id", "weekday", unique=True),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    region_id: Mapped[int] = mapped_column(ForeignKey("region.id"))
    weekday: Mapped[int] = mapped_column(SmallInteger)
    opens: Mapped[time] = mapped_column(Time)
    closes: Mapped[time] = mapped_column(Time)


class Holiday(Versioned, db.Model):
    """A day the desk is closed: for one region, or for all (``region_id`` empty)."""

    __tablename__ = "call_holiday"
    __table_args__ = (Index("ix_call_holiday_day", "day"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    region_id: Mapped[int | None] = mapped_column(ForeignKey("region.id"))
    day: Mapped[date] = mapped_column(Date)
    label: Mapped[str] = mapped_column(String(120), default="")


class CallbackBooking(db.Model):
    """The customer's chosen slot for a callback while the desk was closed."""

    __tablename__ = "call_callback_booking"
    __table_args__ = (Index("ix_call_callback_region_slot", "region_id", "slot_start"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossier.id"), index=True)
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customer.id"))
    region_id: Mapped[int] = mapped_column(ForeignKey("region.id"))
    slot_start: Mapped[datetime] = mapped_column(DateTime)  # UTC
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    cancelled_at: Mapped[datetime | None] = mapped_column(DateTime)

    dossier: Mapped[Dossier] = relationship()
