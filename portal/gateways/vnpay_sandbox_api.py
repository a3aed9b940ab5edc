"""The sandbox bank's merchant web API (querydr, refund) and its page: what it did, and the next refund's switch.

``register`` adds the routes to the sandbox bank's app (``portal.gateways.vnpay_sandbox``), sharing its
state file. Refunds are checked as VNPay documents them: checksum (97), terminal (02), format (03), a
vnp_RequestId already seen (94), an unknown (91) or unpaid (95) transaction, a full refund after a
partial one (04), more than what is left to refund (93). The page's switch makes the next refund fail
(99), lose its answer after refunding (HTTP 504) or find the bank down (HTTP 503), for demos and tests.
"""
from __future__ import annotations

import json
import logging
import secrets
import sqlite3
import threading
from collections.abc import Callable
from datetime import UTC, datetime

from flask import Flask, Response, abort, jsonify, redirect, request
from flask.typing import ResponseReturnValue

from portal.core.digits import is_ascii_digits
from portal.gateways import vnpay

log = logging.getLogger("vnpay_sandbox")

SCHEMA = (
    # Every refund request received, accepted or not (request_id NULL: a repeated vnp_RequestId).
    """CREATE TABLE IF NOT EXISTS refund_request (
  id INTEGER PRIMARY KEY, request_id TEXT UNIQUE, txn_ref TEXT, amount INTEGER, transaction_type TEXT,
  create_by TEXT, response_code TEXT, message TEXT, transaction_no TEXT, created_at TEXT)""",
    "CREATE TABLE IF NOT EXISTS setting (name TEXT PRIMARY KEY, value TEXT)",
)
# The page's switch: what the bank does with the next refund request (then back to "accept").
NEXT_REFUND = {
    "accept": "Hoàn tiền bình thường",
    "refuse": "Từ chối lần hoàn tiền tiếp theo (mã 99)",
    "lose": "Hoàn tiền nhưng làm mất câu trả lời (HTTP 504)",
    "down": "Không xử lý, trả HTTP 503 (ngân hàng gián đoạn)",
}
REFUSED = ("99", "Ngan hang phat hanh tu choi hoan tien (sandbox)")

INDEX = """<h1 style="font-size:1.2rem">Ngân hàng thử nghiệm</h1>
<form method="post" action="/sandbox/next-refund"><p><strong>Lần hoàn tiền tiếp theo</strong></p>
{% for key, label in modes.items() %}<label style="display:block;margin:4px 0"><input type="radio" name="mode"
 value="{{ key }}" {% if key == mode %}checked{% endif %}> {{ label }}</label>{% endfor %}
<button class="warn" type="submit">Lưu</button></form>
<h2 style="font-size:1rem">Hoàn tiền</h2>
{% for r in refunds %}<div class="row"><span>{{ r.txn_ref }} · {{ vnd(r.amount) }} VND · {{ r.create_by }}</span>
<strong class="{{ '' if r.response_code == '00' else 'err' }}">{{ r.response_code or '503' }}
{{ r.message }}</strong></div>{% else %}<p>Chưa có yêu cầu hoàn tiền.</p>{% endfor %}
<h2 style="font-size:1rem">Giao dịch</h2>
{% for t in txns %}<div class="row"><span>{{ t.txn_ref }} · {{ t.amount }} VND</span><span>{{ t.status }}</span>
</div>{% else %}<p>Chưa có giao dịch.</p>{% endfor %}"""


REFUND_STATUS = "05"  # vnp_TransactionStatus of a refund VNPay accepted: "VNPAY đang xử lý giao dịch hoàn tiền"


def _refunds(conn: sqlite3.Connection, txn_ref: str) -> list[sqlite3.Row]:
    """The accepted refunds of one transaction, oldest first."""
    return conn.execute("SELECT * FROM refund_request WHERE txn_ref = ? AND response_code = '00' ORDER BY id",
                        (txn_ref,)).fetchall()


def _setting(conn: sqlite3.Connection, name: str) -> str:
    row = conn.execute("SELECT value FROM setting WHERE name = ?", (name,)).fetchone()
    return row["value"] if row else "accept"


