"""The customer's side of the review's results: a rejection shows its reason and "Cập nhật và gửi lại" goes back to
the details (ACT-18 → 3, ESIM-20 → 2); the reviewer then sees a resubmission with what changed since the
decision. "Cần bổ sung" opens exactly the named parts, and the dossier goes back to the queue when sent again."""
from __future__ import annotations

import base64

import pytest

from portal.core.errors import Conflict
from portal.core.roles import Role
from portal.dossiers import lifecycle, signing
from portal.dossiers.models import Dossier, DossierStatus, PhotoKind, StepAction
from portal.dossiers.queries import timeline
from portal.dossiers.validation import details_of_order
from tests.conftest import page_csrf

from .conftest import (
    SigningInput,
    _customer,
    correct_and_verify_again,
    photo,
    signature_png,
    sim_photo,
    start_again_on_site,
)


def _reload(db, dossier: Dossier) -> Dossier:
    db.session.expire_all()
    return db.session.get(Dossier, dossier.id)


def test_rejected_then_updated_and_resubmitted_shows_what_changed__ACT_11_ACT_18(client, app, db, login,
                                                                                 login_customer, make_staff,
                                                                                 submitted):
    dossier = submitted("physical")
    customer = _customer(dossier)
    reviewer = make_staff(Role.CONNECTION, 1)
    lifecycle.reject(dossier, reviewer, "id_mismatch", "Số nhà không khớp giấy tờ")
    db.session.commit()
    login_customer(customer)
    start_again_on_site(client, dossier, "Thông tin khai không khớp giấy tờ: Số nhà không khớp giấy tờ")
    dossier = _reload(db, dossier)
    assert dossier.status == DossierStatus.DRAFT
    assert (timeline(dossier)[-1].action, timeline(dossier)[-1].step) == (StepAction.RESUBMITTING, "ACT-3")
    correct_and_verify_again(dossier, customer, reviewer)
    lifecycle.submit(dossier, customer, SigningInput(signature_png(), dossier.order.sim_serial, sim_photo()))
    db.session.commit()
    assert dossier.status == DossierStatus.SUBMITTED and dossier.is_resubmission
    changes = signing.changes_since_decision(dossier)
    assert "số nhà, đường" in changes and "họ và tên" not in changes
    login(Role.CONNECTION, region=1, on=(staff := app.test_client()))
    queue = staff.get("/review/").get_data(as_text=True)
    assert "Gửi lại" in queue
    html = staff.get(f"/review/{dossier.id}").get_data(as_text=True)
    assert "Hồ sơ gửi lại." in html and "Gửi lại lần 2" in html and "số nhà, đường" in html


def test_redo_opens_only_the_named_parts_then_goes_back_to_the_queue__ACT_11(client, db, login_customer,
                                                                           make_staff, submitted):
    dossier = submitted("physical")
    customer = _customer(dossier)
    reviewer = make_staff(Role.CONNECTION, 1)
    lifecycle.ask_redo(dossier, reviewer, ["details", "signature"], "Chữ ký bị cắt")
    db.session.commit()
    assert dossier.may_edit_details and not dossier.may_retake(PhotoKind.ID_FRONT)
    with pytest.raises(Conflict):
        lifecycle.add_photo(dossier, customer, PhotoKind.ID_FRONT, photo("front"))
    login_customer(customer)
    code = dossier.ticket.hold_code
    page = client.get(f"/chonso/hoa-mang/{code}").get_data(as_text=True)
    assert "data-redo" in page and "Thông tin đăng ký, Chữ ký: Chữ ký bị cắt" in page
    assert f"/chonso/hoa-mang/{code}/chup/" not in page  # no retake offered
    assert client.get(f"/chonso/hoa-mang/{code}/chup/mat-truoc").status_code == 302
    sign_page = client.get(f"/chonso/hoa-mang/{code}/ky").get_data(as_text=True)
    assert "data-sign-pad" in sign_page and 'name="sim_serial"' not in sign_page  # the SIM part was not named
    # The details change in REDO keeps the dossier there (no new eKYC: the reviewer asked for exactly this).
    details = details_of_order(dossier.order)
    lifecycle.update_details(dossier, customer, details.__class__(**{**details.values(), "ward": "Phường Cầu Giấy"}))
    db.session.commit()
    assert dossier.status == DossierStatus.REDO
    token = page_csrf(client, f"/chonso/hoa-mang/{code}/ky")
    sent = client.post(f"/chonso/hoa-mang/{code}/ky", data={
        "csrf_token": token, "signature": "data:image/png;base64," + base64.b64encode(
            signature_png(size=(500, 180))).decode()})
    assert sent.status_code == 303
    dossier = _reload(db, dossier)
    assert dossier.status == DossierStatus.SUBMITTED and dossier.submissions == 2 and dossier.redo_parts == []
    changes = signing.changes_since_decision(dossier)
    assert "phường/xã" in changes and "chữ ký" in changes and "ảnh sim" not in changes


def test_redo_of_the_signature_needs_a_new_one__ACT_9(db, make_staff, submitted):
    dossier = submitted("esim")
    lifecycle.ask_redo(dossier, make_staff(Role.CONNECTION, 1), ["signature"], "")
    with pytest.raises(Exception) as exc:
        lifecycle.submit(dossier, _customer(dossier), SigningInput(None))
    assert getattr(exc.value, "code", "") == "signature_empty"
    assert dossier.status == DossierStatus.REDO


def test_only_a_rejected_or_refused_dossier_starts_again(db, submitted):
    dossier = submitted("esim")
    with pytest.raises(Conflict) as exc:
        lifecycle.start_again(dossier, _customer(dossier))
    assert exc.value.code == "not_rejected"
