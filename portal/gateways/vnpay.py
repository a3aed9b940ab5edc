"""VNPay payment gateway, protocol 2.1.0 (pay URL, return URL and IPN; querydr and refund).

The signature is VNPay's own recipe, as in its merchant samples: take every
``vnp_*`` parameter except ``vnp_SecureHash``/``vnp_SecureHashType``, sort by
name, join ``name=quote_plus(value)`` with ``&`` and sign that string with
HMAC-SHA512 under the merchant's hash secret (hex digest). The same string,
with the hash appended, is the pay URL's query. VNPay signs the return-URL and
IPN parameters the same way, so one function checks both.

With no hash secret configured the gateway refuses to build a URL and every
signature is invalid (fail closed).
"""
from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from typing import Protocol
from urllib.parse import quote_plus

from portal.core.digits import ascii_digits

VERSION = "2.1.0"
VN_TZ = timezone(timedelta(hours=7), "GMT+7")  # Vietnam has no daylight saving time
DATE_FORMAT = "%Y%m%d%H%M%S"
HASH_FIELDS_EXCLUDED = ("vnp_SecureHash", "vnp_SecureHashType")
MAX_AMOUNT = 9_999_999_999  # VND: vnp_Amount is Numeric[1,12] and carries the amount × 100

# vnp_ResponseCode values the portal tells apart (VNPay's table has more; all others are "failed").
SUCCESS = "00"
CUSTOMER_CANCELLED = "24"
TIMED_OUT = "11"
INSUFFICIENT_FUNDS = "51"


class GatewayNotConfigured(RuntimeError):
    """No hash secret or terminal code: the gateway fails closed."""


def vn_time(moment: datetime) -> str:
    """A UTC datetime (naive = UTC, as stored) as VNPay's yyyyMMddHHmmss in GMT+7."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(VN_TZ).strftime(DATE_FORMAT)


def parse_vn_time(text: str) -> datetime | None:
    """VNPay's yyyyMMddHHmmss (GMT+7) as a naive UTC datetime; None if malformed."""
    try:
        local = datetime.strptime(text or "", DATE_FORMAT).replace(tzinfo=VN_TZ)
    except ValueError:
        return None
    return local.astimezone(UTC).replace(tzinfo=None)


def hash_data(params: Mapping[str, object]) -> str:
    """The string VNPay signs: sorted vnp_* parameters, values URL-encoded with quote_plus."""
    # Empty values stay in: VNPay signs every vnp_* field it sends (vnp_BankTranNo is often empty).
    items = sorted((k, v) for k, v in params.items()
                   if k.startswith("vnp_") and k not in HASH_FIELDS_EXCLUDED and v is not None)
    return "&".join(f"{k}={quote_plus(str(v))}" for k, v in items)


def sign(params: Mapping[str, object], secret: str) -> str:
    if not secret:
        raise GatewayNotConfigured("VNPAY_HASH_SECRET is not set")
    return hmac.new(secret.encode(), hash_data(params).encode(), hashlib.sha512).hexdigest()


def verify(params: Mapping[str, str], secret: str) -> bool:
    """Whether ``params`` carry VNPay's valid signature (constant-time compare; no secret → False)."""
    given = params.get("vnp_SecureHash") or ""
    if not secret or not given:
        return False
    return hmac.compare_digest(sign(params, secret).lower(), given.lower())


def signed_query(params: Mapping[str, object], secret: str) -> str:
    return f"{hash_data(params)}&vnp_SecureHash={sign(params, secret)}"


@dataclass(frozen=True)
class PayRequest:
    """What the portal asks the customer to pay for one payment attempt."""

    txn_ref: str  # unique per attempt
    amount: int  # VND
    order_info: str  # plain ASCII: VNPay shows it and refuses some characters
    ip: str
    return_url: str
    created_at: datetime  # UTC
    expires_at: datetime  # UTC
    order_type: str = "other"
    locale: str = "vn"
    bank_code: str = ""


@dataclass(frozen=True)
class CallbackResult:
    """A verified return/IPN call, in the portal's terms."""

    txn_ref: str
    amount: int  # VND (vnp_Amount / 100)
    raw_amount: str
    response_code: str
    transaction_status: str
    transaction_no: str
    bank_code: str
    pay_date: datetime | None

    @property
    def succeeded(self) -> bool:
        return self.response_code == SUCCESS and self.transaction_status in (SUCCESS, "")


