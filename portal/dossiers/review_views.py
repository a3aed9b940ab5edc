"""The connection team's review queue (/review, ACT-11, ESIM-10): tabs with counts, filters and ages; the review
page with everything side by side; claim, release, assign, approve, reject, ask for parts again, notes.

The connection team decides; supervisors and admins read (supervisors also assign). Region-scoped: another
region's dossier is a 404 with an audit row; every look at the page, a photo or an artefact is audited. The list
stays live through Socket.IO (``portal.dossiers.sockets``, static/js/live-list.js).
"""
from __future__ import annotations

from flask import Blueprint, Response, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal.core.access import allow, get_in_region_or_404
from portal.core.digits import whole_number
from portal.core.errors import PortalError, wants_json
from portal.core.roles import Role
from portal.dossiers import lifecycle, queries, reasons, review, review_queries, signing
from portal.dossiers.models import Dossier, PhotoKind
from portal.dossiers.review_models import DocKind
from portal.dossiers.sockets import READERS
from portal.dossiers.staff import cross_checks
from portal.extensions import db
from portal.media.crypto import DecryptError
from portal.media.storage import MediaNotFound, storage

bp = Blueprint("review", __name__, url_prefix="/review")
READ = tuple(READERS)
DECIDE = (Role.CONNECTION, Role.ADMIN)  # admins may use every staff route (tests/core/test_access_matrix.py)
NOTE = (Role.CONNECTION, Role.SUPERVISOR, Role.ADMIN)


def _list_context() -> dict:
    f = review_queries.parse_filters(request.args)
    rows = review_queries.tab_page(f, current_user.id)
    return {"f": f, "tabs": list(review_queries.Tab), "counts": review_queries.tab_counts(f, current_user.id),
            "count_label": review_queries.count_label,
            "rows": rows, "holders": review_queries.holders(rows), "age_of": review_queries.age_of,
            "live": review.claim_is_live, "waiting": review_queries.waiting_count(current_user),
            "sim_types": list(review_queries.SimType), "channels": list(review_queries.Channel)}


@bp.get("/")
@allow(*READ)
def index():
    """The queue: new / mine / waiting for mSale / rejected / done, with counts, filters and each item's age."""
    return render_template("dossiers/review/index.html", **_list_context())


@bp.get("/_list")
@allow(*READ)
def list_partial():
    """The tabs and rows only: what the page re-reads when the socket says the queue moved."""
    return render_template("dossiers/review/_list.html", **_list_context())


def _render(dossier: Dossier, error: str = "", status: int = 200):
    run = queries.last_run(dossier)
    source, rows = cross_checks(dossier, run)
    context = review_queries.review_context(dossier)
    docs = {kind: signing.document(dossier, kind) for kind in DocKind}
    response = render_template(
        "dossiers/review/review.html", dossier=dossier, run=run, cross_source=source, cross=rows,
        timeline=queries.timeline(dossier), runs=queries.runs(dossier), kinds=list(PhotoKind), docs=docs,
        doc_kinds=DocKind, ctx=context,
        reasons=reasons.reasons(active_only=True), parts=review.redo_parts_for(dossier),
        age=review_queries.age_of(dossier),
        changes=signing.changes_since_decision(dossier) if dossier.is_resubmission else [],
        live=review.claim_is_live(dossier), holder=review_queries.holders([dossier]).get(dossier.reviewer_id or 0),
        mine=dossier.reviewer_id == current_user.id, four_eyes=review.four_eyes(dossier), error=error,
        may_decide=current_user.role in DECIDE)
    return response, status


@bp.get("/<int:dossier_id>")
@allow(*READ)
def detail(dossier_id: int):
    """Everything side by side: details, ID photos (zoom, rotate), eKYC scores and cross-checks, signature, SIM
    serial and photo, contract, timeline, earlier decisions and notes."""
    dossier = get_in_region_or_404(Dossier, dossier_id)
    lifecycle.audit_view(dossier, "review_view")
    if dossier.is_submitted and dossier.reviewer_id == current_user.id:
        review.claim(dossier, current_user)  # the holder is active: the claim stays theirs
        db.session.commit()
    return _render(dossier)


def _decide(dossier_id: int, act, done: str, already: str):
    """Run one decision; the page again with the reason when it is refused (409/422), or the queue when done."""
    dossier = get_in_region_or_404(Dossier, dossier_id)
    try:
        changed = act(dossier)
        db.session.commit()
    except PortalError as exc:
        db.session.rollback()
        if wants_json():
            return jsonify(error={"code": exc.code, "message": exc.message}), exc.status
        return _render(dossier, exc.message, exc.status)
    if not changed:
        if wants_json():
            return jsonify(error={"code": "already_decided", "message": already}), 409
        return _render(dossier, already, 409)
    if wants_json():
        return jsonify(ok=True, status=dossier.status.value)
    flash(done, "success")
    return redirect(url_for("review.detail", dossier_id=dossier.id), 303)


