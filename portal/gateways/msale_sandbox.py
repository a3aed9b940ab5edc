"""A sandbox mSale speaking docs/msale.md, for the demo, the tests and the benchmark.

``python -m portal.gateways.msale_sandbox --port N`` (``make run`` starts it on PORT+5). It keeps its queue in its
own SQLite file under PORTAL_INSTANCE; a submission waits ``MSALE_SANDBOX_DELAY_SECONDS`` (default 10) in the queue,
then is connected — or refused when the subscriber's ID number ends with ``MSALE_SANDBOX_REFUSE_DIGIT`` (default
9), the rule its page states — and for an eSIM an activation code ``LPA:1$<SM-DP+ address>$<matching id>`` is
issued. Every result is POSTed, signed (``X-Msale-Signature``), to the submission's ``callback_url``; status
queries answer by idempotency key. The idempotency key is unique: the same key again answers the first result
(200, ``replayed``), never a second connection. It counts connections per dossier (``/sandbox/stats.json``), so a
test or the benchmark can prove that nothing was connected twice.

Failure injection for tests (``POST /sandbox/faults`` JSON ``{"mode": …, "count": n}``, or the page's buttons):
``error`` (500 before doing anything), ``lost`` (does the work, then answers 500: the answer is lost),
``timeout`` (does the work, then hangs ``hang_seconds`` before answering), ``garbage`` (does the work, answers
non-JSON); ``{"callbacks": false}`` stops sending callbacks (the portal's poll must find the results).
"""
from __future__ import annotations

import hashlib
import json
import logging
import os
import secrets
import sqlite3
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import requests
from flask import Flask, jsonify, redirect, render_template_string, request, url_for
from flask.typing import ResponseReturnValue

from portal.core.digits import is_ascii_digits
from portal.gateways.msale import PARTNER_HEADER, SIGNATURE_HEADER, STATUS_PATH, SUBMIT_PATH
from portal.gateways.sandbox_kit import json_error, serve, unsigned_refusal
from portal.gateways.signing import sign

log = logging.getLogger("msale_sandbox")
SMDP_ADDRESS = "smdp.sandbox.mobifone.vn"
REFUSAL = "Thông tin giấy tờ không khớp Cơ sở dữ liệu quốc gia về dân cư"
FAULTS = ("error", "lost", "timeout", "garbage")
SCHEMA = """
CREATE TABLE IF NOT EXISTS submission (
  idempotency_key TEXT PRIMARY KEY,
  msale_ref TEXT NOT NULL UNIQUE,
  dossier_ref TEXT NOT NULL,
  sim_type TEXT NOT NULL,
  msisdn TEXT NOT NULL,
  full_name TEXT NOT NULL,
  id_number TEXT NOT NULL,
  body_hash TEXT NOT NULL,
  callback_url TEXT NOT NULL DEFAULT '',
  status TEXT NOT NULL,
  reason TEXT NOT NULL DEFAULT '',
  activation_code TEXT NOT NULL DEFAULT '',
  due_at REAL,
  created_at TEXT NOT NULL,
  callback_result TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS ix_submission_due ON submission (due_at);
CREATE TABLE IF NOT EXISTS connection (
  id INTEGER PRIMARY KEY AUTOINCREMENT, dossier_ref TEXT NOT NULL, msale_ref TEXT NOT NULL, at TEXT NOT NULL
);
"""


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def matching_id() -> str:
    """A matching id as SM-DP+ servers print them: groups of upper-case letters and digits."""
    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    return "-".join("".join(secrets.choice(alphabet) for _ in range(5)) for _ in range(4))