class PaymentGateway(Protocol):
    """What the payments domain needs from a card/bank gateway."""

    def pay_url(self, request: PayRequest) -> str: ...

    def verify(self, params: Mapping[str, str]) -> CallbackResult | None:
        """The call's result if its signature is valid, else None."""


@dataclass(frozen=True)
class VnpayGateway:
    tmn_code: str
    hash_secret: str
    pay_endpoint: str

    def pay_url(self, request: PayRequest) -> str:
        if not (self.hash_secret and self.tmn_code):
            raise GatewayNotConfigured("VNPAY_TMN_CODE and VNPAY_HASH_SECRET are required")
        if not 0 < request.amount <= MAX_AMOUNT:
            raise ValueError(f"vnp_Amount holds 1 to 12 digits: {request.amount} VND cannot be paid through VNPay")
        params = {
            "vnp_Version": VERSION,
            "vnp_Command": "pay",
            "vnp_TmnCode": self.tmn_code,
            "vnp_Amount": str(request.amount * 100),
            "vnp_CurrCode": "VND",
            "vnp_TxnRef": request.txn_ref,
            "vnp_OrderInfo": request.order_info,
            "vnp_OrderType": request.order_type,
            "vnp_Locale": request.locale,
            "vnp_ReturnUrl": request.return_url,
            "vnp_IpAddr": request.ip,
            "vnp_CreateDate": vn_time(request.created_at),
            "vnp_ExpireDate": vn_time(request.expires_at),
        }
        if request.bank_code:
            params["vnp_BankCode"] = request.bank_code
        return f"{self.pay_endpoint}?{signed_query(params, self.hash_secret)}"

    def verify(self, params: Mapping[str, str]) -> CallbackResult | None:
        if not verify(params, self.hash_secret) or params.get("vnp_TmnCode") != self.tmn_code:
            return None
        raw_amount = params.get("vnp_Amount", "")
        amount = vnd_from_amount(raw_amount)
        return CallbackResult(
            txn_ref=params.get("vnp_TxnRef", ""),
            amount=amount,
            raw_amount=raw_amount,
            response_code=params.get("vnp_ResponseCode", ""),
            transaction_status=params.get("vnp_TransactionStatus", ""),
            transaction_no=params.get("vnp_TransactionNo", ""),
            bank_code=params.get("vnp_BankCode", ""),
            pay_date=parse_vn_time(params.get("vnp_PayDate", "")),
        )


def vnd_from_amount(raw: str) -> int:
    """``vnp_Amount`` (VND × 100, digits by portal.core.digits) in VND; -1 if it is not one."""
    digits = ascii_digits(raw)
    return int(digits) // 100 if digits and int(digits) % 100 == 0 else -1


def gateway() -> PaymentGateway:
    """The gateway chosen by configuration (the sandbox bank and VNPay speak the same protocol)."""
    from flask import current_app

    config = current_app.config
    return VnpayGateway(config["VNPAY_TMN_CODE"], config["VNPAY_HASH_SECRET"], config["VNPAY_PAY_URL"])


def pipe_hash(values: list[object], secret: str) -> str:
    """The querydr/refund API's checksum: HMAC-SHA512 over the fields joined with '|' in VNPay's order."""
    if not secret:
        raise GatewayNotConfigured("VNPAY_HASH_SECRET is not set")
    data = "|".join("" if v is None else str(v) for v in values)
    return hmac.new(secret.encode(), data.encode(), hashlib.sha512).hexdigest()


QUERY_REQUEST_FIELDS = ("vnp_RequestId", "vnp_Version", "vnp_Command", "vnp_TmnCode", "vnp_TxnRef",
                        "vnp_TransactionDate", "vnp_CreateDate", "vnp_IpAddr", "vnp_OrderInfo")
QUERY_RESPONSE_FIELDS = ("vnp_ResponseId", "vnp_Command", "vnp_ResponseCode", "vnp_Message", "vnp_TmnCode",
                         "vnp_TxnRef", "vnp_Amount", "vnp_BankCode", "vnp_PayDate", "vnp_TransactionNo",
                         "vnp_TransactionType", "vnp_TransactionStatus", "vnp_OrderInfo", "vnp_PromotionCode",
                         "vnp_PromotionAmount")


