"""A sandbox e-invoice provider speaking docs/einvoice.md, for the demo and the tests.

``python -m portal.gateways.einvoice_sandbox --port N`` (``make run`` starts it on PORT+6). Invoices live in its own
SQLite file under PORTAL_INSTANCE; the idempotency key is unique (the same key answers the invoice already issued,
200); numbers run per series; each invoice has a lookup code, a public lookup page (``/tra-cuu/<code>``) and a PDF
(``/tra-cuu/<code>.pdf``, drawn with Pillow). Adjustments (hóa đơn điều chỉnh giảm) are unique per adjustment key;
an adjustment bringing the total to zero, or a cancel, cancels the invoice. The home page lists the invoices.

Failure injection for tests: ``POST /sandbox/faults`` JSON ``{"down": true}`` answers 503 to every API call until
``{"down": false}``; ``{"mode": "lost"|"garbage", "count": n}`` does the work and loses or garbles the answer.
"""
from __future__ import annotations

import io
import json
import logging
import os
import secrets
import sqlite3
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from flask import Flask, Response, abort, jsonify, render_template_string, request
from flask.typing import ResponseReturnValue

from portal.gateways.einvoice import ADJUST_PATH, CANCEL_PATH, INVOICE_PATH, ISSUE_PATH, SELLER_HEADER, SIGNATURE_HEADER
from portal.gateways.sandbox_kit import json_error, serve, unsigned_refusal

log = logging.getLogger("einvoice_sandbox")
FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
SCHEMA = """
CREATE TABLE IF NOT EXISTS invoice (
  idempotency_key TEXT PRIMARY KEY, series TEXT NOT NULL, invoice_no TEXT NOT NULL, lookup_code TEXT NOT NULL UNIQUE,
  order_no TEXT NOT NULL, buyer TEXT NOT NULL, items TEXT NOT NULL, total INTEGER NOT NULL, status TEXT NOT NULL,
  created_at TEXT NOT NULL, note TEXT NOT NULL DEFAULT '');
CREATE TABLE IF NOT EXISTS adjustment (
  adjustment_key TEXT PRIMARY KEY, idempotency_key TEXT NOT NULL, amount INTEGER NOT NULL, reason TEXT NOT NULL,
  created_at TEXT NOT NULL);
"""


class Sandbox:
    def __init__(self, db_path: str | Path, secret: str, seller: str = "0100686209", base_url: str = ""):
        self.db_path, self.secret, self.seller, self.base_url = str(db_path), secret, seller, base_url.rstrip("/")
        self.lock = threading.Lock()
        self.down = False
        self.faults: dict[str, int] = {}
        with self.connect() as conn:
            conn.executescript(SCHEMA)

    def connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.db_path, timeout=30, check_same_thread=False)
        conn.row_factory = sqlite3.Row
        return conn

    def take_fault(self) -> str | None:
        with self.lock:
            for mode, left in list(self.faults.items()):
                if left > 0:
                    self.faults[mode] = left - 1
                    return mode
        return None

    def get(self, **where: str) -> sqlite3.Row | None:
        (column, value), = where.items()
        with self.connect() as conn:
            return conn.execute(f"SELECT * FROM invoice WHERE {column} = ?", (value,)).fetchone()  # noqa: S608

    def all(self) -> list[sqlite3.Row]:
        with self.connect() as conn:
            return conn.execute("SELECT * FROM invoice ORDER BY created_at DESC, rowid DESC LIMIT 500").fetchall()

    def issue(self, body: dict[str, Any]) -> tuple[sqlite3.Row, bool]:
        key = body["idempotency_key"]
        with self.lock, self.connect() as conn:
            row = conn.execute("SELECT * FROM invoice WHERE idempotency_key = ?", (key,)).fetchone()
            if row is not None:
                return row, True
            series = str(body.get("template") or "1C26TMB")
            number = conn.execute("SELECT count(*) FROM invoice WHERE series = ?", (series,)).fetchone()[0] + 1
            conn.execute("INSERT INTO invoice VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                         (key, series, f"{number:08d}", secrets.token_hex(6).upper(), str(body["order_no"]),
                          json.dumps(body.get("buyer") or {}, ensure_ascii=False),
                          json.dumps(body["items"], ensure_ascii=False), int(body["total"]), "issued",
                          datetime.now(UTC).isoformat(timespec="seconds"), ""))
            return conn.execute("SELECT * FROM invoice WHERE idempotency_key = ?", (key,)).fetchone(), False

    def adjust(self, key: str, adjustment_key: str, amount: int, reason: str) -> sqlite3.Row | None:
        with self.lock, self.connect() as conn:
            row = conn.execute("SELECT * FROM invoice WHERE idempotency_key = ?", (key,)).fetchone()
            if row is None:
                return None
            done = conn.execute("SELECT 1 FROM adjustment WHERE adjustment_key = ?", (adjustment_key,)).fetchone()
            if not done and row["status"] != "cancelled":
                conn.execute("INSERT INTO adjustment VALUES (?,?,?,?,?)", (adjustment_key, key, amount, reason,
                                                                           datetime.now(UTC).isoformat()))
                total = max(0, row["total"] + amount)
                conn.execute("UPDATE invoice SET total = ?, status = ?, note = ? WHERE idempotency_key = ?",
                             (total, "cancelled" if total == 0 else "adjusted", reason, key))
            return conn.execute("SELECT * FROM invoice WHERE idempotency_key = ?", (key,)).fetchone()

    def cancel(self, key: str, reason: str) -> sqlite3.Row | None:
        with self.lock, self.connect() as conn:
            conn.execute("UPDATE invoice SET status = 'cancelled', note = ? WHERE idempotency_key = ?", (reason, key))
            return conn.execute("SELECT * FROM invoice WHERE idempotency_key = ?", (key,)).fetchone()

    def public(self, row: sqlite3.Row) -> dict[str, Any]:
        base = self.base_url or request.host_url.rstrip("/")
        return {"idempotency_key": row["idempotency_key"], "invoice_no": row["invoice_no"], "series": row["series"],
                "lookup_code": row["lookup_code"], "order_no": row["order_no"], "status": row["status"],
                "total": row["total"], "lookup_url": f"{base}/tra-cuu/{row['lookup_code']}",
                "pdf_url": f"{base}/tra-cuu/{row['lookup_code']}.pdf"}


