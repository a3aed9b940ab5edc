"""Sending a refund through VNPay's refund API, never twice (issue 10; STYLE: create_carrier_order).

* A person's click moved the refund to SENDING with a new ``vnp_RequestId`` for this attempt; every
  run of the job for that attempt sends the same one (VNPay refuses a repeated request id).
* A run first takes a short lease on the row (a conditional UPDATE, committed before any call), so two
  workers running the job at once make one call: the second retries later and finds the refund done.
* Before every send the run asks the bank (querydr) whether the payment is already refunded: a rerun
  after a timeout or a lost answer records the refund instead of sending it again. With no usable
  answer from querydr it sends nothing and retries later.
* After any answer but 00 it asks again before deciding: refunded → done; else the bank's refusal is
  kept and the refund is failed, for a person to retry (a new attempt) or close by hand. No answer at
  all → retried with backoff; on the last try the refund is failed with "no answer" rather than left
  sending for ever (a person's retry asks the bank first, so it cannot pay twice).

HTTP calls are made with no transaction open (SQLite's write lock is not held while the bank thinks).
"""
from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import timedelta

import requests
from flask import current_app
from rq import get_current_job
from sqlalchemy import or_, update

from portal.core.actors import SystemActor
from portal.core.audit import audit
from portal.core.jobs import job
from portal.core.states import transition
from portal.core.time import utcnow
from portal.extensions import db
from portal.gateways import vnpay
from portal.payments.models import REFUND_TRANSITIONS, Refund, RefundStatus

log = logging.getLogger(__name__)
BANK = SystemActor("VNPay")
LEASE = timedelta(minutes=2)  # longer than a run's three calls (10 s timeout each)
UNSURE_CODES = {"98"}  # VNPay timed out itself: the refund may or may not have happened
REFUNDED = {"00", "05", "06"}  # querydr of a refunded payment: refunded, VNPay processing, sent to the bank
NOT_AT_BANK = "91"


class BankUnsure(RuntimeError):
    """No usable answer from the bank: retried later (and the bank is asked before anything is resent)."""


class RefundBusy(RuntimeError):
    """Another run is talking to the bank about this refund right now: retried later."""


@dataclass(frozen=True)
class Outcome:
    """What the bank said, in the refund's terms: done, failed, or unsure (no usable answer)."""

    status: RefundStatus | None  # None: unsure
    code: str = ""
    message: str = ""
    transaction_no: str = ""
    source: str = "refund"  # which call told us: "refund" or "querydr"


UNSURE = Outcome(None)


def _job_id() -> str:
    current = get_current_job()
    return current.id if current else "-"


def _last_try() -> bool:
    current = get_current_job()
    return current is not None and not current.retries_left


@job
def send_refund(refund_id: int) -> str | None:
    """Give a payment's money back through VNPay, once: returns the refund's new status, or None."""
    refund = db.session.get(Refund, refund_id)
    if refund is None or refund.status != RefundStatus.SENDING:
        log.info("job %s: refund %s is not sending: nothing to do", _job_id(), refund_id)
        return None
    now = utcnow()
    claimed = db.session.execute(
        update(Refund).where(Refund.id == refund_id, Refund.status == RefundStatus.SENDING,
                             or_(Refund.bank_call_at.is_(None), Refund.bank_call_at < now - LEASE))
        .values(bank_call_at=now).execution_options(synchronize_session=False)).rowcount == 1
    if not claimed:
        raise RefundBusy(f"refund {refund_id} is being sent by another run")
    payment = refund.payment
    call = vnpay.RefundRequest(
        request_id=refund.request_id, txn_ref=payment.txn_ref, amount=refund.amount, paid_amount=payment.amount,
        transaction_no=payment.transaction_no, transaction_date=payment.created_at,
        create_by=(refund.requested_by or "portal")[:50], order_info=f"Hoan tien don hang {refund.order.order_no}",
        ip="127.0.0.1")
    db.session.commit()  # the lease is held before the bank is called; no transaction while we wait
    outcome = _ask_the_bank(call)
    refund = db.session.get(Refund, refund_id)
    if outcome.status is None and not _last_try():
        db.session.execute(update(Refund).where(Refund.id == refund_id).values(bank_call_at=None))
        audit("refund.no_answer", refund, actor=BANK, detail={"request_id": call.request_id})
        db.session.commit()  # the lease goes now, so the retry need not wait for it
        raise BankUnsure(f"refund {refund_id}: no usable answer from the bank; retried later")
    return _record(refund, outcome, call)


