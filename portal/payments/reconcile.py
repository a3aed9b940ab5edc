"""Attempts whose IPN never came: ask the bank (VNPay querydr) and settle them as the IPN would have.

VNPay retries its IPN, but a merchant that was down long enough, or a
network that lost every try, leaves an attempt ``pending`` with the money
possibly taken. After the pay window (plus a margin) the reconciler asks
the bank: paid → settled exactly like a successful IPN (same conditional
updates, so a late IPN racing it answers 02); not finished or unknown to
the bank → expired; failed → failed.
"""
from __future__ import annotations

import logging
from datetime import timedelta

import requests
from flask import current_app
from sqlalchemy import select

from portal.core.audit import audit
from portal.core.jobs import job, periodic
from portal.core.time import utcnow
from portal.extensions import db
from portal.gateways import vnpay
from portal.payments.models import Payment, PaymentStatus
from portal.payments.services import BANK, settle

log = logging.getLogger(__name__)
MARGIN = timedelta(minutes=5)  # VNPay's own IPN retries get this long after the pay window
NOT_AT_BANK = "91"  # querydr: the bank has no such transaction (the customer never paid)


def _result(payment: Payment, answer: dict[str, str]) -> vnpay.CallbackResult | None:
    """The querydr answer in the IPN's terms; None when it says nothing usable."""
    code = answer.get("vnp_ResponseCode")
    if code == NOT_AT_BANK:
        status, response_code = "01", vnpay.TIMED_OUT
    elif code == "00":
        status = answer.get("vnp_TransactionStatus", "")
        response_code = {"00": vnpay.SUCCESS, "01": vnpay.TIMED_OUT}.get(status, answer.get("vnp_ResponseCode", ""))
        if status == "02":
            response_code = "99"  # failed at the bank; querydr does not say why
    else:
        return None
    raw_amount = answer.get("vnp_Amount") or str(payment.amount * 100)
    return vnpay.CallbackResult(
        txn_ref=payment.txn_ref, amount=vnpay.vnd_from_amount(raw_amount),
        raw_amount=raw_amount, response_code=response_code, transaction_status=status,
        transaction_no=answer.get("vnp_TransactionNo", ""), bank_code=answer.get("vnp_BankCode", ""),
        pay_date=vnpay.parse_vn_time(answer.get("vnp_PayDate", "")))


@periodic(interval=300)
@job
def reconcile_pending_payments(limit: int = 50) -> int:
    """Settle attempts still pending after their pay window from the bank's own record (querydr)."""
    config = current_app.config
    if not (config["VNPAY_API_URL"] and config["VNPAY_HASH_SECRET"] and config["VNPAY_TMN_CODE"]):
        return 0
    stale = db.session.scalars(select(Payment).where(Payment.status == PaymentStatus.PENDING,
                                                     Payment.expires_at < utcnow() - MARGIN)
                               .order_by(Payment.id).limit(limit)).all()
    wanted = [(p.id, p.txn_ref, p.created_at) for p in stale]
    db.session.rollback()  # no transaction (nor SQLite's write lock) while we wait for the bank
    answers = {}
    for payment_id, txn_ref, created_at in wanted:
        try:
            answer = vnpay.query_transaction(config["VNPAY_API_URL"], config["VNPAY_TMN_CODE"],
                                             config["VNPAY_HASH_SECRET"], txn_ref, created_at, "127.0.0.1")
        except (requests.RequestException, ValueError) as exc:
            log.warning("querydr %s failed: %s", txn_ref, type(exc).__name__)
            continue
        if answer is None:
            log.warning("querydr %s: answer with a bad checksum ignored", txn_ref)
            continue
        answers[payment_id] = answer
    settled = 0
    for payment_id, answer in answers.items():
        payment = db.session.get(Payment, payment_id)
        result = _result(payment, answer)
        if result is None or payment.status != PaymentStatus.PENDING:
            continue
        if result.raw_amount != str(payment.amount * 100):
            audit("payment.amount_mismatch", payment, actor=BANK,
                  detail={"txn_ref": payment.txn_ref, "got": result.raw_amount[:20], "source": "querydr"})
            continue
        if settle(payment, result):
            audit("payment.reconciled", payment, actor=BANK, detail={"txn_ref": payment.txn_ref,
                                                                     "status": payment.status.value})
            settled += 1
    return settled
