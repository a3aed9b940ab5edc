"""The supervisors' refunds page (issue 10): region scoping (checklist 11), actions, CSRF (checklist 8), audit."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select, update

from portal.core.models import AuditEntry, OutboxJob
from portal.core.roles import Role
from portal.payments.models import Refund, RefundStatus
from tests.conftest import page_csrf
from tests.payments.conftest import pay

PAGE = "/payments/refunds"


@pytest.fixture
def make_refund(make_order, cancel, db):
    """``make_refund(region)`` → a refund due for an order of ``region``, paid online then cancelled."""

    def make(region: int = 2) -> Refund:
        order = make_order()
        payment = pay(order)
        cancel(order, "Khách hủy trước khi giao")
        refund = db.session.scalar(select(Refund).where(Refund.payment_id == payment.id))
        db.session.execute(update(Refund).where(Refund.id == refund.id).values(region_id=region))
        db.session.commit()
        return refund

    return make


def _reload(db, refund: Refund) -> Refund:
    db.session.commit()
    db.session.expire_all()
    return db.session.get(Refund, refund.id)


def test_supervisors_see_their_regions_refunds_and_head_office_sees_all(client, login, make_refund, make_staff):
    mine, theirs = make_refund(2), make_refund(3)
    login(Role.SUPERVISOR, region=2)
    page = client.get(PAGE).get_data(as_text=True)
    assert f'data-refund="{mine.id}"' in page and f'data-refund="{theirs.id}"' not in page
    assert "550.000 ₫" in page and "Đơn đã thanh toán bị hủy" in page and "Khách hủy trước khi giao" in page
    assert 'data-confirm="Hoàn 550.000 ₫ cho đơn' in page and "DH-2611-" in page
    head_office = client.application.test_client()
    login(Role.SUPERVISOR, region=0, on=head_office)
    page = head_office.get(PAGE).get_data(as_text=True)
    assert f'data-refund="{mine.id}"' in page and f'data-refund="{theirs.id}"' in page


def test_another_regions_refund_by_id_is_404_with_an_audit_row(client, login, make_refund, db):
    theirs = make_refund(3)
    login(Role.SUPERVISOR, region=2)
    token = page_csrf(client, PAGE)
    for action in ("send", "close"):
        answer = client.post(f"{PAGE}/{theirs.id}/{action}", data={"csrf_token": token, "note": "x"})
        assert answer.status_code == 404
    denied = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "access.denied_region")).all()
    assert len(denied) == 2 and {d.object_id for d in denied} == {str(theirs.id)} and denied[0].region_id == 3
    assert _reload(db, theirs).status == RefundStatus.DUE


@pytest.mark.parametrize("role", [Role.SHIPPING, Role.CLERK, Role.AGENT, Role.CONNECTION])
def test_only_supervisors_and_admins_reach_the_page(client, login, role):
    login(role, region=2)
    assert client.get(PAGE).status_code == 403


def test_sending_needs_the_csrf_token(client, login, make_refund, db):
    refund = make_refund(2)
    login(Role.SUPERVISOR, region=2)
    assert client.post(f"{PAGE}/{refund.id}/send").status_code == 400
    assert client.post(f"{PAGE}/{refund.id}/close", data={"note": "x", "csrf_token": "forged"}).status_code == 400
    assert _reload(db, refund).status == RefundStatus.DUE


def test_hoan_tien_moves_the_refund_to_sending_and_queues_the_job_once(client, login, make_refund, db):
    refund = make_refund(2)
    admin = login(Role.ADMIN, region=2)
    answer = client.post(f"{PAGE}/{refund.id}/send", data={"csrf_token": page_csrf(client, PAGE)},
                         follow_redirects=True)
    assert "Đã gửi yêu cầu hoàn 550.000 ₫" in answer.get_data(as_text=True)
    refund = _reload(db, refund)
    assert refund.status == RefundStatus.SENDING and refund.requested_by_id == admin.id
    assert "Đang gửi ngân hàng" in client.get(f"{PAGE}?tab=sending").get_data(as_text=True)
    [job] = db.session.scalars(select(OutboxJob).where(OutboxJob.func.like("%send_refund"))).all()
    assert job.func == "portal.payments.refund_job.send_refund" and job.args == [refund.id]
    sent = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "refund.sending"))
    assert sent.actor_id == admin.id and sent.region_id == 2 and sent.detail["request_id"] == refund.request_id


def test_closing_by_hand_needs_a_note_and_is_audited(client, login, make_refund, db):
    refund = make_refund(2)
    login(Role.SUPERVISOR, region=2)
    token = page_csrf(client, PAGE)
    refused = client.post(f"{PAGE}/{refund.id}/close", data={"csrf_token": token, "note": "  "},
                          follow_redirects=True)
    assert "Vui lòng ghi chú lý do đóng." in refused.get_data(as_text=True)
    assert _reload(db, refund).status == RefundStatus.DUE
    client.post(f"{PAGE}/{refund.id}/close", data={"csrf_token": token, "note": "Đã chuyển khoản ngoài hệ thống"})
    refund = _reload(db, refund)
    assert refund.status == RefundStatus.CLOSED and refund.close_note == "Đã chuyển khoản ngoài hệ thống"
    closed = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "refund.closed"))
    assert closed.detail["close_note"] == "Đã chuyển khoản ngoài hệ thống"
    assert "Đã chuyển khoản ngoài hệ thống" in client.get(f"{PAGE}?tab=closed").get_data(as_text=True)
    # Closed is closed: neither sent nor closed again.
    again = client.post(f"{PAGE}/{refund.id}/send", data={"csrf_token": token}, follow_redirects=True)
    assert "đã được gửi hoặc đã xử lý xong" in again.get_data(as_text=True)
    assert _reload(db, refund).status == RefundStatus.CLOSED


def test_the_nav_shows_how_many_refunds_wait(client, login, make_refund):
    make_refund(2)
    make_refund(2)
    make_refund(3)
    login(Role.SUPERVISOR, region=2)
    page = client.get("/").get_data(as_text=True)
    assert 'href="/payments/refunds">Hoàn tiền' in page
    assert re.search(r'data-nav-count="payments.refund_list"\s*>2</span>', page)
