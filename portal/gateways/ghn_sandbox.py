"""A sandbox carrier speaking GHN's public API shape, for the demo and the tests.

``python -m portal.gateways.ghn_sandbox --port N`` (``make run`` starts it on PORT+3). It keeps its
orders in its own SQLite file under PORTAL_INSTANCE, refuses a second order with the same
``client_order_code`` (as GHN does), advances orders on timers (ready_to_pick → picking → picked →
delivering; waiting_to_return → return → returned) and, from its simulator page (``/``), lets a
person deliver with cash collected, record a refusal at the door with the customer's reason, a
failed attempt, or resend the last callback (a duplicate). Every move is POSTed to the portal's
webhook (GHN's callback shape), signed with a timestamp as the portal expects
(``X-Carrier-Signature: t=<unix>,v1=<HMAC-SHA256 of "<t>.<body>">``, ``portal.gateways.ghn.sign``); a resent
callback is signed afresh, so the portal sees a duplicate, not a stale request.
On a ``delivered`` callback ``CODAmount`` is the cash the courier collected.
"""
from __future__ import annotations

import json
import logging
import os
import secrets
import sqlite3
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import requests
from flask import Flask, Response, abort, jsonify, redirect, render_template_string, request, url_for
from flask.typing import ResponseReturnValue

from portal.core.digits import is_ascii_digits, whole_number
from portal.gateways.ghn import (
    CANCEL_PATH,
    CREATE_PATH,
    DETAIL_BY_CLIENT_PATH,
    DETAIL_PATH,
    SIGNATURE_HEADER,
    sign,
)
from portal.gateways.sandbox_kit import serve

log = logging.getLogger("ghn_sandbox")

# Timers: the next status each automatic step leads to.
AUTO_NEXT = {"ready_to_pick": "picking", "picking": "picked", "picked": "delivering",
             "waiting_to_return": "return", "return": "returned"}
STATUS_LABELS = {
    "ready_to_pick": "Chờ lấy hàng", "picking": "Đang lấy hàng", "picked": "Đã lấy hàng",
    "delivering": "Đang giao hàng", "delivered": "Giao thành công", "delivery_fail": "Giao thất bại",
    "waiting_to_return": "Chờ trả hàng (khách từ chối)", "return": "Đang trả hàng", "returned": "Đã trả hàng",
    "cancel": "Đã hủy",
}
SCHEMA = """
CREATE TABLE IF NOT EXISTS parcel (
  order_code TEXT PRIMARY KEY,
  client_order_code TEXT NOT NULL UNIQUE,
  shop_id TEXT NOT NULL,
  status TEXT NOT NULL,
  cod_amount INTEGER NOT NULL,
  to_name TEXT, to_phone TEXT, to_address TEXT, pickup_time INTEGER,
  reason TEXT DEFAULT '',
  next_at REAL,
  created_at TEXT NOT NULL,
  last_callback TEXT DEFAULT '',
  last_callback_result TEXT DEFAULT ''
);
"""