def pdf_of(row: sqlite3.Row, seller: str) -> bytes:
    """The invoice as a one-page PDF (a picture of it: enough for a sandbox)."""
    from PIL import Image, ImageDraw, ImageFont

    page = Image.new("RGB", (1240, 1754), "white")
    draw = ImageDraw.Draw(page)
    try:
        font, big = ImageFont.truetype(FONT, 28), ImageFont.truetype(FONT, 44)
    except OSError:
        font = big = ImageFont.load_default()  # type: ignore[assignment]  # the bitmap font: same drawing calls
    buyer = json.loads(row["buyer"])
    lines = [f"Ký hiệu: {row['series']}   Số: {row['invoice_no']}", f"Mã số thuế người bán: {seller}",
             f"Người mua: {buyer.get('name', '')}", f"Địa chỉ: {buyer.get('address', '')}",
             f"Đơn hàng: {row['order_no']}", ""]
    for item in json.loads(row["items"]):
        lines.append(f"{item['name']}  x{item['quantity']}  {item['amount']:,} ₫ (VAT {item['vat_rate']}%)"
                     .replace(",", "."))
    lines += ["", f"Tổng cộng: {row['total']:,} ₫".replace(",", "."), f"Trạng thái: {row['status']}",
              f"Mã tra cứu: {row['lookup_code']}", "SANDBOX — không có giá trị pháp lý"]
    draw.text((80, 80), "HÓA ĐƠN GIÁ TRỊ GIA TĂNG", fill="black", font=big)
    for i, text in enumerate(lines):
        draw.text((80, 180 + i * 44), text, fill="black", font=font)
    out = io.BytesIO()
    page.save(out, "PDF", resolution=150)
    return out.getvalue()


