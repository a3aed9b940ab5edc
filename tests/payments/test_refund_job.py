"""Sending a refund through the sandbox bank's refund API, never twice (issue 10; checklist 25, 26, 28)."""
from __future__ import annotations

import threading

import pytest
import requests
from sqlalchemy import select

from portal.core.models import AuditEntry, OutboxJob
from portal.core.roles import Role
from portal.gateways import vnpay
from portal.payments import refund_job, refunds
from portal.payments.models import NO_ANSWER, Refund, RefundStatus
from portal.payments.refund_job import BankUnsure, RefundBusy, send_refund
from tests.payments.conftest import pay_at_bank


@pytest.fixture
def due(bank, make_order, cancel, db):
    """A refund due: an order paid at the sandbox bank, then cancelled."""
    order = make_order()
    payment = pay_at_bank(bank, order)
    cancel(order)
    refund = db.session.scalar(select(Refund).where(Refund.payment_id == payment.id))
    assert refund is not None and refund.status == RefundStatus.DUE
    return refund


@pytest.fixture
def supervisor(make_staff):
    return make_staff(Role.SUPERVISOR, region=2)


def _ask(db, refund: Refund, who) -> Refund:
    refunds.request_refund(db.session.get(Refund, refund.id), who)
    db.session.commit()
    return _reload(db, refund)


def _reload(db, refund: Refund) -> Refund:
    db.session.commit()
    db.session.expire_all()
    return db.session.get(Refund, refund.id)


def _ledger(bank: dict, refund: Refund) -> dict:
    return requests.get(f"{bank['bank']}/sandbox/refunds/{refund.payment.txn_ref}", timeout=5).json()


def _next_refund(bank: dict, mode: str) -> None:
    assert requests.post(f"{bank['bank']}/sandbox/next-refund", data={"mode": mode}, timeout=5).status_code == 200


def test_a_refund_sent_is_done_with_the_banks_transaction_number(bank, due, supervisor, db):
    refund = _ask(db, due, supervisor)
    assert refund.status == RefundStatus.SENDING and len(refund.request_id) == 32 and refund.attempts == 1
    assert send_refund(refund.id) == "done"
    refund = _reload(db, refund)
    assert refund.status == RefundStatus.DONE and refund.response_code == "00" and refund.transaction_no
    assert refund.finished_at is not None and refund.bank_call_at is None
    ledger = _ledger(bank, refund)
    assert ledger["refunded"] == refund.amount
    [sent] = ledger["requests"]
    assert sent["request_id"] == refund.request_id and sent["transaction_type"] == "02"
    assert sent["create_by"] == supervisor.username and sent["amount"] == refund.amount
    done = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "refund.done"))
    assert done.region_id == 2 and done.detail["transaction_no"] == refund.transaction_no
    # querydr now reports the payment refunded, as VNPay does.
    answer = vnpay.query_transaction(bank["bank"] + "/merchant_webapi/api/transaction", "TESTTMN1",
                                     "TESTHASHSECRET0123456789ABCDEFGH", refund.payment.txn_ref,
                                     refund.payment.created_at, "127.0.0.1")
    assert answer["vnp_TransactionType"] == "02" and answer["vnp_TransactionStatus"] == "05"
    assert send_refund(refund.id) is None  # RQ delivers at least once: a rerun does nothing
    assert len(_ledger(bank, refund)["requests"]) == 1


def test_two_clicks_make_one_request_at_the_bank(bank, due, client, login, db):
    from tests.conftest import page_csrf

    login(Role.SUPERVISOR, region=2)
    token = page_csrf(client, "/payments/refunds")
    first = client.post(f"/payments/refunds/{due.id}/send", data={"csrf_token": token}, follow_redirects=True)
    second = client.post(f"/payments/refunds/{due.id}/send", data={"csrf_token": token}, follow_redirects=True)
    assert "Đã gửi yêu cầu hoàn" in first.get_data(as_text=True)
    assert "đã được gửi hoặc đã xử lý xong" in second.get_data(as_text=True)
    jobs = db.session.scalars(select(OutboxJob).where(OutboxJob.func.like("%send_refund"))).all()
    assert len(jobs) == 1 and jobs[0].args == [due.id]
    for _ in range(2):  # the job delivered twice (at least once)
        send_refund(*jobs[0].args)
    assert _reload(db, due).status == RefundStatus.DONE
    assert len(_ledger(bank, due)["requests"]) == 1


def test_two_workers_at_once_make_one_request(bank, due, supervisor, db, app, monkeypatch):
    refund = _ask(db, due, supervisor)
    at_bank, finish = threading.Event(), threading.Event()
    real_refund = vnpay.refund

    def slow_refund(*args, **kwargs):
        at_bank.set()
        finish.wait(10)
        return real_refund(*args, **kwargs)

    monkeypatch.setattr(vnpay, "refund", slow_refund)
    results: dict[str, object] = {}

    def worker(name: str) -> None:
        with app.app_context():
            try:
                results[name] = send_refund(refund.id)
            except RefundBusy as exc:
                results[name] = exc

    first = threading.Thread(target=worker, args=("first",))
    first.start()
    assert at_bank.wait(10)
    second = threading.Thread(target=worker, args=("second",))
    second.start()
    second.join(15)
    finish.set()
    first.join(15)
    assert results["first"] == "done" and isinstance(results["second"], RefundBusy)
    assert len(_ledger(bank, refund)["requests"]) == 1
    db.session.commit()  # end the test's read transaction: the workers committed since
    assert send_refund(refund.id) is None  # the busy run's retry finds it done