class Sandbox:
    """The sandbox's state: its SQLite file, its settings and its timer thread."""

    def __init__(self, db_path: str | Path, webhook_url: str = "", secret: str = "", token: str = "sandbox-token",  # noqa: S107
                 shop_id: str = "885", step_seconds: float = 20.0):
        self.db_path = str(db_path)
        self.webhook_url = webhook_url
        self.secret = secret
        self.token = token
        self.shop_id = str(shop_id)
        self.step_seconds = step_seconds
        self.lock = threading.Lock()
        self.stop = threading.Event()
        self.http = requests.Session()
        self.http.trust_env = False
        with self.connect() as conn:
            conn.executescript(SCHEMA)

    def connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.db_path, timeout=10, check_same_thread=False)
        conn.row_factory = sqlite3.Row
        return conn

    def get(self, **where: str) -> sqlite3.Row | None:
        (column, value), = where.items()
        with self.connect() as conn:
            return conn.execute(f"SELECT * FROM parcel WHERE {column} = ?", (value,)).fetchone()  # noqa: S608

    def all(self) -> list[sqlite3.Row]:
        with self.connect() as conn:
            return conn.execute("SELECT * FROM parcel ORDER BY created_at DESC LIMIT 200").fetchall()

    def create(self, body: dict[str, Any]) -> sqlite3.Row:
        code = "GY" + "".join(secrets.choice("ABCDEFGHKLMNPQRTUVXY3469") for _ in range(6))
        with self.lock, self.connect() as conn:
            conn.execute(
                "INSERT INTO parcel (order_code, client_order_code, shop_id, status, cod_amount, to_name, to_phone,"
                " to_address, pickup_time, next_at, created_at) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                (code, body["client_order_code"], self.shop_id, "ready_to_pick", int(body.get("cod_amount") or 0),
                 body.get("to_name", ""), body.get("to_phone", ""), body.get("to_address", ""),
                 int(body.get("pickup_time") or 0), time.time() + self.step_seconds,
                 datetime.now(UTC).isoformat()))
        row = self.get(order_code=code)
        assert row is not None  # inserted just above
        return row

    def move(self, order_code: str, status: str, reason: str = "", cod: int | None = None) -> dict[str, Any]:
        """Set a parcel's status and send the signed callback; returns the callback's body."""
        next_at = time.time() + self.step_seconds if status in AUTO_NEXT else None
        with self.lock, self.connect() as conn:
            conn.execute("UPDATE parcel SET status = ?, reason = ?, next_at = ? WHERE order_code = ?",
                         (status, reason, next_at, order_code))
        parcel = self.get(order_code=order_code)
        assert parcel is not None
        body = {
            "Type": "switch_status", "ShopID": int(self.shop_id) if is_ascii_digits(self.shop_id) else self.shop_id,
            "OrderCode": parcel["order_code"], "ClientOrderCode": parcel["client_order_code"],
            "Status": status, "Reason": reason, "ReasonCode": "", "Description": STATUS_LABELS.get(status, status),
            "CODAmount": parcel["cod_amount"] if cod is None else int(cod), "PaymentType": 1, "TotalFee": 0,
            "Time": datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        }
        self.send(order_code, json.dumps(body, ensure_ascii=False).encode())
        return body

    def send(self, order_code: str, raw: bytes) -> str:
        """POST one callback (signed) and remember it and its answer for the simulator page."""
        result = "không có webhook"
        if self.webhook_url:
            headers = {"Content-Type": "application/json"}
            if self.secret:
                headers[SIGNATURE_HEADER] = sign(raw, self.secret)
            try:
                response = self.http.post(self.webhook_url, data=raw, headers=headers, timeout=10)
                result = f"HTTP {response.status_code}"
            except requests.RequestException as exc:
                result = f"lỗi: {type(exc).__name__}"
        with self.lock, self.connect() as conn:
            conn.execute("UPDATE parcel SET last_callback = ?, last_callback_result = ? WHERE order_code = ?",
                         (raw.decode(), result, order_code))
        log.info("callback %s → %s", order_code, result)
        return result

    def tick(self) -> int:
        """Advance every parcel whose timer is due; returns how many moved."""
        with self.connect() as conn:
            due = conn.execute("SELECT order_code, status FROM parcel WHERE next_at IS NOT NULL AND next_at <= ?",
                               (time.time(),)).fetchall()
        for row in due:
            self.move(row["order_code"], AUTO_NEXT[row["status"]])
        return len(due)

    def run_timers(self) -> None:
        while not self.stop.wait(min(1.0, self.step_seconds / 4)):
            try:
                self.tick()
            except Exception:
                log.exception("sandbox timer failed")

    def start_timers(self) -> threading.Thread:
        thread = threading.Thread(target=self.run_timers, name="ghn-sandbox-timers", daemon=True)
        thread.start()
        return thread


def _ok(data: Any) -> Response:
    return jsonify(code=200, message="Success", data=data)


def _refuse(status: int, message: str, code_message: str = "") -> tuple[Response, int]:
    return jsonify(code=status, message=message, code_message=code_message, data=None), status


def _public(row: sqlite3.Row) -> dict[str, Any]:
    return {"order_code": row["order_code"], "client_order_code": row["client_order_code"], "status": row["status"],
            "cod_amount": row["cod_amount"], "to_name": row["to_name"], "to_phone": row["to_phone"]}


