"""Admins' texts of the messages the portal sends, over the defaults in the code (portal.messages.registry)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from portal.core.editing import Versioned
from portal.core.time import utcnow
from portal.extensions import Model


class MessageOverride(Versioned, Model):
    """An admin's text of one template; no row: the default is sent. Reset to default deletes the row."""

    __tablename__ = "message_override"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    template_id: Mapped[str] = mapped_column(String(60), unique=True)
    subject: Mapped[str] = mapped_column(String(300), default="")  # e-mail only
    body: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)
    updated_by: Mapped[str] = mapped_column(String(80), default="")
