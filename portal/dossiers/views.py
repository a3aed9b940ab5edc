"""Customer pages of activation (/chonso/hoa-mang…): ACT-3..7, ESIM-2..6, E-1.3, E-1.4, E-3.3.

The ticket page's "Kích hoạt" (or the packing slip's QR code) → the dossier (opened from the order's details) →
details (ACT-4) → the three photos from the camera, or a file (ACT-5) → "Xác thực thông tin" (ACT-6/7: pass → Chờ
gọi video; fail → the reasons, back to the photos). A ticket from a sales channel (no order here) is claimed with
its hold code and phone (E-3.3) and the details at once.
"""
from __future__ import annotations

from flask import flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _

from portal.core.access import customer_only
from portal.core.errors import Invalid, NotFound, PortalError, wants_json
from portal.core.security import body_limit
from portal.customers.session import current_customer
from portal.dossiers import bp, lifecycle, queries, signing
from portal.dossiers.forms import DetailsForm, StartForm
from portal.dossiers.models import Dossier, PhotoKind
from portal.dossiers.review_models import DocKind
from portal.dossiers.validation import FIELDS, clean_details
from portal.dossiers.verification import VERIFY_LIMIT, customer_key, verify_now
from portal.extensions import db, limiter
from portal.holds import services as holds
from portal.holds.services import normalize_hold_code
from portal.orders.lifecycle import order_for_ticket
from portal.orders.queries import customer_order
from portal.orders.validation import FieldErrors

UPLOAD_OVERHEAD = 64 * 1024  # the multipart envelope and the CSRF field around a 10 MB photo
# Guessing hold codes through the channel form: only the misses count.
CODE_MISSES = limiter.shared_limit("20/hour", scope="dossier-code-misses", key_func=customer_key,
                                   deduct_when=lambda response: response.status_code == 404)


def _page(dossier: Dossier) -> str:
    return url_for("dossiers.dossier", hold_code=dossier.ticket.hold_code)


def _apply_errors(form, exc: PortalError) -> None:
    fields = exc.fields if isinstance(exc, FieldErrors) else {}
    for name, (_code, message) in fields.items():
        if name in form:
            form[name].errors = [*form[name].errors, message]
        else:
            form.form_errors.append(message)
    if not fields:
        form.form_errors.append(exc.message)


def _after_photos(dossier: Dossier) -> str:
    """Where the customer goes next: the first photo still missing, else the verification."""
    missing = dossier.missing_photos
    if missing and dossier.editable:
        return url_for("dossiers.capture", hold_code=dossier.ticket.hold_code, kind=missing[0].slug)
    return _page(dossier) + "#xac-thuc"


# --- the way in ---------------------------------------------------------------------------------------------------

def _render_start(form: StartForm, status: int = 200):
    return render_template("dossiers/start.html", form=form), status


@bp.get("/hoa-mang")
@customer_only
def start():
    """The packing slip's and the store slip's QR code land here (``?ma=<hold code>``): the customer's own ticket
    goes to its activation page; any other is claimed with its hold code and phone (E-3.3)."""
    customer = current_customer()
    code = normalize_hold_code(request.args.get("ma", ""))
    if code and queries.customer_order_or_none(code, customer) is not None:
        return redirect(url_for("dossiers.dossier", hold_code=code))
    if code:
        try:
            return redirect(_page(queries.customer_dossier(code, customer)))
        except NotFound:
            pass
    form = StartForm(formdata=None, hold_code=code, hold_phone=customer.phone, full_name=customer.full_name,
                     contact_phone=customer.phone, email=customer.email or "")
    return _render_start(form)


