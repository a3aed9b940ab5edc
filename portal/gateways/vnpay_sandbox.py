"""Sandbox bank: a small VNPay 2.1.0 look-alike for the demo and the tests (never real money).

``python -m portal.gateways.vnpay_sandbox --port N`` serves VNPay's pay path
``/paymentv2/vpcpay.html``: it checks the merchant's signature and parameters
(bad → an error page like VNPay's), shows a bank page with the amount and four
outcomes, calls the merchant's IPN server to server (signed; retried until the
merchant answers RspCode 00 or 02) and sends the browser back to the return
URL with the signed result. It also answers the merchant web API, querydr and
refund, and shows on its page ``/`` what it did, with a switch for the next
refund (``portal.gateways.vnpay_sandbox_api``). Its state is one SQLite file
under PORTAL_INSTANCE. Settings are the portal's own (VNPAY_TMN_CODE,
VNPAY_HASH_SECRET); VNPAY_IPN_URL (or --ipn-url) is where it calls the merchant.
"""
from __future__ import annotations

import argparse
import json
import logging
import os
import secrets
import sqlite3
import threading
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import requests
from flask import Flask, Response, abort, jsonify, redirect, render_template_string, request
from flask.typing import ResponseReturnValue

from portal.core.digits import is_ascii_digits
from portal.gateways import vnpay
from portal.gateways import vnpay_sandbox_api as merchant_api

log = logging.getLogger("vnpay_sandbox")

# Outcome button → (vnp_ResponseCode, vnp_TransactionStatus), as VNPay reports them.
OUTCOMES = {
    "success": ("00", "00"),
    "cancel": (vnpay.CUSTOMER_CANCELLED, "02"),
    "insufficient": (vnpay.INSUFFICIENT_FUNDS, "02"),
    "timeout": (vnpay.TIMED_OUT, "02"),
}
# The pay page's error codes (Error.html?code=…) and what VNPay says for them.
ERRORS = {
    "01": "Giao dịch đã tồn tại",
    "02": "Merchant không hợp lệ (kiểm tra lại vnp_TmnCode)",
    "03": "Dữ liệu gửi sang không đúng định dạng",
    "15": "Giao dịch đã quá thời gian chờ thanh toán",
    "70": "Sai chữ ký (checksum không hợp lệ)",
    "72": "Không tìm thấy website (vnp_TmnCode không tồn tại)",
}
REQUIRED = ("vnp_Version", "vnp_Command", "vnp_TmnCode", "vnp_Amount", "vnp_CurrCode", "vnp_TxnRef",
            "vnp_OrderInfo", "vnp_Locale", "vnp_ReturnUrl", "vnp_IpAddr", "vnp_CreateDate", "vnp_ExpireDate")
SCHEMA = ("""CREATE TABLE IF NOT EXISTS txn (
  token TEXT PRIMARY KEY, txn_ref TEXT UNIQUE, params TEXT, status TEXT DEFAULT 'open',
  result TEXT, ipn_attempts INTEGER DEFAULT 0, ipn_answer TEXT, created_at TEXT)""",)

PAGE = """<!doctype html><html lang="vi"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>{{ title }} · VNPAY Sandbox</title>
<style>body{font-family:system-ui,sans-serif;background:#f1f4f9;margin:0;color:#1d2939}
header{background:#005baa;color:#fff;padding:12px 16px;font-weight:600}
main{max-width:480px;margin:16px auto;background:#fff;border-radius:8px;padding:20px;box-shadow:0 1px 4px #0002}
.amount{font-size:1.8rem;font-weight:700;color:#d0021b}.row{display:flex;justify-content:space-between;margin:6px 0}
button{display:block;width:100%;padding:12px;margin:8px 0;border:0;border-radius:6px;font-size:1rem;cursor:pointer}
.ok{background:#0a8f3c;color:#fff}.cancel{background:#e4e7ec}.warn{background:#f79009;color:#fff}
.err{color:#b42318}</style></head><body><header>VNPAY · Cổng thanh toán (môi trường thử nghiệm)</header>
<main>{{ body|safe }}</main></body></html>"""

