"""VNPay 2.1.0 signing and verification (checklist 20): the string signed, round trips, tampering."""
from __future__ import annotations

import hashlib
import hmac
from datetime import datetime
from urllib.parse import parse_qsl, urlsplit

import pytest

from portal.gateways import vnpay

SECRET = "SECRETKEY0123456789"
GATEWAY = vnpay.VnpayGateway("TMN00001", SECRET, "https://sandbox.vnpayment.vn/paymentv2/vpcpay.html")
REQUEST = vnpay.PayRequest(
    txn_ref="DH26110001-1A2B3C4D", amount=550_000, order_info="Thanh toan don hang DH26110001",
    ip="203.113.1.2", return_url="https://chonso.test/payments/vnpay/return?x=1",
    created_at=datetime(2026, 11, 25, 8, 0, 0), expires_at=datetime(2026, 11, 25, 8, 15, 0))


def _query(url: str) -> dict[str, str]:
    return dict(parse_qsl(urlsplit(url).query, keep_blank_values=True))


def test_hash_data_is_sorted_and_quote_plus_encoded_like_vnpay_samples():
    data = vnpay.hash_data({"vnp_TxnRef": "A 1", "vnp_Amount": "100", "vnp_ReturnUrl": "https://a.vn/r?x=1&y=2",
                            "vnp_SecureHash": "ignored", "vnp_SecureHashType": "HmacSHA512", "other": "ignored"})
    assert data == "vnp_Amount=100&vnp_ReturnUrl=https%3A%2F%2Fa.vn%2Fr%3Fx%3D1%26y%3D2&vnp_TxnRef=A+1"


def test_signature_is_hmac_sha512_hex_of_the_hash_data():
    params = {"vnp_Amount": "100", "vnp_TxnRef": "A 1"}
    expected = hmac.new(SECRET.encode(), b"vnp_Amount=100&vnp_TxnRef=A+1", hashlib.sha512).hexdigest()
    assert vnpay.sign(params, SECRET) == expected and len(expected) == 128


def test_pay_url_carries_the_2_1_0_parameters_and_a_valid_signature():
    url = GATEWAY.pay_url(REQUEST)
    assert url.startswith("https://sandbox.vnpayment.vn/paymentv2/vpcpay.html?vnp_Amount=55000000&")
    params = _query(url)
    assert params["vnp_Version"] == "2.1.0" and params["vnp_Command"] == "pay"
    assert params["vnp_TmnCode"] == "TMN00001" and params["vnp_CurrCode"] == "VND" and params["vnp_Locale"] == "vn"
    assert params["vnp_Amount"] == "55000000"  # VND × 100
    assert params["vnp_CreateDate"] == "20261125150000"  # 08:00 UTC is 15:00 in GMT+7
    assert params["vnp_ExpireDate"] == "20261125151500"
    assert params["vnp_ReturnUrl"] == REQUEST.return_url and params["vnp_IpAddr"] == "203.113.1.2"
    # The query is exactly the signed string: a bank re-encoding the decoded values gets the same signature.
    assert urlsplit(url).query == vnpay.hash_data(params) + "&vnp_SecureHash=" + params["vnp_SecureHash"]
    assert vnpay.verify(params, SECRET)


@pytest.mark.parametrize("field", ["vnp_Amount", "vnp_TxnRef", "vnp_ResponseCode", "vnp_TransactionStatus",
                                   "vnp_TmnCode", "vnp_PayDate", "vnp_BankCode", "vnp_OrderInfo"])
def test_tampering_with_any_field_breaks_the_signature(field):
    params = {"vnp_Amount": "55000000", "vnp_BankCode": "NCB", "vnp_OrderInfo": "Thanh toan", "vnp_PayDate":
              "20261125150500", "vnp_ResponseCode": "00", "vnp_TmnCode": "TMN00001", "vnp_TransactionStatus": "00",
              "vnp_TxnRef": "DH1-AA"}
    params["vnp_SecureHash"] = vnpay.sign(params, SECRET)
    assert GATEWAY.verify(params) is not None
    tampered = {**params, field: params[field] + "1"}
    assert not vnpay.verify(tampered, SECRET) and GATEWAY.verify(tampered) is None


def test_verify_fails_closed_without_secret_or_hash():
    params = {"vnp_Amount": "100", "vnp_TxnRef": "X"}
    signed = {**params, "vnp_SecureHash": vnpay.sign(params, SECRET)}
    assert not vnpay.verify(params, SECRET)  # no hash
    assert not vnpay.verify(signed, "")  # no secret configured
    assert not vnpay.verify(signed, "another-secret")
    with pytest.raises(vnpay.GatewayNotConfigured):
        vnpay.VnpayGateway("TMN00001", "", GATEWAY.pay_endpoint).pay_url(REQUEST)


def test_hash_type_and_case_of_the_hash_do_not_matter():
    params = {"vnp_Amount": "100", "vnp_TxnRef": "X"}
    signed = {**params, "vnp_SecureHash": vnpay.sign(params, SECRET).upper(), "vnp_SecureHashType": "HmacSHA512"}
    assert vnpay.verify(signed, SECRET)


def test_callback_result_reads_amount_and_pay_date_in_utc():
    params = {"vnp_Amount": "55000000", "vnp_PayDate": "20261125150500", "vnp_ResponseCode": "00",
              "vnp_TransactionStatus": "00", "vnp_TmnCode": "TMN00001", "vnp_TxnRef": "DH1-AA",
              "vnp_TransactionNo": "14226112", "vnp_BankCode": "NCB"}
    result = GATEWAY.verify({**params, "vnp_SecureHash": vnpay.sign(params, SECRET)})
    assert result.amount == 550_000 and result.succeeded
    assert result.pay_date == datetime(2026, 11, 25, 8, 5, 0)


def test_refund_checksum_is_hmac_sha512_over_vnpays_field_order(monkeypatch):
    sent = {}

    class Answer:
        def json(self):
            fields = {k: "" for k in vnpay.REFUND_RESPONSE_FIELDS} | {"vnp_ResponseCode": "00"}
            return {**fields, "vnp_SecureHash": vnpay.pipe_hash([fields[k] for k in vnpay.REFUND_RESPONSE_FIELDS],
                                                                 SECRET)}

    def post(url, json, timeout):
        sent.update(json)
        return Answer()

    monkeypatch.setattr("requests.post", post)
    request = vnpay.RefundRequest(request_id="R1", txn_ref="DH1-AA", amount=550_000, paid_amount=550_000,
                                  transaction_no="14226112", transaction_date=datetime(2026, 11, 25, 8, 0, 0),
                                  create_by="gs2", order_info="Hoan tien don hang DH1", ip="10.0.0.1")
    assert vnpay.refund("https://api.test", "TMN00001", SECRET, request)["vnp_ResponseCode"] == "00"
    data = (f"R1|2.1.0|refund|TMN00001|02|DH1-AA|55000000|14226112|20261125150000|gs2|{sent['vnp_CreateDate']}"
            "|10.0.0.1|Hoan tien don hang DH1")
    assert sent["vnp_SecureHash"] == hmac.new(SECRET.encode(), data.encode(), hashlib.sha512).hexdigest()
    partial = vnpay.RefundRequest(**{**request.__dict__, "amount": 100_000})
    assert partial.transaction_type == "03"