@bp.post("/<int:dossier_id>/nhan")
@allow(*DECIDE)
def claim(dossier_id: int):
    """"Nhận duyệt": one reviewer at a time (another's idle claim is taken over)."""
    return _decide(dossier_id, lambda d: review.claim(d, current_user) or True, _("Bạn đang duyệt hồ sơ này."), "")


@bp.post("/<int:dossier_id>/tra")
@allow(*DECIDE)
def release(dossier_id: int):
    """"Trả hồ sơ": back to the new items for someone else."""
    dossier = get_in_region_or_404(Dossier, dossier_id)
    review.release(dossier, current_user)
    db.session.commit()
    flash(_("Đã trả hồ sơ về danh sách mới."), "info")
    return redirect(url_for("review.index"), 303)


@bp.post("/<int:dossier_id>/giao")
@allow(Role.SUPERVISOR, Role.ADMIN)
def assign(dossier_id: int):
    """A supervisor gives the dossier to a connection-team member of its region."""
    reviewer_id = request.form.get("reviewer_id", type=whole_number) or 0
    return _decide(dossier_id, lambda d: review.assign(d, current_user, reviewer_id) or True,
                   _("Đã giao hồ sơ."), "")


@bp.post("/<int:dossier_id>/duyet")
@allow(*DECIDE)
def approve(dossier_id: int):
    """Approve → Chờ mSale (with four eyes: the first approval waits for a second reviewer)."""
    return _decide(dossier_id, lambda d: lifecycle.approve(d, current_user), _("Đã duyệt hồ sơ."),
                   _("Hồ sơ đã được duyệt trước đó: không thể duyệt lại."))


@bp.post("/<int:dossier_id>/tu-choi")
@allow(*DECIDE)
def reject(dossier_id: int):
    """Reject with a reason from the catalogue and a note for the customer."""
    code, note = request.form.get("reason_code", ""), request.form.get("note", "")
    return _decide(dossier_id, lambda d: lifecycle.reject(d, current_user, code, note), _("Đã từ chối hồ sơ."),
                   _("Hồ sơ đã bị từ chối với cùng lý do."))


@bp.post("/<int:dossier_id>/bo-sung")
@allow(*DECIDE)
def redo(dossier_id: int):
    """Ask the customer to redo the named parts."""
    parts, note = request.form.getlist("parts"), request.form.get("note", "")
    return _decide(dossier_id, lambda d: lifecycle.ask_redo(d, current_user, parts, note),
                   _("Đã yêu cầu khách bổ sung."), _("Đã yêu cầu khách bổ sung đúng các phần này."))


@bp.post("/<int:dossier_id>/ghi-chu")
@allow(*NOTE)
def note(dossier_id: int):
    """A note between reviewers."""
    text = request.form.get("text", "")
    return _decide(dossier_id, lambda d: review.add_note(d, current_user, text) and True, _("Đã thêm ghi chú."), "")


@bp.get("/<int:dossier_id>/tai-lieu/<kind>")
@allow(*READ)
def document(dossier_id: int, kind: str):
    """The SIM photo, the drawn signature or the signed contract: decrypted for this response only, audited."""
    dossier = get_in_region_or_404(Dossier, dossier_id)
    doc_kind = next((k for k in DocKind if k.value == kind), None)
    doc = signing.document(dossier, doc_kind) if doc_kind else None
    if doc is None:
        abort(404)
    data = stored_or_404(doc.storage_name)
    lifecycle.audit_view(dossier, "document_view", kind=doc.kind.value, document_id=doc.id)
    return private_file(data, doc.kind, dossier)


def stored_or_404(name: str) -> bytes:
    """An object of the encrypted store, decrypted; gone or unreadable is a 404."""
    try:
        return storage().get(name)
    except (MediaNotFound, DecryptError):
        abort(404)


def private_file(data: bytes, kind: DocKind, dossier: Dossier) -> Response:
    """A sensitive file: never cached, never sniffed, named by what it is."""
    response = Response(data, mimetype=kind.content_type)
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    extension = {"application/pdf": "pdf", "image/png": "png"}.get(kind.content_type, "jpg")
    response.headers["Content-Disposition"] = f'inline; filename="{kind.value}-{dossier.ticket.hold_code}.{extension}"'
    return response