@bp.post("/hoa-mang")
@customer_only
@CODE_MISSES
def start_claim():
    """E-1.3, E-3.3: the hold code and phone must match a live ticket; the details are checked as on the hold form."""
    customer = current_customer()
    form = StartForm()
    try:
        ticket = holds.lookup_hold(form.hold_code.data or "", form.hold_phone.data or "")
    except NotFound as exc:
        form.hold_code.errors = [exc.message]
        return _render_start(form, 404)
    order = order_for_ticket(ticket.id)
    if order is not None:
        if order.customer_id == customer.id:
            return redirect(url_for("dossiers.dossier", hold_code=ticket.hold_code))
        form.hold_code.errors = [_("Phiếu này được đặt bằng một tài khoản khác: vui lòng đăng nhập bằng tài khoản "
                                   "đã đặt số để kích hoạt.")]
        return _render_start(form, 409)
    try:
        dossier = lifecycle.open_from_hold_code(ticket, customer, clean_details(form.details(), ticket.sim_type))
        db.session.commit()
    except PortalError as exc:
        db.session.rollback()
        _apply_errors(form, exc)
        return _render_start(form, exc.status)
    flash(_("Đã mở hồ sơ kích hoạt. Tiếp theo: chụp ảnh giấy tờ và ảnh chân dung."), "success")
    return redirect(_after_photos(dossier))


# --- the dossier page -------------------------------------------------------------------------------------------

@bp.get("/hoa-mang/<hold_code>")
@customer_only
def dossier(hold_code: str):
    """The activation of one ticket: the "Kích hoạt" button before a dossier exists, then its steps and timeline."""
    customer = current_customer()
    try:
        found = queries.customer_dossier(hold_code, customer)
    except NotFound:
        order = queries.customer_order_or_none(hold_code, customer)
        if order is None:
            raise
        return render_template("dossiers/begin.html", order=order, ticket=order.ticket,
                               activation=queries.activation_of(order))
    return render_template("dossiers/dossier.html", dossier=found, ticket=found.ticket, run=queries.last_run(found),
                           timeline=queries.timeline(found), kinds=list(PhotoKind),
                           contract=signing.document(found, DocKind.CONTRACT))


@bp.post("/hoa-mang/<hold_code>")
@customer_only
def open_dossier(hold_code: str):
    """ACT-3, ESIM-2: "Kích hoạt" — the dossier starts from the hold form's details."""
    customer = current_customer()
    order = customer_order(hold_code, customer)
    try:
        found = lifecycle.open_dossier(order, customer)
        db.session.commit()
    except PortalError as exc:
        db.session.rollback()
        flash(exc.message, "danger")
        return redirect(url_for("dossiers.dossier", hold_code=order.ticket.hold_code))
    return redirect(url_for("dossiers.details", hold_code=found.ticket.hold_code))


def _details_form(dossier: Dossier) -> DetailsForm:
    values = {name: getattr(dossier, name) for name in FIELDS}
    values["birth_date"] = dossier.birth_date.isoformat()
    values["id_type"], values["gender"] = dossier.id_type.value, dossier.gender.value
    return DetailsForm(formdata=None, **values)


def _render_details(dossier: Dossier, form: DetailsForm, status: int = 200):
    return render_template("dossiers/details.html", dossier=dossier, form=form), status


@bp.get("/hoa-mang/<hold_code>/thong-tin")
@customer_only
def details(hold_code: str):
    """ACT-4, ESIM-3: the registration details, from the hold form, to confirm or correct."""
    found = queries.customer_dossier(hold_code, current_customer())
    return _render_details(found, _details_form(found))


@bp.post("/hoa-mang/<hold_code>/thong-tin")
@customer_only
def save_details(hold_code: str):
    customer = current_customer()
    found = queries.customer_dossier(hold_code, customer)
    form = DetailsForm()
    try:
        lifecycle.update_details(found, customer, clean_details(form.details(), found.sim_type))
        db.session.commit()
    except PortalError as exc:
        db.session.rollback()
        _apply_errors(form, exc)
        return _render_details(found, form, exc.status)
    return redirect(_after_photos(found))


# --- photos (ACT-5, ESIM-4) --------------------------------------------------------------------------------------