def query_transaction(api_url: str, tmn_code: str, secret: str, txn_ref: str, transaction_date: datetime,
                      ip: str, timeout: float = 10.0) -> dict[str, str] | None:
    """querydr: ask VNPay for the state of one transaction; None if the answer's checksum is wrong."""
    import secrets as _secrets

    body = {
        "vnp_RequestId": _secrets.token_hex(16), "vnp_Version": VERSION, "vnp_Command": "querydr",
        "vnp_TmnCode": tmn_code, "vnp_TxnRef": txn_ref, "vnp_TransactionDate": vn_time(transaction_date),
        "vnp_CreateDate": vn_time(datetime.now(UTC)), "vnp_IpAddr": ip, "vnp_OrderInfo": f"Truy van {txn_ref}",
    }
    return _call(api_url, body, QUERY_REQUEST_FIELDS, QUERY_RESPONSE_FIELDS, secret, timeout)


# The refund API (vnp_Command=refund): the same endpoint and checksum style as querydr, in VNPay's documented order.
REFUND_REQUEST_FIELDS = ("vnp_RequestId", "vnp_Version", "vnp_Command", "vnp_TmnCode", "vnp_TransactionType",
                         "vnp_TxnRef", "vnp_Amount", "vnp_TransactionNo", "vnp_TransactionDate", "vnp_CreateBy",
                         "vnp_CreateDate", "vnp_IpAddr", "vnp_OrderInfo")
REFUND_RESPONSE_FIELDS = ("vnp_ResponseId", "vnp_Command", "vnp_ResponseCode", "vnp_Message", "vnp_TmnCode",
                          "vnp_TxnRef", "vnp_Amount", "vnp_BankCode", "vnp_PayDate", "vnp_TransactionNo",
                          "vnp_TransactionType", "vnp_TransactionStatus", "vnp_OrderInfo")
FULL_REFUND = "02"  # vnp_TransactionType; querydr reports a refunded payment with the same codes
PARTIAL_REFUND = "03"


@dataclass(frozen=True)
class RefundRequest:
    """One refund request; ``request_id`` is stable for one attempt (VNPay refuses a repeated vnp_RequestId)."""

    request_id: str  # Alphanumeric[1,32]
    txn_ref: str  # the payment's vnp_TxnRef
    amount: int  # VND to give back
    paid_amount: int  # VND of the payment: equal → full refund (02), less → partial (03)
    transaction_no: str  # the payment's vnp_TransactionNo at VNPay
    transaction_date: datetime  # UTC: the payment's vnp_CreateDate
    create_by: str  # who asked (the merchant's user)
    order_info: str  # plain ASCII
    ip: str

    @property
    def transaction_type(self) -> str:
        return FULL_REFUND if self.amount == self.paid_amount else PARTIAL_REFUND


def refund(api_url: str, tmn_code: str, secret: str, request: RefundRequest,
           timeout: float = 10.0) -> dict[str, str] | None:
    """refund: ask VNPay to give a payment's money back; None if the answer's checksum is wrong."""
    body = {
        "vnp_RequestId": request.request_id, "vnp_Version": VERSION, "vnp_Command": "refund",
        "vnp_TmnCode": tmn_code, "vnp_TransactionType": request.transaction_type, "vnp_TxnRef": request.txn_ref,
        "vnp_Amount": str(request.amount * 100), "vnp_TransactionNo": request.transaction_no,
        "vnp_TransactionDate": vn_time(request.transaction_date), "vnp_CreateBy": request.create_by,
        "vnp_CreateDate": vn_time(datetime.now(UTC)), "vnp_IpAddr": request.ip, "vnp_OrderInfo": request.order_info,
    }
    return _call(api_url, body, REFUND_REQUEST_FIELDS, REFUND_RESPONSE_FIELDS, secret, timeout)


def _call(api_url: str, body: dict[str, str], request_fields: tuple[str, ...], response_fields: tuple[str, ...],
          secret: str, timeout: float) -> dict[str, str] | None:
    """POST one signed JSON request to the merchant web API; the answer, or None if its checksum is wrong.

    Network errors and answers that are not JSON raise (requests.RequestException, ValueError).
    """
    import requests

    body["vnp_SecureHash"] = pipe_hash([body[k] for k in request_fields], secret)
    answer = requests.post(api_url, json=body, timeout=timeout).json()
    if not isinstance(answer, dict):
        raise ValueError("the bank's answer is not a JSON object")
    expected = pipe_hash([answer.get(k, "") for k in response_fields], secret)
    if not hmac.compare_digest(expected, str(answer.get("vnp_SecureHash", ""))):
        return None
    return {k: str(v) for k, v in answer.items()}
