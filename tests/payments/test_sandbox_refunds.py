"""The sandbox bank answers VNPay's refund API as VNPay documents it: checksum, transaction, amount, request id."""
from __future__ import annotations

from datetime import UTC, datetime

import pytest
import requests

from portal.gateways import vnpay
from tests.payments.conftest import SECRET, TMN, pay_at_bank

API = "/merchant_webapi/api/transaction"


def _request(payment, amount: int | None = None, request_id: str = "REQ0001", **override) -> vnpay.RefundRequest:
    fields = {"request_id": request_id, "txn_ref": payment.txn_ref, "amount": payment.amount if amount is None
              else amount, "paid_amount": payment.amount, "transaction_no": payment.transaction_no,
              "transaction_date": payment.created_at, "create_by": "gs2", "order_info": "Hoan tien", "ip": "127.0.0.1"}
    return vnpay.RefundRequest(**{**fields, **override})


@pytest.fixture
def paid(bank, make_order):
    return pay_at_bank(bank, make_order())


def _refund(bank, request: vnpay.RefundRequest, secret: str = SECRET) -> dict | None:
    return vnpay.refund(bank["bank"] + API, TMN, secret, request)


def test_a_signed_refund_is_accepted_and_its_answer_verifies(bank, paid):
    answer = _refund(bank, _request(paid))
    assert answer["vnp_ResponseCode"] == "00" and answer["vnp_Command"] == "refund"
    assert answer["vnp_Amount"] == str(paid.amount * 100) and answer["vnp_TransactionType"] == "02"
    assert answer["vnp_TransactionNo"] and answer["vnp_TxnRef"] == paid.txn_ref


def test_a_bad_checksum_is_97_and_refunds_nothing(bank, paid):
    body = {"vnp_RequestId": "REQ-X", "vnp_Version": "2.1.0", "vnp_Command": "refund", "vnp_TmnCode": TMN,
            "vnp_TransactionType": "02", "vnp_TxnRef": paid.txn_ref, "vnp_Amount": str(paid.amount * 100),
            "vnp_TransactionNo": paid.transaction_no, "vnp_TransactionDate": vnpay.vn_time(paid.created_at),
            "vnp_CreateBy": "gs2", "vnp_CreateDate": vnpay.vn_time(datetime.now(UTC)), "vnp_IpAddr": "127.0.0.1",
            "vnp_OrderInfo": "Hoan tien"}
    body["vnp_SecureHash"] = vnpay.pipe_hash([body[k] for k in vnpay.REFUND_REQUEST_FIELDS], SECRET)
    tampered = {**body, "vnp_Amount": str(paid.amount * 200)}  # signed for the real amount, amount doubled
    answer = requests.post(bank["bank"] + API, json=tampered, timeout=5).json()
    assert answer["vnp_ResponseCode"] == "97"
    # The answer is signed too: a merchant with another secret cannot trust it (the client says None).
    assert _refund(bank, _request(paid, request_id="REQ0002"), secret="not-the-secret") is None
    ledger = requests.get(f"{bank['bank']}/sandbox/refunds/{paid.txn_ref}", timeout=5).json()
    assert ledger["refunded"] == 0


def test_a_repeated_request_id_is_refused(bank, paid):
    assert _refund(bank, _request(paid, amount=100_000))["vnp_ResponseCode"] == "00"
    again = _refund(bank, _request(paid, amount=100_000))  # the same vnp_RequestId
    assert again["vnp_ResponseCode"] == "94"
    ledger = requests.get(f"{bank['bank']}/sandbox/refunds/{paid.txn_ref}", timeout=5).json()
    assert ledger["refunded"] == 100_000 and len(ledger["requests"]) == 2


def test_no_more_than_what_is_left_and_no_full_refund_after_a_partial_one(bank, paid):
    assert _refund(bank, _request(paid, amount=paid.amount + 1))["vnp_ResponseCode"] == "93"
    partial = _refund(bank, _request(paid, amount=50_000, request_id="REQ0002"))
    assert partial["vnp_ResponseCode"] == "00" and partial["vnp_TransactionType"] == "03"
    assert _refund(bank, _request(paid, amount=paid.amount - 40_000, request_id="REQ0003"))[
        "vnp_ResponseCode"] == "93"
    full = _request(paid, amount=paid.amount - 50_000, request_id="REQ0004", paid_amount=paid.amount - 50_000)
    assert _refund(bank, full)["vnp_ResponseCode"] == "04"  # "02" full for what is left after a partial: refused


def test_unknown_or_unpaid_transactions_are_refused(bank, paid, make_order):
    assert _refund(bank, _request(paid, txn_ref="NOPE"))["vnp_ResponseCode"] == "91"
    from portal.customers.models import Customer
    from portal.extensions import db
    from portal.payments import services

    order = make_order()
    url = services.start_payment(order, db.session.get(Customer, order.customer_id), "127.0.0.1")
    db.session.commit()
    requests.get(url, timeout=10)  # the bank has the transaction; the customer never paid
    unpaid = services.last_payment(order)
    assert _refund(bank, _request(unpaid, request_id="REQ0009"))["vnp_ResponseCode"] == "95"


def test_the_switch_refuses_the_next_refund_only_and_the_page_lists_refunds(bank, paid):
    assert requests.post(f"{bank['bank']}/sandbox/next-refund", data={"mode": "refuse"}, timeout=5).ok
    assert _refund(bank, _request(paid))["vnp_ResponseCode"] == "99"
    assert _refund(bank, _request(paid, request_id="REQ0002"))["vnp_ResponseCode"] == "00"
    page = requests.get(bank["bank"] + "/", timeout=5).text
    assert paid.txn_ref in page and "Lần hoàn tiền tiếp theo" in page and "Refund success" in page
    assert requests.post(f"{bank['bank']}/sandbox/next-refund", data={"mode": "bogus"}, timeout=5).status_code == 400
