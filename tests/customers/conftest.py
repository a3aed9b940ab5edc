"""Customer fixtures: the SMS/e-mail outbox sandbox served in-process, settings per test, OTP helpers."""
from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator

import pytest
import requests
from werkzeug.serving import make_server

from portal.customers import otp
from portal.gateways.outbox_sandbox import create_sandbox
from tests.conftest import CUSTOMER_PASSWORD, csrf_from

OTP_IN_SMS = re.compile(r"\b([0-9]{6})\b")
NEW_PASSWORD = "mat-khau-moi-2026"


class Outbox:
    """The sandbox as the tests see it: its URL and what it received."""

    def __init__(self, url: str):
        self.url = url

    def messages(self, to: str | None = None) -> list[dict]:
        otp.wait_for_sends()  # SMS handed to this process's sender threads have been answered
        response = requests.get(f"{self.url}/outbox.json", params={"to": to} if to else None, timeout=5)
        response.raise_for_status()
        return response.json()["messages"]

    def last_otp(self, phone: str, timeout: float = 15.0) -> str:
        """The code of the newest SMS to ``phone``: SMS leave from sender threads (portal.customers.otp), after the
        request has answered; this process's are waited for, a live server's are polled for."""
        deadline = time.monotonic() + timeout
        while not (sms := [m for m in self.messages(phone) if m["kind"] == "sms"]) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert sms, f"no SMS to {phone}"
        return OTP_IN_SMS.search(sms[0]["body"]).group(1)


@pytest.fixture
def outbox(app, tmp_path, monkeypatch) -> Iterator[Outbox]:
    """The outbox sandbox on a free port; the app (and live servers started after this) send to it."""
    server = make_server("127.0.0.1", 0, create_sandbox(tmp_path / "outbox.db"), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_port}"
    saved = {k: app.config[k] for k in ("SMS_URL", "MAIL_URL")}
    app.config.update(SMS_URL=url, MAIL_URL=url)
    monkeypatch.setenv("SMS_URL", url)
    monkeypatch.setenv("MAIL_URL", url)
    try:
        yield Outbox(url)
    finally:
        app.config.update(saved)
        server.shutdown()
        thread.join(5)


@pytest.fixture
def settings(app) -> Iterator:
    """``settings(OTP_MAX_ATTEMPTS=3)`` for one test; restored afterwards."""
    saved: dict = {}

    def set_(**values):
        for key, value in values.items():
            saved.setdefault(key, app.config[key])
            app.config[key] = value

    yield set_
    app.config.update(saved)


@pytest.fixture(autouse=True)
def _no_resend_cooldown(settings):
    settings(OTP_RESEND_SECONDS=0)  # tests that are about the cool-down set it back


def form_post(client, path: str, data: dict, page: str | None = None):
    """POST a customer-site form with the CSRF token of ``page`` (default: the form's own page)."""
    token = csrf_from(client.get(page or path).get_data(as_text=True))
    return client.post(path, data={**data, "csrf_token": token})


def register(client, phone: str = "0903111222", full_name: str = "Lê Văn Bình", password: str = CUSTOMER_PASSWORD):
    return form_post(client, "/chonso/dang-ky", {"phone": phone, "full_name": full_name, "password": password,
                                                 "password_again": password})
