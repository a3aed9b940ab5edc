"""Customer pages of signing and submission (/chonso/hoa-mang/<hold_code>/ky…): ACT-9, ACT-10, ESIM-8, ESIM-9.

After the video call passed (or when the reviewer asked for parts again): the SIM serial and a photo of the SIM
(physical SIM), the signature drawn on the canvas (static/js/signature-pad.js posts it as a PNG data URL), then
"Gửi thông tin hòa mạng". Also the signed contract PDF, and "Cập nhật và gửi lại" after a rejection (ACT-18).
"""
from __future__ import annotations

import base64
import binascii

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from portal.core.access import customer_only
from portal.core.errors import Invalid, PortalError
from portal.core.security import body_limit
from portal.customers.session import current_customer
from portal.dossiers import bp, lifecycle, queries, signing
from portal.dossiers.review_models import DocKind, RedoPart
from portal.dossiers.review_views import private_file, stored_or_404
from portal.dossiers.signing import SIGNATURE_MAX_BYTES, SigningInput
from portal.extensions import db

DATA_URL = "data:image/png;base64,"
SIGNING_OVERHEAD = SIGNATURE_MAX_BYTES * 2  # the signature's base64 beside a 10 MB SIM photo


def _signature_from_form() -> bytes | None:
    """The canvas's PNG, posted as a data URL (a file field ``signature_file`` works too, without script)."""
    value = request.form.get("signature", "")
    if value.startswith(DATA_URL):
        try:
            return base64.b64decode(value[len(DATA_URL):], validate=True)
        except (binascii.Error, ValueError):
            raise Invalid("signature_type", _("Chữ ký không hợp lệ: vui lòng ký lại trong khung.")) from None
    upload = request.files.get("signature_file")
    return upload.stream.read(SIGNATURE_MAX_BYTES + 1) if upload else None


def _render(dossier, error: str = "", status: int = 200, serial: str = ""):
    needs = {part: signing.needs(dossier, part) for part in RedoPart}
    return render_template("dossiers/sign.html", dossier=dossier, error=error, serial=serial or dossier.sim_serial
                           or "", needs=needs, parts=RedoPart), status


@bp.get("/hoa-mang/<hold_code>/ky")
@customer_only
def sign(hold_code: str):
    """ACT-9, ESIM-8: serial, SIM photo, signature — then "Gửi thông tin hòa mạng"."""
    found = queries.customer_dossier(hold_code, current_customer())
    if not found.may_submit:
        return redirect(url_for("dossiers.dossier", hold_code=found.ticket.hold_code))
    return _render(found)


@bp.post("/hoa-mang/<hold_code>/ky")
@body_limit("MEDIA_MAX_UPLOAD_BYTES", SIGNING_OVERHEAD)
@customer_only
def submit(hold_code: str):
    """ACT-10, ESIM-9: "Gửi thông tin hòa mạng" → Chờ duyệt (the connection team's queue, ACT-11, ESIM-10)."""
    customer = current_customer()
    found = queries.customer_dossier(hold_code, customer)
    serial = request.form.get("sim_serial", "")
    photo = request.files.get("sim_photo")
    try:
        signing_input = SigningInput(signature_png=_signature_from_form(), sim_serial=serial,
                                     sim_photo=photo.stream.read() if photo and photo.filename else None)
        lifecycle.submit(found, customer, signing_input)
        db.session.commit()
    except PortalError as exc:
        db.session.rollback()
        return _render(found, exc.message, exc.status, serial)
    flash(_("Đã gửi thông tin hòa mạng. Tổ đấu nối sẽ duyệt hồ sơ của bạn."), "success")
    return redirect(url_for("dossiers.dossier", hold_code=found.ticket.hold_code), 303)


@bp.post("/hoa-mang/<hold_code>/gui-lai")
@customer_only
def start_again(hold_code: str):
    """"Cập nhật và gửi lại" (ACT-18 → 3, ESIM-20 → 2): back to the details, then eKYC and the call again."""
    customer = current_customer()
    found = queries.customer_dossier(hold_code, customer)
    try:
        lifecycle.start_again(found, customer)
        db.session.commit()
    except PortalError as exc:
        db.session.rollback()
        flash(exc.message, "danger")
        return redirect(url_for("dossiers.dossier", hold_code=found.ticket.hold_code))
    return redirect(url_for("dossiers.details", hold_code=found.ticket.hold_code), 303)


@bp.post("/hoa-mang/<hold_code>/quet-ma-qr")
@customer_only
def qr_scanned(hold_code: str):
    """ESIM-14..18: "Quét mã QR thành công" → Đã hòa mạng; "Quét mã QR thất bại" with the reason → Từ chối hòa mạng."""
    customer = current_customer()
    found = queries.customer_dossier(hold_code, customer)
    ok = request.form.get("ok") == "1"
    try:
        lifecycle.qr_scanned(found, customer, ok, request.form.get("reason", ""))
        db.session.commit()
    except PortalError as exc:
        db.session.rollback()
        flash(exc.message, "danger")
    return redirect(url_for("dossiers.dossier", hold_code=found.ticket.hold_code), 303)


@bp.get("/hoa-mang/<hold_code>/hop-dong.pdf")
@customer_only
def contract(hold_code: str):
    """The customer's own signed contract (PDF), never cached."""
    found = queries.customer_dossier(hold_code, current_customer())
    doc = signing.document(found, DocKind.CONTRACT)
    if doc is None:
        abort(404)
    return private_file(stored_or_404(doc.storage_name), DocKind.CONTRACT, found)
