"""The number inventory: one row per phone number, with what search needs precomputed."""
from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    func,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from portal.core.editing import Versioned
from portal.core.models import status_enum
from portal.core.time import utcnow
from portal.extensions import Model


class NumberStatus(StrEnum):
    AVAILABLE = "available"
    HELD = "held"
    SOLD = "sold"
    LOCKED = "locked"

    @property
    def label(self) -> str:
        return str(NUMBER_STATUS_LABELS[self])


NUMBER_STATUS_LABELS = {
    NumberStatus.AVAILABLE: _l("Sẵn sàng"),
    NumberStatus.HELD: _l("Đang giữ"),
    NumberStatus.SOLD: _l("Đã bán"),
    NumberStatus.LOCKED: _l("Khóa"),
}


class PhoneNumber(Model):
    """A number on one of the operator's prefixes.

    Search by conditions reads the in-memory index (portal/numbers/index.py), which catches up
    through ``updated_at``; ``fs_key`` packs what the feng-shui score depends on. Status changes
    only through portal.holds.services (conditional updates, never check-then-act).
    """

    __tablename__ = "phone_number"
    __table_args__ = (
        Index("ix_phone_number_status_number", "status", "number"),
        Index("ix_phone_number_status_fs", "status", "fs_key", "price", "number"),
        # Sim đôi khác đầu số: numbers sharing their last seven digits (see services.add_pairs_since).
        Index("ix_phone_number_tail7", func.substr(text("number"), 4)),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[str] = mapped_column(String(10), unique=True)
    status: Mapped[NumberStatus] = mapped_column(status_enum(NumberStatus), default=NumberStatus.AVAILABLE)
    price: Mapped[int] = mapped_column(BigInteger)  # VND: a ngũ quý can cost more than 2^31
    price_is_custom: Mapped[bool] = mapped_column(Boolean, default=False)  # else follows the class's price tier
    number_class: Mapped[str] = mapped_column(String(16))  # the most valuable class (portal.numbers.classes)
    classes: Mapped[str] = mapped_column(String(160), default="")  # every class, space-separated
    beauty: Mapped[int] = mapped_column(Integer)
    fs_key: Mapped[int] = mapped_column(Integer)
    region_id: Mapped[int | None] = mapped_column(ForeignKey("region.id"))  # home region
    hold_ticket_id: Mapped[int | None] = mapped_column(ForeignKey("hold_ticket.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    # Every change stamps it (also through Core update(): onupdate), so the search index can catch up.
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow, index=True)


class PriceTier(Versioned, Model):
    """The default price of a class; admins change it, and numbers without a custom price follow."""

    __tablename__ = "price_tier"

    number_class: Mapped[str] = mapped_column(String(16), primary_key=True)
    price: Mapped[int] = mapped_column(BigInteger)  # VND
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)

    @property
    def id(self) -> str:
        """What the audit log names it by: its class."""
        return self.number_class


class ImportStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"

    @property
    def label(self) -> str:
        return str(IMPORT_STATUS_LABELS[self])


IMPORT_STATUS_LABELS = {
    ImportStatus.QUEUED: _l("Đang chờ"),
    ImportStatus.RUNNING: _l("Đang nhập"),
    ImportStatus.DONE: _l("Đã xong"),
    ImportStatus.FAILED: _l("Không nhập được"),
}
IMPORT_TRANSITIONS = {
    ImportStatus.QUEUED: {ImportStatus.RUNNING, ImportStatus.FAILED},
    ImportStatus.RUNNING: {ImportStatus.DONE, ImportStatus.FAILED},
}


class NumberImport(Model):
    """A CSV confirmed on the web, imported by a job in batches (portal.numbers.imports); its progress."""

    __tablename__ = "number_import"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    status: Mapped[ImportStatus] = mapped_column(status_enum(ImportStatus), default=ImportStatus.QUEUED)
    filename: Mapped[str] = mapped_column(String(120), default="")
    total: Mapped[int] = mapped_column(Integer, default=0)  # data rows in the file (from the preview)
    done: Mapped[int] = mapped_column(Integer, default=0)  # rows read and committed: a rerun resumes after them
    added: Mapped[int] = mapped_column(Integer, default=0)
    skipped: Mapped[int] = mapped_column(Integer, default=0)
    error_count: Mapped[int] = mapped_column(Integer, default=0)
    errors: Mapped[list] = mapped_column(JSON, default=list)  # the first rows refused: {line, value, message}
    # The uploaded file, kept for the job (the worker may run on another machine); emptied when the import ends.
    content: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)
    message: Mapped[str | None] = mapped_column(String(300))  # why it failed
    created_by: Mapped[int] = mapped_column(ForeignKey("staff.id"))
    created_by_name: Mapped[str] = mapped_column(String(80), default="")  # the audit's actor when the job ends
    region_id: Mapped[int] = mapped_column(ForeignKey("region.id"))  # the importer's: 0 head office, else their CTKV
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(DateTime)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime)

    @property
    def finished(self) -> bool:
        return self.status in (ImportStatus.DONE, ImportStatus.FAILED)

    @property
    def is_done(self) -> bool:
        return self.status == ImportStatus.DONE

    @property
    def is_failed(self) -> bool:
        return self.status == ImportStatus.FAILED

    @property
    def percent(self) -> int:
        if self.status == ImportStatus.DONE:
            return 100
        return min(99, self.done * 100 // self.total) if self.total else 0


class PairKind(StrEnum):
    PREFIX = "prefix"  # same last seven digits, different prefix (0903 123456 / 0933 123456)
    DIGIT = "digit"  # one digit apart (0903 123456 / 0903 123457)

    @property
    def label(self) -> str:
        return str({PairKind.PREFIX: _l("Khác đầu số"), PairKind.DIGIT: _l("Khác một chữ số")}[self])


class NumberPair(Model):
    """A sim đôi / sim cặp: computed when numbers enter the inventory (digits never change)."""

    __tablename__ = "number_pair"
    __table_args__ = (Index("uq_number_pair", "first_id", "second_id", unique=True),
                      Index("ix_number_pair_kind", "kind", "id"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    first_id: Mapped[int] = mapped_column(ForeignKey("phone_number.id"))
    second_id: Mapped[int] = mapped_column(ForeignKey("phone_number.id"), index=True)
    kind: Mapped[PairKind] = mapped_column(status_enum(PairKind, length=8))


class SearchCount(Model):
    """Searches per Vietnam-local day and channel ("web", "app", "partner:<id>"): the partners report's first
    column. One row a day and channel, bumped by ``portal.numbers.search_counts.count_search`` (an upsert)."""

    __tablename__ = "search_count"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    channel: Mapped[str] = mapped_column(String(40), primary_key=True)
    n: Mapped[int] = mapped_column(BigInteger, default=0)
