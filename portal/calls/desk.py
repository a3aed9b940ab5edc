"""The agent's desk (/desk, E-5.1): presence, the ring, the call beside the dossier (details, ID photos and portrait
through the dossiers' audited photo route, eKYC scores and cross-checks), snapshots, the recording's chunks, the
verdict and the wrap-up, the day's figures. Agents act; supervisors and admins of the region read. Every look at a
dossier or a snapshot is audited; snapshots are served only to staff of the dossier's region, never cached."""
from __future__ import annotations

import random
from typing import Any

from flask import Blueprint, Response, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from portal.calls import lifecycle, media, queries, units
from portal.calls.models import FAIL_REASONS, WRAP_UP_OUTCOMES, Call, CallSnapshot, PresenceStatus
from portal.calls.turn import ice_servers
from portal.core.access import allow, get_in_region_or_404
from portal.core.digits import is_ascii_digits
from portal.core.errors import Invalid, NotFound, wants_json
from portal.core.roles import Role
from portal.core.security import body_limit
from portal.dossiers import lifecycle as dossiers
from portal.dossiers import queries as dossier_queries
from portal.dossiers.models import DossierMedia, PhotoKind
from portal.dossiers.staff import cross_checks
from portal.extensions import db
from portal.media.crypto import DecryptError
from portal.media.storage import MediaNotFound, storage

bp = Blueprint("desk", __name__, url_prefix="/desk")
READERS = (Role.AGENT, Role.SUPERVISOR, Role.ADMIN)
ACTORS = (Role.AGENT, Role.ADMIN)  # admins may use every staff route (and take calls)
PHOTO_READERS = (Role.AGENT, Role.CONNECTION, Role.SUPERVISOR, Role.ADMIN)
UPLOAD_OVERHEAD = 64 * 1024
# The short checklist the agent works through, shown in a random order each call (E-5.1).
QUESTIONS = (
    _l("Đề nghị khách đưa mặt trước giấy tờ gốc lên gần camera."),
    _l("Đề nghị khách đưa mặt sau giấy tờ gốc lên gần camera."),
    _l("Hỏi họ tên và ngày sinh của khách."),
    _l("Hỏi địa chỉ thường trú của khách."),
    _l("Đề nghị khách quay đầu sang trái rồi sang phải."),
    _l("Hỏi số điện thoại khách đã chọn."),
    _l("Xác nhận khách tự đăng ký, không ai hướng dẫn hay ép buộc."),
)


def _ok_or_error(fn, *args: Any) -> tuple[Any, Any]:
    """Run a move and commit; a refusal rolls back and is answered as JSON (scripts) or a flash (forms)."""
    result, exc = units.attempt(fn, *args)
    if exc is None:
        return result, None
    if wants_json():
        return None, (jsonify(error={"code": exc.code, "message": exc.message}), exc.status)
    flash(exc.message, "danger")
    return None, redirect(url_for("desk.index"))


def _my_call(call_id: int) -> Call:
    call = db.session.get(Call, call_id)
    if call is None or call.agent_id != current_user.id:
        raise NotFound("call_not_found", _("Không tìm thấy cuộc gọi này."))
    return call


def panel_context(call: Call | None) -> dict[str, Any]:
    """The dossier beside the video: details, photos, the last eKYC run and the cross-checks (audited)."""
    if call is None:
        return {"dossier": None, "panel_call": None}
    dossier = call.dossier
    dossiers.audit_view(dossier, "desk_view", call_id=call.id)
    run = dossier_queries.last_run(dossier)
    source, rows = cross_checks(dossier, run)
    questions = list(QUESTIONS)
    random.shuffle(questions)
    return {"panel_call": call, "dossier": dossier, "run": run, "cross_source": source, "cross": rows,
            "kinds": list(PhotoKind), "snapshots": media.snapshots_of(dossier.id), "questions": questions}


@bp.get("")
@allow(*READERS)
def index():
    agent_id = current_user.id
    live = queries.agent_live_call(agent_id)
    wrap = queries.wrap_up_call(agent_id)
    presence = queries.presence_of(agent_id)
    return render_template(
        "calls/desk.html", presence=presence.status if presence else PresenceStatus.OFFLINE,
        statuses=list(PresenceStatus), offer=queries.pending_offer(agent_id), call=live, wrap_call=wrap,
        figures=queries.figures(agent_id), reasons=FAIL_REASONS, outcomes=WRAP_UP_OUTCOMES,
        waiting=queries.region_waiting(current_user.region_id), callbacks=queries.callbacks(current_user.region_id),
        is_agent=current_user.role in ACTORS,
        ice_servers=ice_servers(f"staff-{agent_id}"), **panel_context(live or wrap))


@bp.get("/calls/<int:call_id>/panel")
@allow(*ACTORS)
def panel(call_id: int):
    """The dossier panel as an HTML fragment, for the desk's script once a call is accepted."""
    return render_template("calls/_dossier_panel.html", reasons=FAIL_REASONS, **panel_context(_my_call(call_id)))


@bp.post("/presence")
@allow(*ACTORS)
def presence():
    status = next((s for s in PresenceStatus if s.value == request.form.get("status")), None)
    if status is None:
        _none, error = _ok_or_error(_bad, "bad_status", _("Trạng thái không hợp lệ."))
        return error
    devices_ok = request.form.get("devices_ok") in ("1", "true", "on")
    _row, error = _ok_or_error(lifecycle.set_presence, current_user._get_current_object(), status, devices_ok)
    if error:
        return error
    return jsonify(ok=True, status=status.value) if wants_json() else redirect(url_for("desk.index"))


