"""Messages that must leave exactly once (portal.notify.outbox)."""
from __future__ import annotations

from datetime import datetime
from enum import Enum as PyEnum

from sqlalchemy import DateTime, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from portal.core.models import status_enum
from portal.core.time import utcnow
from portal.extensions import Model


class SentMessageStatus(PyEnum):
    SENDING = "sending"  # written before the send: the message may have left
    SENT = "sent"  # the provider accepted it
    FAILED = "failed"  # the provider refused it, or was never reached: sending again is safe


class SentMessage(Model):
    """One message that must leave exactly once, named by the reason it is sent (portal.notify.outbox)."""

    __tablename__ = "sent_message"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(120), unique=True)  # "order:12:placed", "status_change:345"
    channel: Mapped[str] = mapped_column(String(10), default="email")
    recipient: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(300), default="")
    status: Mapped[SentMessageStatus] = mapped_column(status_enum(SentMessageStatus, length=10))
    provider_id: Mapped[str | None] = mapped_column(String(200))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime)