class Sandbox:
    """Its queue (SQLite), its settings, the fault switches and the timer thread."""

    def __init__(self, db_path: str | Path, secret: str, partner: str = "CHONSO", delay_seconds: float = 10.0,
                 refuse_digit: str = "9", tolerance: int = 300, hang_seconds: float = 15.0):
        self.db_path, self.secret, self.partner = str(db_path), secret, partner
        self.delay_seconds, self.refuse_digit, self.tolerance = delay_seconds, refuse_digit, tolerance
        self.hang_seconds = hang_seconds
        self.lock = threading.Lock()
        self.stop = threading.Event()
        self.faults: dict[str, int] = {}
        self.callbacks = True
        self.http = requests.Session()
        self.http.trust_env = False
        self.pool = ThreadPoolExecutor(max_workers=4, thread_name_prefix="msale-callback")
        with self.connect() as conn:
            conn.execute("PRAGMA journal_mode=WAL")
            conn.executescript(SCHEMA)

    def connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.db_path, timeout=30, check_same_thread=False)
        conn.row_factory = sqlite3.Row
        return conn

    # --- faults -------------------------------------------------------------------------------------------------
    def set_fault(self, mode: str, count: int = 1) -> None:
        with self.lock:
            self.faults = {mode: count} if mode in FAULTS and count > 0 else {}

    def take_fault(self) -> str | None:
        with self.lock:
            for mode, left in list(self.faults.items()):
                if left > 0:
                    self.faults[mode] = left - 1
                    return mode
            return None

    # --- the queue ----------------------------------------------------------------------------------------------
    def get(self, key: str) -> sqlite3.Row | None:
        with self.connect() as conn:
            return conn.execute("SELECT * FROM submission WHERE idempotency_key = ?", (key,)).fetchone()

    def all(self, limit: int = 200) -> list[sqlite3.Row]:
        with self.connect() as conn:
            return conn.execute("SELECT * FROM submission ORDER BY created_at DESC, rowid DESC LIMIT ?",
                                (limit,)).fetchall()

    def submit(self, body: dict[str, Any], body_hash: str) -> tuple[sqlite3.Row, bool]:
        """Queue a submission; the same key again → (its row, True). ValueError when the key's body differs."""
        key = body["idempotency_key"]
        with self.lock, self.connect() as conn:
            row = conn.execute("SELECT * FROM submission WHERE idempotency_key = ?", (key,)).fetchone()
            if row is not None:
                if row["body_hash"] != body_hash:
                    raise ValueError("idempotency_conflict")
                return row, True
            subscriber = body["subscriber"]
            conn.execute(
                "INSERT INTO submission (idempotency_key, msale_ref, dossier_ref, sim_type, msisdn, full_name,"
                " id_number, body_hash, callback_url, status, due_at, created_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                (key, "MS" + secrets.token_hex(6).upper(), body["dossier_ref"], body["sim_type"], body["msisdn"],
                 subscriber.get("full_name", ""), subscriber["id_number"], body_hash, body.get("callback_url", ""),
                 "queued", time.time() + self.delay_seconds, _now()))
            return conn.execute("SELECT * FROM submission WHERE idempotency_key = ?", (key,)).fetchone(), False

    def decide(self, key: str, outcome: str | None = None, reason: str = "") -> sqlite3.Row | None:
        """Connect or refuse a queued submission now (by the rule, or as a person chose on the page)."""
        with self.lock, self.connect() as conn:
            row = conn.execute("SELECT * FROM submission WHERE idempotency_key = ? AND status = 'queued'",
                               (key,)).fetchone()
            if row is None:
                return None
            if outcome is None:
                outcome = "refused" if row["id_number"].endswith(self.refuse_digit) else "connected"
            code = f"LPA:1${SMDP_ADDRESS}${matching_id()}" if outcome == "connected" and row["sim_type"] == "esim" \
                else ""
            reason = (reason or REFUSAL) if outcome == "refused" else ""
            conn.execute("UPDATE submission SET status = ?, reason = ?, activation_code = ?, due_at = NULL "
                         "WHERE idempotency_key = ?", (outcome, reason, code, key))
            if outcome == "connected":
                conn.execute("INSERT INTO connection (dossier_ref, msale_ref, at) VALUES (?,?,?)",
                             (row["dossier_ref"], row["msale_ref"], _now()))
            row = conn.execute("SELECT * FROM submission WHERE idempotency_key = ?", (key,)).fetchone()
        if self.callbacks and row["callback_url"]:
            self.pool.submit(self.send_callback, key)
        return row

    def callback_body(self, row: sqlite3.Row) -> bytes:
        return json.dumps({"event_id": f"{row['msale_ref']}-{row['status']}", **public(row)},
                          ensure_ascii=False).encode()

    def send_callback(self, key: str) -> str:
        """POST the result, signed; remember the answer for the page (the portal also polls)."""
        row = self.get(key)
        if row is None or not row["callback_url"]:
            return "không có callback_url"
        raw = self.callback_body(row)
        try:
            response = self.http.post(row["callback_url"], data=raw, timeout=10, headers={
                "Content-Type": "application/json", SIGNATURE_HEADER: sign(raw, self.secret)})
            result = f"HTTP {response.status_code}"
        except requests.RequestException as exc:
            result = f"lỗi: {type(exc).__name__}"
        with self.lock, self.connect() as conn:
            conn.execute("UPDATE submission SET callback_result = ? WHERE idempotency_key = ?", (result, key))
        return result

    def tick(self) -> int:
        with self.connect() as conn:
            due = [r[0] for r in conn.execute("SELECT idempotency_key FROM submission WHERE due_at IS NOT NULL AND "
                                              "due_at <= ? ORDER BY due_at LIMIT 500", (time.time(),))]
        for key in due:
            self.decide(key)
        return len(due)

    def run_timers(self) -> None:
        while not self.stop.wait(0.2):
            try:
                self.tick()
            except Exception:
                log.exception("sandbox timer failed")

    def start_timers(self) -> threading.Thread:
        thread = threading.Thread(target=self.run_timers, name="msale-sandbox-timers", daemon=True)
        thread.start()
        return thread

    def stats(self) -> dict[str, Any]:
        with self.connect() as conn:
            by_status = {r[0]: r[1] for r in conn.execute("SELECT status, count(*) FROM submission GROUP BY status")}
            twice = [r[0] for r in conn.execute(
                "SELECT dossier_ref FROM connection GROUP BY dossier_ref HAVING count(*) > 1")]
            connections = conn.execute("SELECT count(*) FROM connection").fetchone()[0]
            dossiers = conn.execute("SELECT count(DISTINCT dossier_ref) FROM submission").fetchone()[0]
        return {"by_status": by_status, "connections": connections, "dossiers": dossiers,
                "connected_twice": twice}