def create_app(sandbox: Sandbox) -> Flask:
    app = Flask(__name__)
    app.config["SANDBOX"] = sandbox

    @app.before_request
    def _authenticate() -> ResponseReturnValue | None:
        if request.path.startswith("/shiip/") and (
                request.headers.get("Token") != sandbox.token or request.headers.get("ShopId") != sandbox.shop_id):
            return _refuse(401, "Token is not valid", "TOKEN_INVALID")
        return None

    @app.post(CREATE_PATH)
    def create_order() -> ResponseReturnValue:
        body = request.get_json(silent=True) or {}
        code = str(body.get("client_order_code") or "").strip()
        missing = [k for k in ("client_order_code", "to_name", "to_phone", "to_address", "to_ward_name",
                               "to_province_name") if not str(body.get(k) or "").strip()]
        if missing:
            return _refuse(400, "Thiếu thông tin: " + ", ".join(missing), "MISSING_FIELD")
        cod = body.get("cod_amount", 0)
        if not isinstance(cod, int) or not 0 <= cod <= 50_000_000:
            return _refuse(400, "cod_amount không hợp lệ (0–50.000.000)", "COD_INVALID")
        body["client_order_code"] = code
        try:
            row = sandbox.create(body)
        except sqlite3.IntegrityError:
            return _refuse(400, "Mã đơn hàng của shop (client_order_code) đã tồn tại", "ORDER_CODE_EXISTED")
        return _ok({"order_code": row["order_code"], "sort_code": "000-A-00-00", "trans_type": "truck",
                    "total_fee": 22000, "expected_delivery_time": None, "status": row["status"]})

    @app.post(DETAIL_PATH)
    def detail() -> ResponseReturnValue:
        row = sandbox.get(order_code=str((request.get_json(silent=True) or {}).get("order_code") or ""))
        return _ok(_public(row)) if row else _refuse(400, "Không tìm thấy đơn hàng", "ORDER_NOT_FOUND")

    @app.post(DETAIL_BY_CLIENT_PATH)
    def detail_by_client_code() -> ResponseReturnValue:
        code = str((request.get_json(silent=True) or {}).get("client_order_code") or "")
        row = sandbox.get(client_order_code=code)
        return _ok(_public(row)) if row else _refuse(400, "Không tìm thấy đơn hàng", "ORDER_NOT_FOUND")

    @app.post(CANCEL_PATH)
    def cancel() -> Response:
        results = []
        for code in (request.get_json(silent=True) or {}).get("order_codes") or []:
            row = sandbox.get(order_code=str(code))
            ok = row is not None and row["status"] in ("ready_to_pick", "picking")
            if ok:
                sandbox.move(str(code), "cancel", "Shop hủy đơn")
            results.append({"order_code": code, "result": ok})
        return _ok(results)

    @app.get("/healthz")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/")
    def simulator() -> str:
        return render_template_string(SIMULATOR, parcels=sandbox.all(), labels=STATUS_LABELS,
                                      webhook=sandbox.webhook_url, step=sandbox.step_seconds)

    @app.post("/sim/<order_code>/<action>")
    def simulate(order_code: str, action: str) -> ResponseReturnValue:
        row = sandbox.get(order_code=order_code)
        if row is None:
            abort(404)
        reason = (request.form.get("reason") or "").strip()[:200]
        if action == "pick":
            sandbox.move(order_code, "picked")
        elif action == "deliver":
            sandbox.move(order_code, "delivering")
        elif action == "delivered":
            amount = request.form.get("amount", type=whole_number)
            sandbox.move(order_code, "delivered", cod=row["cod_amount"] if amount is None else amount)
        elif action == "refuse":
            sandbox.move(order_code, "waiting_to_return", reason or "Khách từ chối nhận hàng")
        elif action == "fail":
            sandbox.move(order_code, "delivery_fail", reason or "Không liên lạc được người nhận")
        elif action == "resend" and row["last_callback"]:
            sandbox.send(order_code, row["last_callback"].encode())
        else:
            abort(400)
        return redirect(url_for("simulator"))

    return app