def _bad(code: str, message: str) -> None:
    raise Invalid(code, message)


@bp.post("/calls/<int:call_id>/snapshot")
@body_limit("MEDIA_MAX_UPLOAD_BYTES", UPLOAD_OVERHEAD)
@allow(*ACTORS)
def snapshot(call_id: int):
    call = _my_call(call_id)
    upload = request.files.get("image")
    if upload is None:
        raise Invalid("image_empty", _("Thiếu ảnh chụp (trường “image”)."))
    shot, error = _ok_or_error(media.add_snapshot, call, current_user._get_current_object(), upload.stream)
    return error or jsonify(id=shot.id, url=url_for("desk.snapshot_image", call_id=call.id, snapshot_id=shot.id))


@bp.post("/calls/<int:call_id>/recording")
@body_limit("MEDIA_MAX_UPLOAD_BYTES", UPLOAD_OVERHEAD)
@allow(*ACTORS)
def recording(call_id: int):
    call = _my_call(call_id)
    upload = request.files.get("chunk")
    seq = request.form.get("seq", "")
    if upload is None or not is_ascii_digits(seq):
        raise Invalid("chunk_invalid", _("Thiếu đoạn ghi hình hoặc số thứ tự."))
    _chunk, error = _ok_or_error(media.add_recording_chunk, call, current_user._get_current_object(), int(seq),
                                 upload.stream)
    return error or jsonify(ok=True)


@bp.post("/calls/<int:call_id>/verdict")
@allow(*ACTORS)
def verdict(call_id: int):
    call = _my_call(call_id)
    passed = request.form.get("passed") == "1"
    _none, error = _ok_or_error(lifecycle.finish, call, current_user._get_current_object(), passed,
                                request.form.get("reason", ""), request.form.get("note", ""))
    if error:
        return error
    if wants_json():
        return jsonify(ok=True, status=call.status.value, outcome=call.outcome)
    flash(_("Đã ghi kết quả xác minh. Vui lòng hoàn tất ghi chú cuộc gọi."), "success")
    return redirect(url_for("desk.index"))


@bp.post("/calls/<int:call_id>/wrap-up")
@allow(*ACTORS)
def wrap_up(call_id: int):
    call = _my_call(call_id)
    _none, error = _ok_or_error(lifecycle.wrap_up, call, current_user._get_current_object(),
                                request.form.get("outcome", ""), request.form.get("note", ""))
    if error:
        return error
    if wants_json():
        return jsonify(ok=True, figures=queries.figures(current_user.id))
    flash(_("Đã lưu ghi chú cuộc gọi."), "success")
    return redirect(url_for("desk.index"))


@bp.get("/turn")
@allow(*READERS)
def turn():
    return jsonify(iceServers=ice_servers(f"staff-{current_user.id}"))


def _viewable_call(call_id: int) -> Call:
    """The call's own agent (whatever their region: an overflowed call is answered by the backup region), or staff
    of the dossier's region; anyone else: 404 with an audit row."""
    call = db.session.get(Call, call_id)
    if call is None:
        abort(404)
    if call.agent_id == current_user.id:
        return call
    return get_in_region_or_404(Call, call_id, region_of=lambda c: c.dossier.region_id)


def _private_image(data: bytes) -> Response:
    response = Response(data, mimetype="image/jpeg")
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def _stored(name: str) -> bytes:
    try:
        return storage().get(name)
    except (MediaNotFound, DecryptError):
        abort(404)


@bp.get("/calls/<int:call_id>/photos/<int:media_id>")
@allow(*PHOTO_READERS)
def photo(call_id: int, media_id: int):
    """An ID photo or the portrait of the call's dossier, for the desk: decrypted for this response only, audited."""
    call = _viewable_call(call_id)
    media = db.session.get(DossierMedia, media_id)
    if media is None or media.dossier_id != call.dossier_id or not media.is_current:
        abort(404)
    data = _stored(media.storage_name)
    dossiers.audit_view(call.dossier, "photo_view", kind=media.kind.value, media_id=media.id, call_id=call.id)
    return _private_image(data)


@bp.get("/calls/<int:call_id>/snapshots/<int:snapshot_id>")
@allow(*PHOTO_READERS)
def snapshot_image(call_id: int, snapshot_id: int):
    """A snapshot, decrypted for this response only: never cached, audited."""
    call = _viewable_call(call_id)
    shot = db.session.get(CallSnapshot, snapshot_id)
    if shot is None or shot.call_id != call.id or shot.deleted_at is not None:
        abort(404)
    data = _stored(shot.storage_name)
    dossiers.audit_view(call.dossier, "snapshot_view", call_id=call.id, snapshot_id=shot.id)
    return _private_image(data)


@bp.get("/calls/<int:call_id>/recording.webm")
@allow(*PHOTO_READERS)
def recording_video(call_id: int):
    """The call's recording (its chunks in order), decrypted while it is sent: never cached, audited."""
    call = _viewable_call(call_id)
    chunks = media.recording_of(call)
    if not chunks:
        abort(404)
    names = [c.storage_name for c in chunks]
    dossiers.audit_view(call.dossier, "recording_view", call_id=call.id, chunks=len(names))
    store = storage()

    def stream():
        for name in names:
            yield store.get(name)

    response = Response(stream(), mimetype="video/webm")
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