def _kind(slug: str) -> PhotoKind:
    kind = PhotoKind.from_slug(slug)
    if kind is None:
        raise NotFound("not_found", _("Không tìm thấy trang bạn yêu cầu."))
    return kind


@bp.get("/hoa-mang/<hold_code>/chup/<kind>")
@customer_only
def capture(hold_code: str, kind: str):
    """The camera with a card-shaped guide (or an oval for the portrait), retake, and a file as the fallback."""
    found = queries.customer_dossier(hold_code, current_customer())
    photo_kind = _kind(kind)
    if not found.may_retake(photo_kind):
        flash(_("Hồ sơ ở trạng thái “%(s)s”: không cần chụp lại ảnh.", s=found.status_label), "info")
        return redirect(_page(found))
    return render_template("dossiers/capture.html", dossier=found, kind=photo_kind, kinds=list(PhotoKind),
                           taken=found.photo(photo_kind) is not None)


@bp.post("/hoa-mang/<hold_code>/anh/<kind>")
@body_limit("MEDIA_MAX_UPLOAD_BYTES", UPLOAD_OVERHEAD)
@customer_only
def upload(hold_code: str, kind: str):
    """One photo, as multipart ``photo``: from the camera page's script (JSON answer) or the plain file form."""
    customer = current_customer()
    found = queries.customer_dossier(hold_code, customer)
    photo_kind = _kind(kind)
    upload_file = request.files.get("photo")
    try:
        if upload_file is None:
            raise Invalid("image_empty", _("Vui lòng chụp hoặc chọn một ảnh."))
        lifecycle.add_photo(found, customer, photo_kind, upload_file.stream)
        db.session.commit()
    except PortalError as exc:
        db.session.rollback()
        if wants_json():
            return jsonify(error={"code": exc.code, "message": exc.message}), exc.status
        flash(exc.message, "danger")
        return redirect(url_for("dossiers.capture", hold_code=found.ticket.hold_code, kind=photo_kind.slug))
    message = _("Đã lưu %(k)s.", k=photo_kind.label.lower())
    following = _after_photos(found)
    if wants_json():
        return jsonify(ok=True, message=message, next=following)
    flash(message, "success")
    return redirect(following)


@bp.errorhandler(413)
def _too_large(_exc):
    """A photo over the limit is refused before it is read, with the same words as a photo judged too large."""
    from flask import current_app

    message = _("Ảnh quá lớn: tối đa %(mb)s MB.", mb=current_app.config["MEDIA_MAX_UPLOAD_BYTES"] // (1024 * 1024))
    if wants_json() or request.accept_mimetypes.best == "application/json":
        return jsonify(error={"code": "image_too_large", "message": message}), 413
    flash(message, "danger")
    return redirect(request.referrer or url_for("dossiers.start")), 303


# --- verification (ACT-6, ACT-7, ESIM-5, ESIM-6) ----------------------------------------------------------------

@bp.post("/hoa-mang/<hold_code>/xac-thuc")
@customer_only
@VERIFY_LIMIT
def verify(hold_code: str):
    """"Xác thực thông tin": the eKYC checks; pass → Chờ gọi video, fail → each reason shown, back to the photos."""
    customer = current_customer()
    found = queries.customer_dossier(hold_code, customer)
    code = found.ticket.hold_code
    try:
        run = verify_now(found, customer)
    except PortalError as exc:
        flash(exc.message, "danger")
        return redirect(url_for("dossiers.dossier", hold_code=code) + "#xac-thuc")
    if run.passed:
        flash(_("Thông tin của bạn đã được xác thực. Bước tiếp theo: gọi video với tổng đài viên."), "success")
    else:
        flash(_("Xác thực chưa đạt: xem lý do bên dưới, sửa thông tin hoặc chụp lại ảnh rồi xác thực lại."),
              "warning")
    return redirect(url_for("dossiers.dossier", hold_code=code) + "#xac-thuc")