def public(row: sqlite3.Row) -> dict[str, Any]:
    return {"idempotency_key": row["idempotency_key"], "msale_ref": row["msale_ref"],
            "dossier_ref": row["dossier_ref"], "status": row["status"], "reason": row["reason"],
            "activation_code": row["activation_code"]}


def _invalid(body: Any) -> str | None:
    """What is wrong with a submission's body (None: nothing)."""
    if not isinstance(body, dict):
        return "body must be a JSON object"
    key = body.get("idempotency_key")
    if not isinstance(key, str) or not 1 <= len(key) <= 64:
        return "idempotency_key: 1–64 characters"
    if body.get("sim_type") not in ("physical", "esim"):
        return "sim_type: physical or esim"
    msisdn = body.get("msisdn")
    if not (isinstance(msisdn, str) and len(msisdn) == 10 and is_ascii_digits(msisdn)):
        return "msisdn: 10 digits"
    subscriber = body.get("subscriber")
    if not isinstance(body.get("dossier_ref"), str) or not body["dossier_ref"]:
        return "dossier_ref is required"
    if not isinstance(subscriber, dict) or not isinstance(subscriber.get("id_number"), str) \
            or not subscriber["id_number"]:
        return "subscriber.id_number is required"
    return None


def create_app(sandbox: Sandbox) -> Flask:
    app = Flask(__name__)
    app.config["SANDBOX"] = sandbox

    @app.before_request
    def _authenticate() -> ResponseReturnValue | None:
        if not request.path.startswith("/api/"):
            return None
        if request.headers.get(PARTNER_HEADER) != sandbox.partner:
            return json_error(401, "unknown_partner", f"{PARTNER_HEADER} is not a known partner")
        return unsigned_refusal(sandbox.secret, SIGNATURE_HEADER, sandbox.tolerance)

    def faulty(answer: Any) -> Any:
        """Apply the fault switch to an answer whose work is already done (error: see submit)."""
        fault = request.environ.get("msale.fault")
        if fault == "lost":
            return json_error(500, "internal_error", "Lỗi hệ thống (sandbox: câu trả lời bị mất)")
        if fault == "garbage":
            return "<html><body>502 Bad Gateway … nginx</body></html>", 200, {"Content-Type": "text/html"}
        if fault == "timeout":
            time.sleep(sandbox.hang_seconds)
        return answer

    @app.before_request
    def _fault() -> ResponseReturnValue | None:
        if request.path.startswith("/api/"):
            fault = sandbox.take_fault()
            if fault == "error":
                return json_error(500, "internal_error", "Lỗi hệ thống (sandbox)")
            request.environ["msale.fault"] = fault
        return None

    @app.post(SUBMIT_PATH)
    def submit() -> ResponseReturnValue:
        raw = request.get_data()
        try:
            body = json.loads(raw)
        except ValueError:
            body = None
        problem = _invalid(body)
        if problem:
            return json_error(400, "invalid_request", problem)
        if request.headers.get("Idempotency-Key", body["idempotency_key"]) != body["idempotency_key"]:
            return json_error(400, "invalid_request", "Idempotency-Key header and body differ")
        canonical = {k: v for k, v in body.items() if k != "callback_url"}
        body_hash = hashlib.sha256(json.dumps(canonical, sort_keys=True).encode()).hexdigest()
        try:
            row, replayed = sandbox.submit(body, body_hash)
        except ValueError:
            return json_error(409, "idempotency_conflict", "this idempotency_key was used with another body")
        return faulty((jsonify(result="accepted", replayed=replayed, msale_ref=row["msale_ref"],
                               status=row["status"]), 200 if replayed else 202))

    @app.get(STATUS_PATH.replace("{key}", "<key>"))
    def status(key: str) -> ResponseReturnValue:
        row = sandbox.get(key)
        if row is None:
            return faulty(json_error(404, "not_found", "no submission with this idempotency_key"))
        return faulty(jsonify(public(row)))

    @app.get("/healthz")
    def healthz() -> ResponseReturnValue:
        return {"status": "ok"}

    @app.get("/")
    def page() -> ResponseReturnValue:
        return render_template_string(PAGE, rows=sandbox.all(), sandbox=sandbox, stats=sandbox.stats(),
                                      faults=FAULTS, refusal=REFUSAL, smdp=SMDP_ADDRESS)

    @app.get("/sandbox/stats.json")
    def stats() -> ResponseReturnValue:
        return jsonify(sandbox.stats())

    @app.get("/sandbox/queue.json")
    def queue_json() -> ResponseReturnValue:
        return jsonify(submissions=[public(r) for r in sandbox.all(limit=5000)])

    @app.post("/sandbox/faults")
    def faults() -> ResponseReturnValue:
        data = request.get_json(silent=True) if request.is_json else request.form.to_dict()
        data = data or {}
        if "callbacks" in data:
            sandbox.callbacks = str(data["callbacks"]).lower() not in ("false", "0", "off", "")
        if "mode" in data:
            sandbox.set_fault(str(data["mode"]), int(data.get("count") or 1))
        if "hang_seconds" in data:
            sandbox.hang_seconds = float(data["hang_seconds"])
        if "delay_seconds" in data:
            sandbox.delay_seconds = float(data["delay_seconds"])
        if request.is_json:
            return jsonify(faults=sandbox.faults, callbacks=sandbox.callbacks)
        return redirect(url_for("page"))

    @app.post("/sandbox/decide/<key>/<outcome>")
    def decide(key: str, outcome: str) -> ResponseReturnValue:
        if outcome not in ("connected", "refused"):
            return json_error(400, "invalid_request", "connected or refused")
        sandbox.decide(key, outcome, (request.form.get("reason") or "").strip()[:200])
        return redirect(url_for("page"))

    @app.post("/sandbox/resend/<key>")
    def resend(key: str) -> ResponseReturnValue:
        sandbox.send_callback(key)
        return redirect(url_for("page"))

    return app


