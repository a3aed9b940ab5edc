"""Signing and submission (ACT-9, ACT-10, ESIM-8, ESIM-9): the SIM serial (Luhn, the order's own SIM), the SIM
photo, the drawn signature judged by its pixels, the contract PDF signed by the operator (PAdES) whose signature a
changed byte breaks, and "Gửi thông tin hòa mạng" → Chờ duyệt."""
from __future__ import annotations

import base64
import io
import re

import pytest
from flask import current_app
from PIL import Image, ImageDraw
from pyhanko.pdf_utils.reader import PdfFileReader
from sqlalchemy import select

from portal.core.errors import Conflict, Invalid
from portal.core.models import AuditEntry, StatusChange
from portal.dossiers import contract, lifecycle, signing
from portal.dossiers.models import Dossier, DossierStatus, StepAction
from portal.dossiers.queries import timeline
from portal.dossiers.review_models import DocKind
from portal.media.storage import storage
from portal.orders.sim import luhn_ok
from tests.conftest import page_csrf
from tests.shipping.conftest import make_iccid

from .conftest import SigningInput, _customer, signature_png, sim_photo


def _contract(dossier) -> bytes:
    doc = signing.document(dossier, DocKind.CONTRACT)
    return storage().get(doc.storage_name)


def test_a_physical_sim_is_signed_and_submitted_with_a_valid_operator_signature__ACT_9_ACT_10(db, verified):
    dossier = verified("physical")
    customer = _customer(dossier)
    assert dossier.may_submit
    assert lifecycle.submit(dossier, customer, SigningInput(signature_png(), dossier.order.sim_serial, sim_photo()))
    db.session.commit()
    assert dossier.status == DossierStatus.SUBMITTED and dossier.submissions == 1 and dossier.submitted_at
    assert dossier.sim_serial == dossier.order.sim_serial
    assert {k for k in DocKind if signing.document(dossier, k)} == set(DocKind)
    pdf = _contract(dossier)
    assert pdf.startswith(b"%PDF") and b"/ETSI.CAdES.detached" in pdf and b"DejaVu" in pdf
    check = contract.check_signature(pdf, current_app.config["CONTRACT_SIGNING_CERT"])
    assert check == contract.SignatureCheck(intact=True, valid=True, trusted=True)
    last = timeline(dossier)[-1]
    assert (last.action, last.step) == (StepAction.SUBMITTED, "ACT-10")
    history = db.session.scalars(select(StatusChange.to_status).where(
        StatusChange.object_type == Dossier.__tablename__, StatusChange.object_id == str(dossier.id))
        .order_by(StatusChange.id))
    assert list(history)[-1] == "submitted"
    # A second click changes nothing (the move is idempotent).
    assert lifecycle.submit(dossier, customer, SigningInput(signature_png(), dossier.order.sim_serial,
                                                             sim_photo())) is False


def test_a_changed_byte_breaks_the_contracts_signature__ACT_10(db, verified):
    dossier = verified("physical")
    lifecycle.submit(dossier, _customer(dossier), SigningInput(signature_png(), dossier.order.sim_serial,
                                                               sim_photo()))
    pdf = bytearray(_contract(dossier))
    # A byte of the signed range (the first page's content), not of the signature's own /Contents.
    pdf[len(pdf) // 4] ^= 0x01
    check = contract.check_signature(bytes(pdf), current_app.config["CONTRACT_SIGNING_CERT"])
    assert not check.intact


def test_the_contract_carries_the_data_hash_and_the_time__ACT_10(db, verified):
    dossier = verified("physical")
    lifecycle.submit(dossier, _customer(dossier), SigningInput(signature_png(), dossier.order.sim_serial,
                                                               sim_photo()))
    doc = signing.document(dossier, DocKind.CONTRACT)
    assert re.fullmatch(r"[0-9a-f]{64}", doc.data_hash)
    signed = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "dossier.signed"))
    assert signed.detail["data_sha256"] == doc.data_hash and signed.detail["contract_sha256"] == doc.sha256
    reader = PdfFileReader(io.BytesIO(_contract(dossier)))
    assert str(reader.trailer["/Info"]["/Title"]).startswith("HỢP ĐỒNG")
    fonts = reader.root["/Pages"]["/Kids"][0]["/Resources"]["/Font"]
    assert any("DejaVu" in str(f.get_object()["/BaseFont"]) for f in fonts.values())  # Vietnamese glyphs
    # Five pictures (three ID photos, the SIM, the signature) on the page.
    assert len(reader.root["/Pages"]["/Kids"][0]["/Resources"]["/XObject"]) >= 5


@pytest.mark.parametrize("serial, code", [
    ("8984010000000000001", "bad_iccid"),  # wrong Luhn digit
    ("12345", "bad_iccid"),
    ("", "sim_serial_required"),
])
def test_a_malformed_serial_is_refused__ACT_9(db, verified, serial, code):
    dossier = verified("physical")
    if code == "bad_iccid" and serial.startswith("89"):
        assert not luhn_ok(serial)
    with pytest.raises(Invalid) as exc:
        lifecycle.submit(dossier, _customer(dossier), SigningInput(signature_png(), serial, sim_photo()))
    assert exc.value.code == code
    assert dossier.status == DossierStatus.VERIFIED


