"""The SMS + e-mail sandbox: one small process speaking both providers' protocols, for development and tests.

Run ``python -m portal.gateways.outbox_sandbox --port N`` (``make run`` starts it on PORT+1).

- ``POST /MainService.svc/json/SendMultipleMessage_V4_post_json/``: eSMS.vn's brandname SMS API
  (see portal.gateways.sms): checks ApiKey/SecretKey ("101" when wrong), the brandname ("104"), the phone and
  the content ("99"); the same RequestId answers the first SMSID.
- ``POST /v3/<domain>/messages``: Mailgun's messages API (see portal.gateways.mail): HTTP basic auth
  ``api:<key>`` (401 "Forbidden" when wrong), the domain (404), ``from``/``to``/``subject``/``text`` or ``html``
  (400 when missing).
  Inline pictures (``inline`` files of a multipart request, shown by ``cid:`` in the html) are kept and shown.
- ``GET /outbox``: the messages, newest first (Vietnamese page for people); ``?to=`` filters.
- ``GET /outbox.json?to=<phone or e-mail>``: the same for tests, newest first.

Nothing leaves the machine: this is the phone and the mailbox. Messages are kept in a SQLite file
(``$PORTAL_INSTANCE/outbox.db`` unless ``--db``); credentials come from the same settings the portal's
clients read (SMS_API_KEY, SMS_SECRET_KEY, SMS_BRANDNAME, MAIL_API_KEY, MAIL_DOMAIN), with the same defaults.
"""
from __future__ import annotations

import argparse
import base64
import hmac
import os
import re
import sqlite3
import threading
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from flask import Flask, Response, jsonify, render_template_string, request
from flask.typing import ResponseReturnValue

from portal.config import INSTANCE
from portal.gateways import mail, sms

PHONE = re.compile(r"0[0-9]{9}")
SCHEMA = """CREATE TABLE IF NOT EXISTS message (
  id INTEGER PRIMARY KEY AUTOINCREMENT, kind TEXT NOT NULL, recipient TEXT NOT NULL, sender TEXT NOT NULL,
  subject TEXT NOT NULL DEFAULT '', body TEXT NOT NULL, html TEXT, provider_id TEXT NOT NULL,
  request_id TEXT, created_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS inline_file (
  id INTEGER PRIMARY KEY AUTOINCREMENT, message_id INTEGER NOT NULL, filename TEXT NOT NULL,
  content_type TEXT NOT NULL, data BLOB NOT NULL)"""


@dataclass(frozen=True)
class Credentials:
    sms_api_key: str = sms.SANDBOX_API_KEY
    sms_secret_key: str = sms.SANDBOX_SECRET_KEY
    sms_brandname: str = sms.SANDBOX_BRANDNAME
    mail_api_key: str = mail.SANDBOX_API_KEY
    mail_domain: str = mail.SANDBOX_DOMAIN

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Credentials:
        env = os.environ if env is None else env
        defaults = cls()
        return cls(**{name: env.get(name.upper(), getattr(defaults, name)) for name in cls.__dataclass_fields__})