PAGE = """<!doctype html>
<html lang="vi"><head><meta charset="utf-8"><title>mSale sandbox — hàng đợi hòa mạng</title>
<meta http-equiv="refresh" content="5">
<style>
body{font:14px system-ui,sans-serif;margin:1.5rem;color:#1d2733}h1{font-size:1.3rem}
table{border-collapse:collapse;width:100%}th,td{border-bottom:1px solid #dde3ea;padding:.4rem;text-align:left;
vertical-align:top}th{background:#f3f6f9}form{display:inline-block;margin:0 .25rem .25rem 0}
button{padding:.2rem .5rem;cursor:pointer}.muted{color:#6b7785;font-size:12px}code{font-size:12px}
</style></head><body>
<h1>mSale sandbox — hàng đợi hòa mạng</h1>
<p class="muted">Hồ sơ chờ {{ sandbox.delay_seconds }} giây trong hàng đợi, rồi được hòa mạng; <strong>từ chối</strong>
khi số giấy tờ tận cùng bằng chữ số {{ sandbox.refuse_digit }} (lý do: “{{ refusal }}”). eSIM: cấp mã kích hoạt
<code>LPA:1${{ smdp }}$&lt;matching id&gt;</code>. Kết quả được gửi (ký HMAC-SHA256) tới callback_url của hồ sơ.
Trang tự tải lại sau 5 giây.</p>
<p>Số hồ sơ: {{ stats.dossiers }} · lượt hòa mạng: {{ stats.connections }} · hòa mạng hai lần:
{{ stats.connected_twice | length }} · theo trạng thái: {{ stats.by_status }}</p>
<p>Gây lỗi cho yêu cầu kế tiếp:
{% for f in faults %}<form method="post" action="/sandbox/faults"><input type="hidden" name="mode" value="{{ f }}">
<button>{{ f }}</button></form>{% endfor %}
<form method="post" action="/sandbox/faults"><input type="hidden" name="callbacks"
 value="{{ '0' if sandbox.callbacks else '1' }}"><button>{{ 'Tắt callback' if sandbox.callbacks else 'Bật callback'
 }}</button></form> <span class="muted">đang chờ: {{ sandbox.faults or "không" }}</span></p>
<table><thead><tr><th>Idempotency key</th><th>mSale ref</th><th>Hồ sơ</th><th>Thuê bao</th><th>Loại</th>
<th>Trạng thái</th><th>Mã kích hoạt</th><th>Thao tác</th><th>Callback</th></tr></thead><tbody>
{% for r in rows %}
<tr><td><code>{{ r.idempotency_key }}</code></td><td><code>{{ r.msale_ref }}</code></td><td>{{ r.dossier_ref }}</td>
<td>{{ r.msisdn }}<br><span class="muted">{{ r.full_name }}</span></td><td>{{ r.sim_type }}</td>
<td>{{ r.status }}{% if r.reason %}<br><span class="muted">{{ r.reason }}</span>{% endif %}</td>
<td><code>{{ r.activation_code }}</code></td>
<td>{% if r.status == "queued" %}
<form method="post" action="/sandbox/decide/{{ r.idempotency_key }}/connected"><button>Hòa mạng ngay</button></form>
<form method="post" action="/sandbox/decide/{{ r.idempotency_key }}/refused"><input name="reason"
 placeholder="Lý do từ chối" aria-label="Lý do từ chối"><button>Từ chối</button></form>{% else %}
<form method="post" action="/sandbox/resend/{{ r.idempotency_key }}"><button>Gửi lại callback</button></form>
{% endif %}</td><td class="muted">{{ r.callback_result }}</td></tr>
{% else %}<tr><td colspan="9" class="muted">Hàng đợi trống.</td></tr>{% endfor %}
</tbody></table></body></html>"""


def from_environment() -> Sandbox:
    instance = Path(os.environ.get("PORTAL_INSTANCE", Path(__file__).resolve().parents[2] / "instance"))
    instance.mkdir(parents=True, exist_ok=True)
    return Sandbox(instance / "msale_sandbox.db", secret=os.environ.get("MSALE_SECRET", "sandbox-msale-secret"),
                   partner=os.environ.get("MSALE_PARTNER", "CHONSO"),
                   delay_seconds=float(os.environ.get("MSALE_SANDBOX_DELAY_SECONDS", "10")),
                   refuse_digit=os.environ.get("MSALE_SANDBOX_REFUSE_DIGIT", "9"))


def _started(_port: int) -> Flask:
    sandbox = from_environment()
    sandbox.start_timers()
    return create_app(sandbox)


def main(argv: list[str] | None = None) -> None:
    serve("msale-sandbox", "mSale-shaped sandbox (docs/msale.md)", _started, argv)


if __name__ == "__main__":
    main()