BANK = """<h1 style="font-size:1.2rem">Thanh toán qua Ngân hàng NCB</h1>
<div class="row"><span>Nhà cung cấp</span><strong>{{ p.vnp_TmnCode }}</strong></div>
<div class="row"><span>Mã giao dịch</span><strong>{{ p.vnp_TxnRef }}</strong></div>
<div class="row"><span>Nội dung</span><span>{{ p.vnp_OrderInfo }}</span></div>
<p>Số tiền thanh toán</p><p class="amount">{{ amount }} VND</p>
<form method="post" action="{{ action }}">
<button class="ok" name="outcome" value="success">Thanh toán thành công</button>
<button class="cancel" name="outcome" value="cancel">Hủy giao dịch</button>
<button class="warn" name="outcome" value="insufficient">Không đủ số dư</button>
<button class="warn" name="outcome" value="timeout">Hết thời gian</button></form>"""


def vnd(amount: int) -> str:
    return f"{amount:,}".replace(",", ".")


def create_app(tmn_code: str, hash_secret: str, ipn_url: str, state_path: str | Path,
               retry_delays: Sequence[float] = (1, 2, 5, 10, 30)) -> Flask:
    """The sandbox bank as a WSGI app (tests serve it in a thread; ``main`` serves it as a process)."""
    app = Flask(__name__)
    lock = threading.Lock()

    def db() -> sqlite3.Connection:
        conn = sqlite3.connect(state_path, timeout=10)
        conn.row_factory = sqlite3.Row
        return conn

    with db() as conn:
        for statement in (*SCHEMA, *merchant_api.SCHEMA):
            conn.execute(statement)

    def page(title: str, body: str, status: int = 200, **context: Any) -> tuple[str, int]:
        return render_template_string(PAGE, title=title, body=render_template_string(body, **context)), status

    @app.get("/healthz")
    def healthz() -> Response:
        return jsonify(status="ok")

    @app.get("/paymentv2/Payment/Error.html")
    def error_page() -> tuple[str, int]:
        code = request.args.get("code", "99")
        message = ERRORS.get(code, "Giao dịch không thành công")
        return page("Thông báo", '<h1 class="err" style="font-size:1.2rem">Thông báo</h1><p>{{ m }}</p>'
                    '<p>Mã lỗi: {{ c }}</p>', 400, m=message, c=code)

    def refuse(code: str) -> ResponseReturnValue:
        return redirect(f"/paymentv2/Payment/Error.html?code={code}")

    @app.get("/paymentv2/vpcpay.html")
    def pay() -> ResponseReturnValue:
        params = request.args.to_dict()
        if any(not params.get(name) for name in REQUIRED) or not params.get("vnp_SecureHash"):
            return refuse("03")
        if params["vnp_TmnCode"] != tmn_code:
            return refuse("72")
        if not vnpay.verify(params, hash_secret):
            return refuse("70")
        created, expires = (vnpay.parse_vn_time(params[k]) for k in ("vnp_CreateDate", "vnp_ExpireDate"))
        if (params["vnp_Version"] != vnpay.VERSION or params["vnp_Command"] != "pay"
                or params["vnp_CurrCode"] != "VND" or not is_ascii_digits(params["vnp_Amount"])
                or len(params["vnp_Amount"]) > 12 or int(params["vnp_Amount"]) % 100
                or created is None or expires is None):
            return refuse("03")
        if expires <= datetime.now(UTC).replace(tzinfo=None):
            return refuse("15")
        with lock, db() as conn:
            row = conn.execute("SELECT * FROM txn WHERE txn_ref = ?", (params["vnp_TxnRef"],)).fetchone()
            if row is not None and row["status"] != "open":
                return refuse("01")
            token = row["token"] if row else secrets.token_urlsafe(16)
            if row is None:
                conn.execute("INSERT INTO txn (token, txn_ref, params, created_at) VALUES (?, ?, ?, ?)",
                             (token, params["vnp_TxnRef"], json.dumps(params), datetime.now(UTC).isoformat()))
        return page("Thanh toán", BANK, p=params, amount=vnd(int(params["vnp_Amount"]) // 100),
                    action=f"/paymentv2/bank/{token}")

    @app.post("/paymentv2/bank/<token>")
    def choose(token: str) -> ResponseReturnValue:
        outcome = request.form.get("outcome", "")
        if outcome not in OUTCOMES:
            abort(400)
        with lock, db() as conn:
            row = conn.execute("SELECT * FROM txn WHERE token = ?", (token,)).fetchone()
            if row is None or row["status"] != "open":
                return refuse("01")
            sent = json.loads(row["params"])
            result = _result(sent, outcome, tmn_code)
            conn.execute("UPDATE txn SET status = ?, result = ? WHERE token = ?",
                         (outcome, json.dumps(result), token))
        signed = {**result, "vnp_SecureHash": vnpay.sign(result, hash_secret)}
        if not notify(token, signed):  # answered neither 00 nor 02: keep trying in the background
            threading.Thread(target=_retry, args=(token, signed), daemon=True).start()
        glue = "&" if "?" in sent["vnp_ReturnUrl"] else "?"
        return redirect(sent["vnp_ReturnUrl"] + glue + vnpay.signed_query(result, hash_secret))

    def notify(token: str, signed: dict[str, str]) -> bool:
        try:
            answer = requests.get(ipn_url, params=signed, timeout=10).json()
            code = str(answer.get("RspCode"))
        except (requests.RequestException, ValueError, AttributeError) as exc:
            code = f"error: {type(exc).__name__}"
        with lock, db() as conn:
            conn.execute("UPDATE txn SET ipn_attempts = ipn_attempts + 1, ipn_answer = ? WHERE token = ?",
                         (code, token))
        log.info("IPN %s → %s", signed.get("vnp_TxnRef"), code)
        return code in ("00", "02")

    def _retry(token: str, signed: dict[str, str]) -> None:
        for delay in retry_delays:
            time.sleep(delay)
            if notify(token, signed):
                return

    @app.get("/sandbox/transactions/<txn_ref>")
    def transaction(txn_ref: str) -> Response:
        """For tests and the curious: what the bank did with one transaction."""
        with db() as conn:
            row = conn.execute("SELECT * FROM txn WHERE txn_ref = ?", (txn_ref,)).fetchone()
        if row is None:
            abort(404)
        return jsonify(status=row["status"], ipn_attempts=row["ipn_attempts"], ipn_answer=row["ipn_answer"],
                       result=json.loads(row["result"] or "{}"))

    merchant_api.register(app, tmn_code=tmn_code, hash_secret=hash_secret, db=db, lock=lock, page=page, vnd=vnd)
    return app


def _result(sent: dict[str, str], outcome: str, tmn_code: str) -> dict[str, str]:
    """The parameters VNPay sends back (IPN and return URL) for the customer's choice."""
    code, status = OUTCOMES[outcome]
    paid = outcome == "success"
    now = datetime.now(UTC)
    result = {
        "vnp_Amount": sent["vnp_Amount"],
        "vnp_BankCode": sent.get("vnp_BankCode") or "NCB",
        "vnp_CardType": "ATM",
        "vnp_OrderInfo": sent["vnp_OrderInfo"],
        "vnp_PayDate": vnpay.vn_time(now),
        "vnp_ResponseCode": code,
        "vnp_TmnCode": tmn_code,
        "vnp_TransactionNo": str(14_000_000 + secrets.randbelow(1_000_000)) if paid else "0",
        "vnp_TransactionStatus": status,
        "vnp_TxnRef": sent["vnp_TxnRef"],
    }
    if paid:
        result["vnp_BankTranNo"] = "VNP" + result["vnp_TransactionNo"]
    return result


def main(argv: Sequence[str] | None = None) -> None:
    from portal.config import INSTANCE, vnpay_settings

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--ipn-url", default=os.environ.get("VNPAY_IPN_URL") or
                        f"http://127.0.0.1:{os.environ.get('PORT', '5000')}/payments/vnpay/ipn")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="vnpay-sandbox %(levelname)s %(message)s")
    settings = vnpay_settings(dict(os.environ), production=False)
    app = create_app(settings["VNPAY_TMN_CODE"], settings["VNPAY_HASH_SECRET"], args.ipn_url,
                     INSTANCE / "vnpay_sandbox.db")
    from werkzeug.serving import run_simple

    log.info("sandbox bank on http://127.0.0.1:%d, IPN → %s", args.port, args.ipn_url)
    run_simple("127.0.0.1", args.port, app, threaded=True)


if __name__ == "__main__":
    main()