def test_the_bank_refusing_fails_the_refund_with_its_reason_then_a_retry_sends_it(bank, due, supervisor, db,
                                                                                  client, login):
    _next_refund(bank, "refuse")
    refund = _ask(db, due, supervisor)
    first_request = refund.request_id
    assert send_refund(refund.id) == "failed"
    refund = _reload(db, refund)
    assert refund.status == RefundStatus.FAILED and refund.response_code == "99"
    assert "tu choi" in refund.bank_message and refund.bank_reason.startswith("99: Lỗi khác")
    login(Role.SUPERVISOR, region=2)
    page = client.get("/payments/refunds?tab=failed").get_data(as_text=True)
    assert "99: Lỗi khác" in page and "Gửi lại" in page
    refund = _ask(db, refund, supervisor)  # a person retries: a new attempt, a new request id
    assert refund.attempts == 2 and refund.request_id != first_request
    assert send_refund(refund.id) == "done"
    ledger = _ledger(bank, refund)
    assert [r["response_code"] for r in ledger["requests"]] == ["99", "00"] and ledger["refunded"] == refund.amount
    assert db.session.scalar(select(AuditEntry).where(AuditEntry.action == "refund.failed")) is not None


def test_a_lost_answer_is_found_by_querydr_and_never_sent_again(bank, due, supervisor, db):
    _next_refund(bank, "lose")  # the bank refunds, then its answer is lost (HTTP 504)
    refund = _ask(db, due, supervisor)
    assert send_refund(refund.id) == "done"
    refund = _reload(db, refund)
    assert refund.status == RefundStatus.DONE
    done = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "refund.done"))
    assert "(querydr)" in done.detail["reason"]
    ledger = _ledger(bank, refund)
    assert len(ledger["requests"]) == 1 and ledger["refunded"] == refund.amount


def test_a_timeout_then_the_status_query_on_the_retry_sends_nothing_twice(bank, due, supervisor, db, monkeypatch):
    _next_refund(bank, "lose")
    refund = _ask(db, due, supervisor)
    real_query = vnpay.query_transaction
    calls = []

    def query_down_after_the_send(*args, **kwargs):
        calls.append(1)
        if len(calls) > 1:
            raise requests.Timeout("querydr timed out")
        return real_query(*args, **kwargs)

    monkeypatch.setattr(vnpay, "query_transaction", query_down_after_the_send)
    with pytest.raises(BankUnsure):
        send_refund(refund.id)
    refund = _reload(db, refund)
    assert refund.status == RefundStatus.SENDING and refund.bank_call_at is None  # the lease is let go
    assert db.session.scalar(select(AuditEntry).where(AuditEntry.action == "refund.no_answer")) is not None
    monkeypatch.setattr(vnpay, "query_transaction", real_query)
    assert send_refund(refund.id) == "done"  # the retry asks first: refunded already
    ledger = _ledger(bank, refund)
    assert len(ledger["requests"]) == 1 and ledger["refunded"] == refund.amount


def test_a_bank_down_is_retried_with_the_same_request_id(bank, due, supervisor, db):
    _next_refund(bank, "down")  # 503: nothing done
    refund = _ask(db, due, supervisor)
    with pytest.raises(BankUnsure):
        send_refund(refund.id)
    assert _reload(db, refund).status == RefundStatus.SENDING
    assert send_refund(refund.id) == "done"
    [sent] = _ledger(bank, refund)["requests"]
    assert sent["request_id"] == refund.request_id and sent["response_code"] == "00"


def test_no_answer_on_the_last_try_fails_the_refund_and_a_retry_asks_before_sending(bank, due, supervisor, db,
                                                                                    monkeypatch):
    refund = _ask(db, due, supervisor)
    monkeypatch.setattr(refund_job, "_last_try", lambda: True)
    monkeypatch.setattr(vnpay, "query_transaction", lambda *a, **k: None)  # a checksum we cannot trust
    assert send_refund(refund.id) == "failed"
    refund = _reload(db, refund)
    assert refund.status == RefundStatus.FAILED and refund.bank_reason == str(NO_ANSWER)
    assert _ledger(bank, refund)["requests"] == []  # never sent blind


def test_the_job_without_settings_sends_nothing(bank, due, supervisor, db, app, monkeypatch):
    refund = _ask(db, due, supervisor)
    monkeypatch.setitem(app.config, "VNPAY_API_URL", "")
    with pytest.raises(BankUnsure):
        send_refund(refund.id)
    assert _reload(db, refund).status == RefundStatus.SENDING
    assert _ledger(bank, refund)["requests"] == []