def register(app: Flask, *, tmn_code: str, hash_secret: str, db: Callable[[], sqlite3.Connection],
             lock: threading.Lock, page: Callable, vnd: Callable[[int], str]) -> None:
    """Add the merchant web API and the bank's own page to the sandbox app."""

    @app.get("/")
    def index() -> ResponseReturnValue:
        """What the bank did: recent transactions and refunds, and the switch for the next refund."""
        with db() as conn:
            txns = conn.execute("SELECT txn_ref, status, params, created_at FROM txn "
                                "ORDER BY created_at DESC LIMIT 50").fetchall()
            refunds = conn.execute("SELECT * FROM refund_request ORDER BY id DESC LIMIT 50").fetchall()
            mode = _setting(conn, "next_refund")
        rows = [{"txn_ref": t["txn_ref"], "status": t["status"], "created_at": t["created_at"][:19],
                 "amount": vnd(int(json.loads(t["params"]).get("vnp_Amount", "0")) // 100)} for t in txns]
        return page("Sandbox", INDEX, txns=rows, refunds=refunds, mode=mode, modes=NEXT_REFUND, vnd=vnd)

    @app.post("/sandbox/next-refund")
    def next_refund() -> ResponseReturnValue:
        mode = request.form.get("mode", "")
        if mode not in NEXT_REFUND:
            abort(400)
        with lock, db() as conn:
            conn.execute("INSERT OR REPLACE INTO setting (name, value) VALUES ('next_refund', ?)", (mode,))
        return redirect("/", code=303)

    @app.post("/merchant_webapi/api/transaction")
    def api() -> ResponseReturnValue:
        body = request.get_json(silent=True) or {}
        command = body.get("vnp_Command")
        if command == "refund":
            return _refund(body)
        answer = {"vnp_ResponseId": secrets.token_hex(16), "vnp_Command": body.get("vnp_Command", ""),
                  "vnp_TmnCode": body.get("vnp_TmnCode", ""), "vnp_TxnRef": body.get("vnp_TxnRef", "")}
        expected = vnpay.pipe_hash([body.get(k, "") for k in vnpay.QUERY_REQUEST_FIELDS], hash_secret)
        with db() as conn:
            row = conn.execute("SELECT * FROM txn WHERE txn_ref = ?", (body.get("vnp_TxnRef", ""),)).fetchone()
            refunded = _refunds(conn, body.get("vnp_TxnRef", ""))
        if command != "querydr":
            code, message = "03", "Invalid request"
        elif not secrets.compare_digest(expected, str(body.get("vnp_SecureHash", ""))):
            code, message = "97", "Invalid checksum"
        elif body.get("vnp_TmnCode") != tmn_code:
            code, message = "02", "Merchant is not valid"
        elif row is None:
            code, message = "91", "Transaction not found"
        else:
            code, message = "00", "QueryDR Success"
            result = json.loads(row["result"] or "{}") or json.loads(row["params"])
            answer.update({k: result.get(k, "") for k in ("vnp_Amount", "vnp_BankCode", "vnp_PayDate",
                                                          "vnp_TransactionNo", "vnp_OrderInfo")})
            answer["vnp_TransactionStatus"] = result.get("vnp_TransactionStatus", "01")  # 01: not finished
            answer["vnp_TransactionType"] = "01"  # a payment
            if refunded:  # as VNPay reports a refunded payment: the refund's type, "05" VNPay is processing it
                answer["vnp_TransactionType"] = refunded[-1]["transaction_type"]
                answer["vnp_TransactionStatus"] = REFUND_STATUS
        answer.update({"vnp_ResponseCode": code, "vnp_Message": message})
        return jsonify(signed(answer, vnpay.QUERY_RESPONSE_FIELDS))

    def signed(answer: dict[str, str], fields: tuple[str, ...]) -> dict[str, str]:
        answer = {k: answer.get(k, "") for k in fields}
        answer["vnp_SecureHash"] = vnpay.pipe_hash([answer[k] for k in fields], hash_secret)
        return answer

    def _refund(body: dict) -> ResponseReturnValue:
        """VNPay's refund API: checksum, terminal, format, repeated request id, transaction, amount left."""
        fields = vnpay.REFUND_REQUEST_FIELDS
        expected = vnpay.pipe_hash([body.get(k, "") for k in fields], hash_secret)
        txn_ref, request_id = str(body.get("vnp_TxnRef", "")), str(body.get("vnp_RequestId", ""))
        raw_amount = str(body.get("vnp_Amount", ""))
        answer = {"vnp_ResponseId": secrets.token_hex(16), "vnp_Command": "refund", "vnp_TmnCode": tmn_code,
                  "vnp_TxnRef": txn_ref, "vnp_Amount": raw_amount,
                  "vnp_TransactionType": str(body.get("vnp_TransactionType", "")),
                  "vnp_OrderInfo": str(body.get("vnp_OrderInfo", ""))}
        with lock, db() as conn:
            mode = _setting(conn, "next_refund")
            row = conn.execute("SELECT * FROM txn WHERE txn_ref = ?", (txn_ref,)).fetchone()
            paid = json.loads(row["result"] or "{}") if row is not None else {}
            paid_amount = int(paid.get("vnp_Amount", "0")) // 100
            left = paid_amount - sum(r["amount"] for r in _refunds(conn, txn_ref))
            amount = int(raw_amount) // 100 if is_ascii_digits(raw_amount) and int(raw_amount) % 100 == 0 else -1
            seen = conn.execute("SELECT 1 FROM refund_request WHERE request_id = ?", (request_id,)).fetchone()
            if not secrets.compare_digest(expected, str(body.get("vnp_SecureHash", ""))):
                code, message = "97", "Invalid Checksum"
            elif body.get("vnp_TmnCode") != tmn_code:
                code, message = "02", "Invalid TmnCode"
            elif (body.get("vnp_Version") != vnpay.VERSION or amount <= 0 or not request_id
                  or answer["vnp_TransactionType"] not in (vnpay.FULL_REFUND, vnpay.PARTIAL_REFUND)
                  or vnpay.parse_vn_time(str(body.get("vnp_TransactionDate", ""))) is None):
                code, message = "03", "Invalid format"
            elif seen is not None:
                code, message = "94", "Duplicate request"
            elif row is None:
                code, message = "91", "Transaction not found"
            elif row["status"] != "success":
                code, message = "95", "Transaction is not successful at VNPAY"
            elif answer["vnp_TransactionType"] == vnpay.FULL_REFUND and left < paid_amount:
                code, message = "04", "Full refund is not allowed after a partial refund"
            elif amount > left or (answer["vnp_TransactionType"] == vnpay.FULL_REFUND and amount != paid_amount):
                code, message = "93", "Invalid refund amount"
            elif mode == "down":
                code, message = "", ""
            elif mode == "refuse":
                code, message = REFUSED
            else:
                code, message = "00", "Refund success"
            if mode != "accept" and code in ("00", "", REFUSED[0]):
                conn.execute("INSERT OR REPLACE INTO setting (name, value) VALUES ('next_refund', 'accept')")
            if mode == "down" and not code:
                return jsonify(error="service unavailable"), 503
            transaction_no = str(15_000_000 + secrets.randbelow(1_000_000)) if code == "00" else ""
            conn.execute("INSERT INTO refund_request (request_id, txn_ref, amount, transaction_type, create_by, "
                         "response_code, message, transaction_no, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                         (None if seen else request_id, txn_ref, amount, answer["vnp_TransactionType"],
                          str(body.get("vnp_CreateBy", ""))[:50], code, message, transaction_no,
                          datetime.now(UTC).isoformat()))
        if code == "00":
            answer.update({"vnp_BankCode": paid.get("vnp_BankCode", ""), "vnp_TransactionNo": transaction_no,
                           "vnp_PayDate": vnpay.vn_time(datetime.now(UTC)), "vnp_TransactionStatus": REFUND_STATUS})
        answer.update({"vnp_ResponseCode": code, "vnp_Message": message})
        log.info("refund %s %s → %s", txn_ref, request_id, code)
        if code == "00" and mode == "lose":
            return jsonify(error="gateway timeout"), 504  # refunded, but the merchant never hears it
        return jsonify(signed(answer, vnpay.REFUND_RESPONSE_FIELDS))

    @app.get("/sandbox/refunds/<txn_ref>")
    def refund_ledger(txn_ref: str) -> Response:
        """For tests and the curious: every refund request for one transaction, accepted or not."""
        with db() as conn:
            rows = conn.execute("SELECT * FROM refund_request WHERE txn_ref = ? ORDER BY id", (txn_ref,)).fetchall()
        return jsonify(requests=[dict(r) for r in rows],
                       refunded=sum(r["amount"] for r in rows if r["response_code"] == "00"))