SIMULATOR = """<!doctype html>
<html lang="vi"><head><meta charset="utf-8"><title>Mô phỏng đơn vị vận chuyển (GHN sandbox)</title>
<meta http-equiv="refresh" content="10">
<style>
body{font:14px system-ui,sans-serif;margin:1.5rem;color:#1d2733}h1{font-size:1.3rem}
table{border-collapse:collapse;width:100%}th,td{border-bottom:1px solid #dde3ea;padding:.4rem;text-align:left;
vertical-align:top}th{background:#f3f6f9}form{display:inline-block;margin:0 .25rem .25rem 0}
input{width:7.5rem;padding:.15rem}button{padding:.2rem .5rem;cursor:pointer}.muted{color:#6b7785;font-size:12px}
.st{font-weight:600}code{font-size:12px}
</style></head><body>
<h1>Mô phỏng đơn vị vận chuyển — GHN sandbox</h1>
<p class="muted">Webhook: {{ webhook or "chưa cấu hình" }} · tự chuyển trạng thái sau mỗi {{ step }} giây
(chờ lấy hàng → đang lấy hàng → đã lấy hàng → đang giao hàng). Trang tự tải lại sau 10 giây.</p>
<table><thead><tr><th>Mã vận đơn</th><th>Mã đơn của shop</th><th>Người nhận</th><th>Thu hộ (COD)</th>
<th>Trạng thái</th><th>Thao tác</th><th>Callback gần nhất</th></tr></thead><tbody>
{% for p in parcels %}
<tr><td><code>{{ p.order_code }}</code></td><td><code>{{ p.client_order_code }}</code></td>
<td>{{ p.to_name }}<br><span class="muted">{{ p.to_phone }}</span></td>
<td>{{ "{:,}".format(p.cod_amount).replace(",", ".") }} ₫</td>
<td class="st">{{ labels.get(p.status, p.status) }}
{% if p.reason %}<br><span class="muted">{{ p.reason }}</span>{% endif %}</td>
<td>
{% if p.status in ("ready_to_pick", "picking") %}
<form method="post" action="/sim/{{ p.order_code }}/pick"><button>Đã lấy hàng</button></form>{% endif %}
{% if p.status in ("picked", "storing", "transporting", "delivery_fail") %}
<form method="post" action="/sim/{{ p.order_code }}/deliver"><button>Bắt đầu giao</button></form>{% endif %}
{% if p.status in ("delivering", "delivery_fail") %}
<form method="post" action="/sim/{{ p.order_code }}/delivered"><input name="amount" type="number" min="0"
 value="{{ p.cod_amount }}" aria-label="Tiền thu"><button>Giao thành công, đã thu tiền</button></form>
<form method="post" action="/sim/{{ p.order_code }}/refuse"><input name="reason" placeholder="Lý do từ chối"
 aria-label="Lý do từ chối"><button>Khách từ chối nhận</button></form>
<form method="post" action="/sim/{{ p.order_code }}/fail"><input name="reason" placeholder="Lý do"
 aria-label="Lý do giao thất bại"><button>Giao thất bại</button></form>{% endif %}
{% if p.last_callback %}<form method="post" action="/sim/{{ p.order_code }}/resend">
<button>Gửi lại callback</button></form>{% endif %}
</td><td class="muted">{{ p.last_callback_result }}</td></tr>
{% else %}<tr><td colspan="7" class="muted">Chưa có đơn nào.</td></tr>{% endfor %}
</tbody></table></body></html>"""


def from_environment() -> Sandbox:
    instance = Path(os.environ.get("PORTAL_INSTANCE", Path(__file__).resolve().parents[2] / "instance"))
    instance.mkdir(parents=True, exist_ok=True)
    return Sandbox(instance / "ghn_sandbox.db", webhook_url=os.environ.get("GHN_WEBHOOK_URL", ""),
                   secret=os.environ.get("GHN_WEBHOOK_SECRET", ""), token=os.environ.get("GHN_TOKEN", "sandbox-token"),
                   shop_id=os.environ.get("GHN_SHOP_ID", "885"),
                   step_seconds=float(os.environ.get("GHN_SANDBOX_STEP_SECONDS", "20")))


def _started(_port: int) -> Flask:
    sandbox = from_environment()
    sandbox.start_timers()
    return create_app(sandbox)


def main(argv: list[str] | None = None) -> None:
    serve("ghn-sandbox", "GHN-shaped sandbox carrier", _started, argv)


if __name__ == "__main__":
    main()