class Store:
    """The messages, in SQLite (one connection per call: the server is threaded)."""

    def __init__(self, path: Path):
        self.path = path
        self.lock = threading.Lock()
        path.parent.mkdir(parents=True, exist_ok=True)
        with self._connect() as conn:
            conn.executescript(SCHEMA)

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, timeout=10)
        conn.row_factory = sqlite3.Row
        return conn

    def add(self, kind: str, recipient: str, sender: str, body: str, subject: str = "", html: str | None = None,
            request_id: str | None = None, inline: list[tuple[str, str, bytes]] | None = None) -> str:
        """Store a message; a repeated (kind, request_id) returns the first one's provider id."""
        with self.lock, self._connect() as conn:
            if request_id:
                row = conn.execute("SELECT provider_id FROM message WHERE kind = ? AND request_id = ?",
                                   (kind, request_id)).fetchone()
                if row:
                    return row["provider_id"]
            provider_id = uuid.uuid4().hex
            cursor = conn.execute(
                "INSERT INTO message (kind, recipient, sender, subject, body, html, provider_id, request_id,"
                " created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (kind, recipient, sender, subject, body, html, provider_id, request_id,
                 datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")))
            for filename, content_type, data in inline or ():
                conn.execute("INSERT INTO inline_file (message_id, filename, content_type, data) VALUES (?, ?, ?, ?)",
                             (cursor.lastrowid, filename, content_type, data))
            return provider_id

    def list(self, to: str | None = None, limit: int = 200) -> list[dict]:
        query, args = "SELECT * FROM message", []
        if to:
            query, args = query + " WHERE recipient = ?", [to.strip()]
        with self._connect() as conn:
            rows = [dict(r) for r in conn.execute(query + " ORDER BY id DESC LIMIT ?", [*args, limit]).fetchall()]
            for row in rows:  # inline pictures (the eSIM's QR code), as base64 for JSON and data: URLs on the page
                row["inline"] = [{"filename": f["filename"], "content_type": f["content_type"],
                                  "data": base64.b64encode(f["data"]).decode()} for f in conn.execute(
                    "SELECT * FROM inline_file WHERE message_id = ? ORDER BY id", (row["id"],))]
        return rows


def _same(given: str | None, expected: str) -> bool:
    return hmac.compare_digest((given or "").encode(), expected.encode())


def create_sandbox(db_path: Path, credentials: Credentials | None = None, sms_delay: float = 0.0) -> Flask:
    """The sandbox app (tests serve it in a thread with werkzeug's make_server); ``sms_delay``: seconds an SMS
    send waits before it is answered, as a slow provider does."""
    creds = credentials or Credentials.from_env()
    store = Store(db_path)
    app = Flask(__name__)
    app.config["OUTBOX_STORE"] = store

    @app.post(sms.SEND_PATH)
    def esms_send() -> Response:
        if sms_delay:
            time.sleep(sms_delay)
        body = request.get_json(silent=True) or {}
        if not (_same(body.get("ApiKey"), creds.sms_api_key) and _same(body.get("SecretKey"), creds.sms_secret_key)):
            return jsonify(CodeResult="101", ErrorMessage="Authorize Failed")
        if body.get("Brandname") != creds.sms_brandname:
            return jsonify(CodeResult="104", ErrorMessage="Brandname không tồn tại hoặc chưa được duyệt")
        phone, content = str(body.get("Phone", "")), str(body.get("Content", ""))
        if not PHONE.fullmatch(phone) or not content.strip():
            return jsonify(CodeResult="99", ErrorMessage="Số điện thoại hoặc nội dung không hợp lệ")
        sms_id = store.add("sms", phone, creds.sms_brandname, content, request_id=body.get("RequestId") or None)
        return jsonify(CodeResult="100", CountRegenerate=0, SMSID=sms_id)

    @app.post("/v3/<domain>/messages")
    def mailgun_send(domain: str) -> ResponseReturnValue:
        auth = request.authorization
        if auth is None or auth.username != "api" or not _same(auth.password, creds.mail_api_key):
            return "Forbidden", 401
        if domain != creds.mail_domain:
            return jsonify(message=f"Domain not found: {domain}"), 404
        form = request.form
        for field in ("from", "to", "subject"):
            if not form.get(field):
                return jsonify(message=f"'{field}' parameter is missing"), 400
        if not (form.get("text") or form.get("html")):
            return jsonify(message="Need at least one of 'text' or 'html' parameters specified"), 400
        inline = [(f.filename or "inline", f.mimetype or "application/octet-stream", f.read())
                  for f in request.files.getlist("inline")]
        message_id = store.add("email", form["to"], form["from"], form.get("text", ""), subject=form["subject"],
                               html=form.get("html"), inline=inline)
        return jsonify(id=f"<{message_id}@{domain}>", message="Queued. Thank you.")

    @app.get("/outbox.json")
    def outbox_json() -> Response:
        return jsonify(messages=store.list(request.args.get("to")))

    @app.get("/outbox")
    def outbox_page() -> str:
        to = request.args.get("to", "")
        return render_template_string(PAGE, messages=store.list(to), to=to)

    @app.get("/healthz")
    def healthz() -> Response:
        return jsonify(status="ok")

    return app


PAGE = """<!doctype html>
<html lang="vi"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="refresh" content="10"><title>Hộp thư thử nghiệm · Chọn số Online</title>
<style>
 body{font-family:system-ui,sans-serif;margin:0;background:#f3f6fa;color:#1f2933}
 header{background:#0054a6;color:#fff;padding:.8rem 1rem} h1{font-size:1.15rem;margin:0}
 main{max-width:760px;margin:0 auto;padding:1rem} form{margin-bottom:1rem;display:flex;gap:.5rem}
 input{flex:1;padding:.45rem;border:1px solid #cbd2d9;border-radius:6px} button{padding:.45rem .9rem}
 .msg{background:#fff;border-radius:10px;padding:.8rem 1rem;margin-bottom:.75rem;box-shadow:0 1px 3px #0002}
 .meta{color:#52606d;font-size:.85rem} .kind{font-weight:700;color:#0054a6} .body{white-space:pre-wrap;margin-top:.4rem}
 .note{color:#52606d;font-size:.9rem}
</style></head><body>
<header><h1>Hộp thư thử nghiệm — SMS và e-mail (không gửi thật)</h1></header>
<main>
<p class="note">Tin nhắn SMS và e-mail mà hệ thống “gửi” trong môi trường phát triển, mới nhất trước. Trang tự tải lại
 mỗi 10 giây. Dữ liệu dạng JSON: <a href="/outbox.json">/outbox.json?to=…</a></p>
<form method="get" action="/outbox"><input name="to" value="{{ to }}" placeholder="Lọc theo số điện thoại hoặc e-mail">
<button type="submit">Lọc</button></form>
{% for m in messages %}
<article class="msg" data-kind="{{ m.kind }}" data-to="{{ m.recipient }}">
 <div class="meta"><span class="kind">{{ "SMS" if m.kind == "sms" else "E-mail" }}</span>
  · tới <strong class="to">{{ m.recipient }}</strong> · từ {{ m.sender }}
  · {{ m.created_at[:19].replace("T", " ") }} UTC</div>
 {% if m.subject %}<div><strong>{{ m.subject }}</strong></div>{% endif %}
 <div class="body">{{ m.body }}</div>
 {% for f in m.inline %}<figure class="inline"><img src="data:{{ f.content_type }};base64,{{ f.data }}"
  alt="{{ f.filename }}" width="220"><figcaption class="meta">{{ f.filename }} (ảnh trong e-mail)</figcaption></figure>
 {% endfor %}
</article>
{% else %}
<p>Chưa có tin nào{% if to %} gửi tới {{ to }}{% endif %}.</p>
{% endfor %}
</main></body></html>"""


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="SMS (eSMS.vn) + e-mail (Mailgun) sandbox with a dev outbox page")
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "5000")) + 1)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--db", type=Path, default=INSTANCE / "outbox.db")
    parser.add_argument("--sms-delay", type=float, default=0.0, help="seconds before answering an SMS send")
    args = parser.parse_args(argv)
    from werkzeug.serving import run_simple

    run_simple(args.host, args.port, create_sandbox(args.db, sms_delay=args.sms_delay), threaded=True)


if __name__ == "__main__":
    main()