def test_another_sim_than_the_one_shipped_is_refused_with_the_reason__ACT_9(db, verified):
    dossier = verified("physical")
    other = make_iccid()
    with pytest.raises(Invalid) as exc:
        lifecycle.submit(dossier, _customer(dossier), SigningInput(signature_png(), other, sim_photo()))
    assert exc.value.code == "sim_serial_mismatch" and dossier.order.sim_serial[-4:] in exc.value.message


def test_another_orders_sim_is_refused__ACT_9(db, verified, lan, delivered_order):
    dossier = verified("physical")
    someone_elses = delivered_order(lan).sim_serial
    with pytest.raises(Conflict) as exc:
        lifecycle.submit(dossier, _customer(dossier), SigningInput(signature_png(), someone_elses, sim_photo()))
    assert exc.value.code == "iccid_in_use"


@pytest.mark.parametrize("png", [
    signature_png(ink=False),  # transparent, untouched
    signature_png(ink=False, background=(255, 255, 255, 255)),  # white, untouched
    b"",
], ids=["transparent", "white", "nothing"])
def test_an_empty_canvas_is_refused__ACT_9_ESIM_8(db, verified, png):
    dossier = verified("esim")
    with pytest.raises(Invalid) as exc:
        lifecycle.submit(dossier, _customer(dossier), SigningInput(png))
    assert exc.value.code == "signature_empty"
    assert dossier.status == DossierStatus.VERIFIED and signing.document(dossier, DocKind.CONTRACT) is None


def test_a_dot_is_not_a_signature_and_a_jpeg_is_not_a_canvas__ESIM_8(db, verified):
    dot = Image.new("RGBA", (600, 200), (0, 0, 0, 0))
    ImageDraw.Draw(dot).ellipse((300, 100, 303, 103), fill=(0, 0, 0, 255))
    out = io.BytesIO()
    dot.save(out, "PNG")
    dossier = verified("esim")
    with pytest.raises(Invalid) as exc:
        lifecycle.submit(dossier, _customer(dossier), SigningInput(out.getvalue()))
    assert exc.value.code == "signature_empty"
    with pytest.raises(Invalid) as exc:
        lifecycle.submit(dossier, _customer(dossier), SigningInput(sim_photo()))
    assert exc.value.code == "signature_type"


def test_an_esim_signs_without_serial_or_sim_photo__ESIM_8_ESIM_9(db, verified):
    dossier = verified("esim")
    assert lifecycle.submit(dossier, _customer(dossier), SigningInput(signature_png()))
    assert dossier.status == DossierStatus.SUBMITTED and dossier.sim_serial is None
    assert signing.document(dossier, DocKind.SIM_PHOTO) is None
    assert timeline(dossier)[-1].step == "ESIM-9"


def test_a_dossier_not_verified_by_video_cannot_be_submitted(db, lan, delivered_order):
    dossier = lifecycle.open_dossier(delivered_order(lan), lan)
    with pytest.raises(Conflict) as exc:
        lifecycle.submit(dossier, lan, SigningInput(signature_png(), dossier.order.sim_serial, sim_photo()))
    assert exc.value.code == "not_verified"


def test_the_customer_signs_on_the_page_and_downloads_the_contract__ACT_9_ACT_10(client, db, verified, login_customer):
    dossier = verified("physical")
    login_customer(_customer(dossier))
    code = dossier.ticket.hold_code
    page = client.get(f"/chonso/hoa-mang/{code}")
    assert "Ký và gửi thông tin hòa mạng" in page.get_data(as_text=True)
    sign_page = client.get(f"/chonso/hoa-mang/{code}/ky").get_data(as_text=True)
    assert "data-sign-pad" in sign_page and "Gửi thông tin hòa mạng" in sign_page and 'name="sim_serial"' in sign_page
    token = page_csrf(client, f"/chonso/hoa-mang/{code}/ky")

    empty = client.post(f"/chonso/hoa-mang/{code}/ky", data={
        "csrf_token": token, "sim_serial": dossier.order.sim_serial, "signature": "",
        "sim_photo": (io.BytesIO(sim_photo()), "sim.jpg")}, content_type="multipart/form-data")
    assert empty.status_code == 422 and "Vui lòng ký tên vào khung" in empty.get_data(as_text=True)
    data_url = "data:image/png;base64," + base64.b64encode(signature_png()).decode()
    sent = client.post(f"/chonso/hoa-mang/{code}/ky", data={
        "csrf_token": token, "sim_serial": dossier.order.sim_serial, "signature": data_url,
        "sim_photo": (io.BytesIO(sim_photo()), "sim.jpg")}, content_type="multipart/form-data")
    assert sent.status_code == 303
    db.session.refresh(dossier)
    assert dossier.status == DossierStatus.SUBMITTED
    pdf = client.get(f"/chonso/hoa-mang/{code}/hop-dong.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF") and pdf.headers["Cache-Control"] == "no-store"
    assert "Tổ đấu nối đang duyệt" in client.get(f"/chonso/hoa-mang/{code}").get_data(as_text=True)