def create_app(sandbox: Sandbox) -> Flask:
    app = Flask(__name__)
    app.config["SANDBOX"] = sandbox

    @app.before_request
    def _authenticate() -> ResponseReturnValue | None:
        if not request.path.startswith("/api/"):
            return None
        if sandbox.down:
            return json_error(503, "unavailable", "Hệ thống hóa đơn đang bảo trì (sandbox)")
        if request.headers.get(SELLER_HEADER) != sandbox.seller:
            return json_error(401, "unknown_seller", f"{SELLER_HEADER} is not a known tax code")
        refusal = unsigned_refusal(sandbox.secret, SIGNATURE_HEADER, 300)
        if refusal is not None:
            return refusal
        request.environ["einvoice.fault"] = sandbox.take_fault()
        return None

    def answer(row: sqlite3.Row | None, status: int = 200) -> Any:
        fault = request.environ.get("einvoice.fault")
        if fault == "lost":
            return json_error(500, "internal_error", "Lỗi hệ thống (sandbox: câu trả lời bị mất)")
        if fault == "garbage":
            return "<html>Service Unavailable</html>", 200, {"Content-Type": "text/html"}
        if row is None:
            return json_error(404, "not_found", "no invoice with this key")
        return jsonify(sandbox.public(row)), status

    @app.post(ISSUE_PATH)
    def issue() -> ResponseReturnValue:
        body = request.get_json(silent=True)
        if not isinstance(body, dict) or not isinstance(body.get("idempotency_key"), str) \
                or not isinstance(body.get("items"), list) or not body["items"] \
                or not isinstance(body.get("total"), int) or body["total"] < 0 \
                or body["total"] != sum(int(i.get("amount", 0)) for i in body["items"]):
            return json_error(400, "invalid_request", "idempotency_key, items and total (the sum of the amounts)")
        row, replayed = sandbox.issue(body)
        return answer(row, 200 if replayed else 201)

    @app.get(INVOICE_PATH.replace("{key}", "<key>"))
    def find(key: str) -> ResponseReturnValue:
        return answer(sandbox.get(idempotency_key=key))

    @app.post(ADJUST_PATH.replace("{key}", "<key>"))
    def adjust(key: str) -> ResponseReturnValue:
        body = request.get_json(silent=True) or {}
        if not isinstance(body.get("adjustment_key"), str) or not isinstance(body.get("amount"), int) \
                or body["amount"] > 0:
            return json_error(400, "invalid_request", "adjustment_key and a negative amount")
        return answer(sandbox.adjust(key, body["adjustment_key"], body["amount"], str(body.get("reason", ""))))

    @app.post(CANCEL_PATH.replace("{key}", "<key>"))
    def cancel(key: str) -> ResponseReturnValue:
        body = request.get_json(silent=True) or {}
        return answer(sandbox.cancel(key, str(body.get("reason", ""))))

    @app.get("/tra-cuu/<code>.pdf")
    def pdf(code: str) -> ResponseReturnValue:
        row = sandbox.get(lookup_code=code)
        if row is None:
            abort(404)
        return Response(pdf_of(row, sandbox.seller), mimetype="application/pdf")

    @app.get("/tra-cuu/<code>")
    def lookup(code: str) -> ResponseReturnValue:
        row = sandbox.get(lookup_code=code)
        if row is None:
            abort(404)
        return render_template_string(PAGE, rows=[row], title=f"Hóa đơn {row['invoice_no']}", sandbox=sandbox)

    @app.get("/")
    def page() -> ResponseReturnValue:
        return render_template_string(PAGE, rows=sandbox.all(), title="Hóa đơn điện tử (sandbox)", sandbox=sandbox)

    @app.get("/healthz")
    def healthz() -> ResponseReturnValue:
        return {"status": "ok"}

    @app.get("/sandbox/invoices.json")
    def invoices_json() -> ResponseReturnValue:
        return jsonify(invoices=[sandbox.public(r) for r in sandbox.all()])

    @app.post("/sandbox/faults")
    def faults() -> ResponseReturnValue:
        data = request.get_json(silent=True) or {}
        if "down" in data:
            sandbox.down = bool(data["down"])
        if data.get("mode") in ("lost", "garbage"):
            with sandbox.lock:
                sandbox.faults = {data["mode"]: int(data.get("count") or 1)}
        return jsonify(down=sandbox.down, faults=sandbox.faults)

    return app


PAGE = """<!doctype html>
<html lang="vi"><head><meta charset="utf-8"><title>{{ title }}</title>
<style>body{font:14px system-ui,sans-serif;margin:1.5rem;color:#1d2733}h1{font-size:1.3rem}
table{border-collapse:collapse;width:100%}th,td{border-bottom:1px solid #dde3ea;padding:.4rem;text-align:left}
th{background:#f3f6f9}.muted{color:#6b7785;font-size:12px}</style></head><body>
<h1>{{ title }}</h1>
<p class="muted">Nhà cung cấp hóa đơn điện tử thử nghiệm · MST người bán {{ sandbox.seller }}
{% if sandbox.down %} · <strong>đang bảo trì (503)</strong>{% endif %}</p>
<table><thead><tr><th>Ký hiệu / Số</th><th>Đơn hàng</th><th>Tổng tiền</th><th>Trạng thái</th><th>Mã tra cứu</th>
<th>Ghi chú</th></tr></thead><tbody>
{% for r in rows %}<tr><td>{{ r.series }} / {{ r.invoice_no }}</td><td>{{ r.order_no }}</td>
<td>{{ "{:,}".format(r.total).replace(",", ".") }} ₫</td><td>{{ r.status }}</td>
<td><a href="/tra-cuu/{{ r.lookup_code }}">{{ r.lookup_code }}</a> ·
 <a href="/tra-cuu/{{ r.lookup_code }}.pdf">PDF</a></td>
<td class="muted">{{ r.note }}</td></tr>
{% else %}<tr><td colspan="6" class="muted">Chưa có hóa đơn.</td></tr>{% endfor %}
</tbody></table></body></html>"""


def from_environment(port: int) -> Sandbox:
    instance = Path(os.environ.get("PORTAL_INSTANCE", Path(__file__).resolve().parents[2] / "instance"))
    instance.mkdir(parents=True, exist_ok=True)
    return Sandbox(instance / "einvoice_sandbox.db",
                   secret=os.environ.get("EINVOICE_SECRET", "sandbox-einvoice-secret"),
                   seller=os.environ.get("EINVOICE_SELLER_TAX_CODE", "0100686209"),
                   base_url=os.environ.get("EINVOICE_URL", f"http://127.0.0.1:{port}"))


def main(argv: list[str] | None = None) -> None:
    serve("einvoice-sandbox", "e-invoice provider sandbox (docs/einvoice.md)",
          lambda port: create_app(from_environment(port)), argv)


if __name__ == "__main__":
    main()
