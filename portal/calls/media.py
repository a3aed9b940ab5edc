"""What a call keeps with the dossier: snapshots from the live video (checked and re-encoded like ID photos) and the
recording's WebM chunks (checked by content), both encrypted in ``portal.media.storage`` and audited."""
from __future__ import annotations

from typing import BinaryIO

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from portal.calls.models import Call, CallRecordingChunk, CallSnapshot
from portal.core.actors import Actor
from portal.core.audit import audit
from portal.core.errors import Conflict, Invalid, NotFound
from portal.core.time import utcnow
from portal.extensions import db
from portal.media.images import clean_image, read_limited
from portal.media.storage import storage

EBML_MAGIC = b"\x1a\x45\xdf\xa3"  # a WebM (Matroska) file starts with its EBML header
MAX_CHUNK_BYTES = 5 * 1024 * 1024
MAX_SEQ = 100_000


def _in_call(call: Call, agent: Actor) -> None:
    if call.agent_id != agent.id:
        raise NotFound("call_not_found", _("Không tìm thấy cuộc gọi này."))
    if not call.in_call:
        raise Conflict("call_not_in_progress", _("Cuộc gọi không còn diễn ra."))


def add_snapshot(call: Call, agent: Actor, upload: bytes | BinaryIO) -> CallSnapshot:
    """A still from the live video: JPEG/PNG/WebP judged by content, re-encoded without metadata, encrypted."""
    _in_call(call, agent)
    clean = clean_image(upload)
    name = storage().put(clean.data, "call_snapshot")
    try:
        snapshot = CallSnapshot(call_id=call.id, dossier_id=call.dossier_id, agent_id=agent.id, taken_at=utcnow(),
                                storage_name=name, width=clean.width, height=clean.height)
        db.session.add(snapshot)
        db.session.flush()
    except Exception:
        storage().delete(name)
        raise
    audit("call.snapshot", call, actor=agent, detail={"snapshot_id": snapshot.id, "dossier_id": call.dossier_id})
    return snapshot


def add_recording_chunk(call: Call, agent: Actor, seq: int, upload: bytes | BinaryIO) -> CallRecordingChunk:
    """One MediaRecorder chunk (uploaded during the call: a crash loses seconds). The first must be WebM."""
    _in_call(call, agent)
    if not call.recording:
        raise Conflict("recording_off", _("Cuộc gọi này không được ghi hình."))
    if not 0 <= seq <= MAX_SEQ:
        raise Invalid("bad_seq", _("Số thứ tự đoạn ghi hình không hợp lệ."))
    try:
        data = read_limited(upload, MAX_CHUNK_BYTES)
    except Invalid:
        raise Invalid("chunk_invalid", _("Đoạn ghi hình trống hoặc quá lớn (tối đa 5 MB).")) from None
    if seq == 0 and not data.startswith(EBML_MAGIC):
        raise Invalid("not_webm", _("Đoạn ghi hình không phải video WebM."))
    if seq > 0 and db.session.scalar(select(CallRecordingChunk.id).where(
            CallRecordingChunk.call_id == call.id, CallRecordingChunk.seq == 0)) is None:
        raise Invalid("not_webm", _("Đoạn ghi hình đầu tiên (WebM) chưa được gửi."))
    name = storage().put(data, "call_recording")
    try:
        with db.session.begin_nested():
            chunk = CallRecordingChunk(call_id=call.id, seq=seq, storage_name=name, size=len(data),
                                       received_at=utcnow())
            db.session.add(chunk)
    except IntegrityError:
        storage().delete(name)
        raise Conflict("chunk_duplicate", _("Đoạn ghi hình này đã được gửi.")) from None
    if seq == 0:
        audit("call.recording_started", call, actor=agent, detail={"dossier_id": call.dossier_id})
    return chunk


def snapshots_of(dossier_id: int) -> list[CallSnapshot]:
    return list(db.session.scalars(select(CallSnapshot).where(CallSnapshot.dossier_id == dossier_id,
                                                              CallSnapshot.deleted_at.is_(None))
                                   .order_by(CallSnapshot.id)))


def recording_of(call: Call) -> list[CallRecordingChunk]:
    """The call's chunks from 0 on, as long as they follow each other (a gap ends what can be played)."""
    chunks = db.session.scalars(select(CallRecordingChunk).where(
        CallRecordingChunk.call_id == call.id, CallRecordingChunk.deleted_at.is_(None))
        .order_by(CallRecordingChunk.seq)).all()
    playable = []
    for expected, chunk in enumerate(chunks):
        if chunk.seq != expected:
            break
        playable.append(chunk)
    return playable


def purge_of_dossiers(limit: int = 500) -> int:
    """Retention (checklist 34): the snapshots and recordings of dossiers whose photos the dossiers' retention job
    deleted go too; rows stay, marked. Audited once per dossier."""
    from portal.dossiers.models import Dossier

    purged = select(Dossier.id).where(Dossier.media_purged_at.is_not(None))
    shots = db.session.scalars(select(CallSnapshot).where(CallSnapshot.dossier_id.in_(purged),
                                                          CallSnapshot.deleted_at.is_(None)).limit(limit)).all()
    chunks = db.session.scalars(select(CallRecordingChunk).join(Call, Call.id == CallRecordingChunk.call_id).where(
        Call.dossier_id.in_(purged), CallRecordingChunk.deleted_at.is_(None)).limit(limit)).all()
    now = utcnow()
    dossiers: dict[int, int] = {}
    for row, dossier_id in [*((s, s.dossier_id) for s in shots),
                            *((c, db.session.get(Call, c.call_id).dossier_id) for c in chunks)]:
        storage().delete(row.storage_name)  # before the commit: a failed commit leaves rows to mark again
        row.deleted_at = now
        dossiers[dossier_id] = dossiers.get(dossier_id, 0) + 1
    for dossier_id, count in dossiers.items():
        audit("call.media_deleted", db.session.get(Dossier, dossier_id), detail={"objects": count})
    return sum(dossiers.values())
