"""The customer told of mSale's result by e-mail, once per move (ACT-15, ACT-17, ESIM-13, ESIM-16, ESIM-19); the
eSIM's e-mail carries the activation code's QR inline, which decodes to exactly that code."""
from __future__ import annotations

import base64
import io

import pytest
import zxingcpp
from PIL import Image
from sqlalchemy import select

from portal.connections import jobs, notices
from portal.connections.models import MsaleSubmission
from portal.core.models import OutboxJob
from portal.dossiers.models import Dossier, DossierStatus
from tests.conftest import page_csrf
from tests.connections.conftest import post_callback


def _decode(png: bytes) -> list[str]:
    return [r.text for r in zxingcpp.read_barcodes(Image.open(io.BytesIO(png)), formats=zxingcpp.BarcodeFormat.QRCode)]


def _result_by_callback(db, client, approved, msale_box, **kw) -> Dossier:
    dossier = approved(**kw)
    db.session.commit()
    submission = db.session.scalar(select(MsaleSubmission).where(MsaleSubmission.dossier_id == dossier.id))
    jobs.push_to_msale(submission.id)
    msale_box.tick()
    assert post_callback(client, msale_box.callback_body(msale_box.get(submission.idempotency_key))).status_code == 200
    db.session.commit()
    db.session.expire_all()
    return db.session.get(Dossier, dossier.id)


def _run_mail_jobs(db) -> int:
    """Run the queued e-mail jobs as the worker would (twice: a retry must not send again)."""
    db.session.commit()
    rows = db.session.scalars(select(OutboxJob).where(OutboxJob.func.like("%mail_connection_result"))).all()
    for _ in range(2):
        for row in rows:
            notices.mail_connection_result(*row.args)
    return len(rows)


@pytest.mark.parametrize("code", ["LPA:1$smdp.sandbox.mobifone.vn$K2ABC-DEF23-GHJ45-KLM67",
                                  "LPA:1$rsp.example.com$0123-4567-89AB-CDEF$1.3.6.1.4.1.31746$1"])
def test_the_qr_code_decodes_to_the_exact_activation_code(code):
    assert _decode(notices.qr_png(code)) == [code]


def test_the_esim_email_carries_the_qr_inline_and_the_code_as_text__ESIM_13(committed_db, client, approved,
                                                                               msale_box, outbox):
    """E-1.6, E-3.7: the customer is told of mSale's result and sent the eSIM's QR code."""
    dossier = _result_by_callback(committed_db, client, approved, msale_box, esim=True)
    assert dossier.status == DossierStatus.QR_ISSUED
    assert _run_mail_jobs(committed_db) == 1
    mails = [m for m in outbox.messages("lan@example.vn") if m["kind"] == "email"]
    assert len(mails) == 1
    mail = mails[0]
    assert "Mã QR kích hoạt eSIM" in mail["subject"] and dossier.activation_code in mail["body"]
    assert f'src="cid:{notices.QR_FILENAME}"' in mail["html"]
    (picture,) = mail["inline"]
    assert picture["filename"] == notices.QR_FILENAME and picture["content_type"] == "image/png"
    assert _decode(base64.b64decode(picture["data"])) == [dossier.activation_code]


def test_connected_and_refused_are_told_once__ACT_15_ACT_17(committed_db, client, approved, msale_box, outbox):
    connected = _result_by_callback(committed_db, client, approved, msale_box)
    refused = _result_by_callback(committed_db, client, approved, msale_box, id_number="001190012349")
    assert (connected.status, refused.status) == (DossierStatus.CONNECTED, DossierStatus.CONNECTION_REFUSED)
    assert _run_mail_jobs(committed_db) == 2
    mails = [m for m in outbox.messages(connected.email or connected.order.email) if m["kind"] == "email"]
    subjects = sorted(m["subject"] for m in mails)
    assert len(mails) == 2 and any("hòa mạng thành công" in s for s in subjects)
    assert any("từ chối hòa mạng" in s for s in subjects)
    refusal = next(m for m in mails if "từ chối" in m["subject"])
    assert "Cơ sở dữ liệu quốc gia" in refusal["body"] and not refusal["inline"]


def test_the_customer_page_shows_the_qr_and_the_code_in_app__ESIM_13(db, client, approved, msale_box, lan,
                                                                      login_customer):
    dossier = _result_by_callback(db, client, approved, msale_box, esim=True)
    login_customer(lan)
    page = client.get(f"/chonso/hoa-mang/{dossier.ticket.hold_code}").get_data(as_text=True)
    assert dossier.activation_code in page and 'id="ma-qr-esim"' in page
    data_uri = page.split('src="data:image/png;base64,', 1)[1].split('"', 1)[0]
    assert _decode(base64.b64decode(data_uri)) == [dossier.activation_code]


def test_the_customer_scans_the_qr_then_says_it_worked__ESIM_14_15(db, client, approved, msale_box, lan,
                                                                   login_customer):
    """E-1.6: told that activation succeeded, the customer scans the eSIM's QR code."""
    dossier = _result_by_callback(db, client, approved, msale_box, esim=True)
    login_customer(lan)
    page = f"/chonso/hoa-mang/{dossier.ticket.hold_code}"
    assert "Quét mã QR thành công" in client.get(page).get_data(as_text=True)
    response = client.post(f"{page}/quet-ma-qr", data={"csrf_token": page_csrf(client, page), "ok": "1"})
    assert response.status_code == 303
    db.session.refresh(dossier)
    assert dossier.status == DossierStatus.CONNECTED
    shown = client.get(page).get_data(as_text=True)
    assert 'id="ma-qr-esim"' not in shown and "đã được hòa mạng" in shown


def test_a_failed_scan_needs_its_reason_then_refuses_the_connection__ESIM_16_18(db, client, approved, msale_box,
                                                                                lan, login_customer):
    dossier = _result_by_callback(db, client, approved, msale_box, esim=True)
    login_customer(lan)
    page = f"/chonso/hoa-mang/{dossier.ticket.hold_code}"
    client.post(f"{page}/quet-ma-qr", data={"csrf_token": page_csrf(client, page), "ok": "0", "reason": "  "})
    db.session.refresh(dossier)
    assert dossier.status == DossierStatus.QR_ISSUED  # no reason: nothing changes, the customer is asked for one
    assert "Vui lòng cho biết lý do" in client.get(page).get_data(as_text=True)
    client.post(f"{page}/quet-ma-qr",
                data={"csrf_token": page_csrf(client, page), "ok": "0", "reason": "Máy báo: mã không hợp lệ"})
    db.session.refresh(dossier)
    assert dossier.status == DossierStatus.CONNECTION_REFUSED
    assert dossier.last_reason == "Máy báo: mã không hợp lệ"
    assert "Cập nhật và gửi lại" in client.get(page).get_data(as_text=True)