def _ask_the_bank(call: vnpay.RefundRequest) -> Outcome:
    """querydr, then refund only if the payment is not refunded yet, then querydr again after anything but 00."""
    config = current_app.config
    if not (config["VNPAY_API_URL"] and config["VNPAY_HASH_SECRET"] and config["VNPAY_TMN_CODE"]):
        log.error("job %s: VNPAY_API_URL / VNPAY_HASH_SECRET / VNPAY_TMN_CODE not set: refund not sent", _job_id())
        return UNSURE
    before = _refunded(call)
    if before is None:
        return UNSURE  # never send blind
    if before:
        return before  # an earlier run's refund went through; its answer was lost
    answer = _safely("refund", call, lambda api: vnpay.refund(*api, call))
    code = (answer or {}).get("vnp_ResponseCode", "")
    if answer is not None and code == "00":
        return Outcome(RefundStatus.DONE, code, answer.get("vnp_Message", ""), answer.get("vnp_TransactionNo", ""))
    after = _refunded(call)  # lost answer, duplicate, refusal: did the money go back all the same?
    if after:
        return after
    if answer is None or code in UNSURE_CODES or after is None:
        return UNSURE
    return Outcome(RefundStatus.FAILED, code, answer.get("vnp_Message", ""))


def _refunded(call: vnpay.RefundRequest) -> Outcome | bool | None:
    """querydr: the DONE outcome if the payment is refunded at the bank, False if not, None if we cannot tell."""
    answer = _safely("querydr", call, lambda api: vnpay.query_transaction(
        *api, call.txn_ref, call.transaction_date, call.ip))
    code = (answer or {}).get("vnp_ResponseCode")
    if answer is None or code not in ("00", NOT_AT_BANK):
        return None
    if code == "00" and answer.get("vnp_TransactionType") in (vnpay.FULL_REFUND, vnpay.PARTIAL_REFUND) \
            and answer.get("vnp_TransactionStatus") in REFUNDED:
        return Outcome(RefundStatus.DONE, code, answer.get("vnp_Message", ""), answer.get("vnp_TransactionNo", ""),
                       source="querydr")
    return False  # a payment not refunded (yet), or unknown to the bank (its refund answer will say so)


def _safely(name: str, call: vnpay.RefundRequest,
            send: Callable[[tuple[str, str, str]], dict[str, str] | None]) -> dict[str, str] | None:
    """One call to the merchant web API; None for a timeout, a network error or an answer we cannot trust."""
    config = current_app.config
    try:
        answer = send((config["VNPAY_API_URL"], config["VNPAY_TMN_CODE"], config["VNPAY_HASH_SECRET"]))
    except (requests.RequestException, ValueError) as exc:
        log.warning("job %s: %s %s: %s", _job_id(), name, call.txn_ref, type(exc).__name__)
        return None
    if answer is None:
        log.warning("job %s: %s %s: answer with a bad checksum ignored", _job_id(), name, call.txn_ref)
    return answer


def _record(refund: Refund, outcome: Outcome, call: vnpay.RefundRequest) -> str:
    """Move the refund to done or failed with the bank's answer (the move's audit row carries it)."""
    if outcome.status is None:  # the last try and still no answer: a person decides (their retry asks first)
        outcome = replace(outcome, status=RefundStatus.FAILED)
    to = outcome.status
    transition(refund, to, BANK, REFUND_TRANSITIONS, f"vnp_ResponseCode={outcome.code or '-'} ({outcome.source})",
               response_code=outcome.code[:4], bank_message=outcome.message[:255],
               transaction_no=outcome.transaction_no[:40], finished_at=utcnow(), bank_call_at=None)
    log.info("job %s: refund %s %s (%s %s)", _job_id(), refund.id, to.value, outcome.source, outcome.code)
    return to.value
