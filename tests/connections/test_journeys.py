"""Issue 13's "Done when" for the physical SIM, on real processes: the customer signs and sends through the customer
site's routes (ACT-9, ACT-10), the contract PDF's operator signature is valid (pyHanko), a connection-team reviewer
claims and approves through /review (ACT-11), the real worker pushes to the sandbox mSale (ACT-12), which connects
and posts its signed callback to the real web server (ACT-13, ACT-14) → Đã hòa mạng, and the customer's e-mail is
in the outbox sandbox (ACT-15). A second dossier is rejected with a reason, updated and sent again (ACT-18 → ACT-3),
seen in the queue as a resubmission, approved and connected."""
from __future__ import annotations

import base64
import io
import time

import pytest
import requests
from flask import current_app

from portal.core.roles import Role
from portal.dossiers import contract
from portal.dossiers.models import Dossier, DossierStatus
from portal.dossiers.queries import timeline
from tests.conftest import page_csrf
from tests.connections.test_live import _wait, quick_msale  # noqa: F401 (fixture)
from tests.dossiers.conftest import (  # noqa: F401 (fixtures)
    _customer,
    contract_certificate,
    correct_and_verify_again,
    signature_png,
    sim_photo,
    start_again_on_site,
    verified,
)

pytestmark = pytest.mark.slow
CONNECTED_SUBJECT = "đã hòa mạng thành công"


def _sign_and_send(client, dossier: Dossier) -> None:
    """ACT-9, ACT-10 on the customer site: the SIM's serial and photo, the canvas's PNG, "Gửi thông tin hòa mạng"."""
    code = dossier.ticket.hold_code
    token = page_csrf(client, f"/chonso/hoa-mang/{code}/ky")
    sent = client.post(f"/chonso/hoa-mang/{code}/ky", data={
        "csrf_token": token, "sim_serial": dossier.order.sim_serial,
        "signature": "data:image/png;base64," + base64.b64encode(signature_png()).decode(),
        "sim_photo": (io.BytesIO(sim_photo()), "sim.jpg")}, content_type="multipart/form-data")
    assert sent.status_code == 303, sent.get_data(as_text=True)[:800]


def _contract_is_validly_signed(client, dossier: Dossier) -> None:
    pdf = client.get(f"/chonso/hoa-mang/{dossier.ticket.hold_code}/hop-dong.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    check = contract.check_signature(pdf.data, current_app.config["CONTRACT_SIGNING_CERT"])
    assert check == contract.SignatureCheck(intact=True, valid=True, trusted=True)


def _claim_and_approve(staff, dossier: Dossier) -> str:
    """ACT-11 through the review queue's routes; returns the review page's text as the reviewer saw it."""
    html = staff.get(f"/review/{dossier.id}").get_data(as_text=True)
    token = page_csrf(staff, f"/review/{dossier.id}")
    claimed = staff.post(f"/review/{dossier.id}/nhan", data={"csrf_token": token})
    assert claimed.status_code == 303, claimed.get_data(as_text=True)[:800]
    approved = staff.post(f"/review/{dossier.id}/duyet", data={"csrf_token": token})
    assert approved.status_code == 303, approved.get_data(as_text=True)[:800]
    return html


def _send_again_and_approve(db, client, staff, dossier: Dossier, customer, agent, reason: str) -> None:
    """The customer reads ``reason`` and presses "Cập nhật và gửi lại" (ACT-18 → ACT-3), corrects the address
    (ACT-4), passes eKYC and the call again (ACT-6..8), signs and sends (ACT-9, ACT-10); the reviewer sees it marked
    as a resubmission with what changed, claims and approves it (ACT-11)."""
    start_again_on_site(client, dossier, reason)
    dossier = _reload(db, dossier)
    assert dossier.status == DossierStatus.DRAFT
    correct_and_verify_again(dossier, customer, agent)
    db.session.commit()
    _sign_and_send(client, dossier)
    dossier = _reload(db, dossier)
    assert dossier.status == DossierStatus.SUBMITTED and dossier.is_resubmission and dossier.submissions == 2
    _contract_is_validly_signed(client, dossier)
    assert "Gửi lại" in staff.get("/review/").get_data(as_text=True)
    html = _claim_and_approve(staff, dossier)
    assert "Hồ sơ gửi lại." in html and "Gửi lại lần 2" in html and "số nhà, đường" in html


def _reload(db, dossier: Dossier) -> Dossier:
    db.session.commit()
    db.session.expire_all()
    return db.session.get(Dossier, dossier.id)


def _mails(outbox: str, to: str, subject: str, count: int = 1) -> list[dict]:
    """The outbox sandbox's e-mails to ``to`` whose subject holds ``subject``, once ``count`` of them are there."""
    deadline = time.monotonic() + 30
    found: list[dict] = []
    while time.monotonic() < deadline:
        found = [m for m in requests.get(f"{outbox}/outbox.json", params={"to": to}, timeout=5).json()["messages"]
                 if subject in (m.get("subject") or "")]
        if len(found) >= count:
            break
        time.sleep(0.3)
    return found


def test_a_physical_sim_goes_from_signing_to_connected__ACT_9_to_ACT_15(
        quick_msale, app, db, client, login, login_customer, verified, live_stack, tmp_path):  # noqa: F811
    """ACT-9/10 sign and send → the signed contract → ACT-11 claim and approve → ACT-12 push by the worker →
    ACT-13/14 the sandbox mSale connects, its callback → Đã hòa mạng → ACT-15 the e-mail in the outbox."""
    dossier = verified("physical")
    customer = login_customer(_customer(dossier))
    _sign_and_send(client, dossier)
    dossier = _reload(db, dossier)
    assert dossier.status == DossierStatus.SUBMITTED and dossier.sim_serial == dossier.order.sim_serial
    _contract_is_validly_signed(client, dossier)

    login(Role.CONNECTION, region=1, on=(staff := app.test_client()))
    assert f'data-row="{dossier.id}"' in staff.get("/review/").get_data(as_text=True)
    _claim_and_approve(staff, dossier)
    assert _reload(db, dossier).status in (DossierStatus.APPROVED, DossierStatus.CONNECTED)

    connected = _wait(dossier.id, DossierStatus.CONNECTED, tmp_path)
    assert connected.msale_ref
    page = client.get(f"/chonso/hoa-mang/{dossier.ticket.hold_code}").get_data(as_text=True)
    assert "Đã hòa mạng" in page
    to = connected.email or connected.order.email
    mails = _mails(live_stack.outbox, to, CONNECTED_SUBJECT)
    assert len(mails) == 1, (tmp_path / "worker.log").read_text()[-2000:]
    queue = requests.get(f"{live_stack.msale}/sandbox/stats.json", timeout=5).json()
    assert queue["connections"] == 1 and queue["connected_twice"] == []
    assert [s.step for s in timeline(connected)][-4:] == ["ACT-10", "ACT-11", "ACT-11", "ACT-14"]
    assert customer.id == connected.customer_id


def test_rejected_updated_resubmitted_then_connected__ACT_11_ACT_18_ACT_3_to_ACT_15(
        quick_msale, app, db, client, login, login_customer, verified, live_stack, tmp_path):  # noqa: F811
    """ACT-11 reject with a catalogue reason → the customer sees it and presses "Cập nhật và gửi lại" (ACT-18 →
    ACT-3) → new details (ACT-4), eKYC and the call again (ACT-6..8) → ACT-9/10 signed and sent again → the reviewer
    sees "Gửi lại" with what changed → approved → ACT-12..15 connected by the sandbox mSale, the e-mail sent."""
    dossier = verified("physical")
    customer = login_customer(_customer(dossier))
    _sign_and_send(client, dossier)
    reviewer = login(Role.CONNECTION, region=1, on=(staff := app.test_client()))
    token = page_csrf(staff, f"/review/{dossier.id}")
    assert staff.post(f"/review/{dossier.id}/nhan", data={"csrf_token": token}).status_code == 303
    rejected = staff.post(f"/review/{dossier.id}/tu-choi", data={
        "csrf_token": token, "reason_code": "id_mismatch", "note": "Số nhà không khớp giấy tờ"})
    assert rejected.status_code == 303, rejected.get_data(as_text=True)[:800]
    dossier = _reload(db, dossier)
    assert dossier.status == DossierStatus.REJECTED

    _send_again_and_approve(db, client, staff, dossier, customer, reviewer, "Số nhà không khớp giấy tờ")
    connected = _wait(dossier.id, DossierStatus.CONNECTED, tmp_path)
    assert connected.msale_ref
    assert len(_mails(live_stack.outbox, connected.email or connected.order.email, CONNECTED_SUBJECT)) == 1


@pytest.fixture
def manual_msale(monkeypatch):
    """The sandbox mSale waits for a person's decision on its page (an hour before its own rule would decide)."""
    monkeypatch.setenv("MSALE_SANDBOX_DELAY_SECONDS", "3600")


def _decide_in_sandbox(db, msale: str, dossier: Dossier, outcome: str, reason: str = "") -> None:
    """Once the dossier's latest submission waits in the sandbox's queue, decide it as a person on its page would."""
    from sqlalchemy import select

    from portal.connections.models import MsaleSubmission

    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        db.session.commit()
        key = db.session.scalar(select(MsaleSubmission.idempotency_key).where(
            MsaleSubmission.dossier_id == dossier.id).order_by(MsaleSubmission.attempt.desc()).limit(1))
        queued = {r["idempotency_key"] for r in requests.get(f"{msale}/sandbox/queue.json", timeout=5).json()[
            "submissions"] if r["status"] == "queued"}
        if key in queued:
            requests.post(f"{msale}/sandbox/decide/{key}/{outcome}", data={"reason": reason}, timeout=5)
            return
        time.sleep(0.3)
    pytest.fail(f"dossier {dossier.id} not queued in the sandbox mSale")


def test_refused_by_msale_then_resubmitted_and_connected__ACT_12_ACT_16_ACT_17_ACT_18_to_ACT_14(
        manual_msale, app, db, client, login, login_customer, verified, live_stack, tmp_path):  # noqa: F811
    """ACT-11 approved → ACT-12 pushed → mSale refuses with a reason (ACT-16) → Từ chối hòa mạng, the e-mail with
    the reason (ACT-17) → "Cập nhật và gửi lại" (ACT-18 → ACT-3) … sent again, approved → ACT-12 a new submission
    → connected (ACT-13, ACT-14), the e-mail (ACT-15)."""
    reason = "Thông tin thuê bao chưa khớp Cơ sở dữ liệu quốc gia về dân cư"
    dossier = verified("physical")
    customer = login_customer(_customer(dossier))
    _sign_and_send(client, dossier)
    reviewer = login(Role.CONNECTION, region=1, on=(staff := app.test_client()))
    _claim_and_approve(staff, dossier)
    _decide_in_sandbox(db, live_stack.msale, dossier, "refused", reason)
    refused = _wait(dossier.id, DossierStatus.CONNECTION_REFUSED, tmp_path)
    assert refused.last_reason == reason
    to = refused.email or refused.order.email
    assert len(_mails(live_stack.outbox, to, "bị từ chối hòa mạng")) == 1

    _send_again_and_approve(db, client, staff, refused, customer, reviewer, reason)
    _decide_in_sandbox(db, live_stack.msale, dossier, "connected")
    connected = _wait(dossier.id, DossierStatus.CONNECTED, tmp_path)
    assert connected.msale_ref and connected.status.label == "Đã hòa mạng"
    assert len(_mails(live_stack.outbox, to, CONNECTED_SUBJECT)) == 1
    steps = [s.step for s in timeline(connected)]
    assert steps.index("ACT-16") < steps.index("ACT-3", steps.index("ACT-16")) < steps.index("ACT-14")
