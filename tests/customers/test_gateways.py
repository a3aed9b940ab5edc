"""The SMS (eSMS.vn) and e-mail (Mailgun) clients against the outbox sandbox, and the sandbox in `make run`."""
from __future__ import annotations

import os
import subprocess
import time

import pytest
import requests

from portal.devstack import services
from portal.gateways import mail, sms
from portal.gateways.mail import MailError, MailgunClient, send_mail
from portal.gateways.sms import EsmsClient, SmsError, send_sms
from tests.conftest import ROOT, _free_port


def _sms_client(url: str, **change) -> EsmsClient:
    args = {"api_key": sms.SANDBOX_API_KEY, "secret_key": sms.SANDBOX_SECRET_KEY, "brandname": sms.SANDBOX_BRANDNAME,
            **change}
    return EsmsClient(url, timeout=5, **args)


def _mail_client(url: str, **change) -> MailgunClient:
    args = {"api_key": mail.SANDBOX_API_KEY, "domain": mail.SANDBOX_DOMAIN, "sender": "Chọn số <no-reply@x.vn>",
            **change}
    return MailgunClient(url, timeout=5, **args)


def test_sms_round_trip_through_the_sandbox(outbox):
    sms_id = _sms_client(outbox.url).send("0903123456", "Ma OTP cua ban la 123456", request_id="r-1")
    assert sms_id
    assert _sms_client(outbox.url).send("0903123456", "Ma OTP cua ban la 123456", request_id="r-1") == sms_id
    [message] = outbox.messages("0903123456")
    assert message["kind"] == "sms" and message["body"] == "Ma OTP cua ban la 123456" and message["sender"] == "ChonSo"


def test_the_sms_sandbox_refuses_what_the_provider_refuses(outbox):
    with pytest.raises(SmsError) as bad_key:
        _sms_client(outbox.url, secret_key="wrong").send("0903123456", "x")
    assert bad_key.value.code == "101"
    with pytest.raises(SmsError) as bad_brand:
        _sms_client(outbox.url, brandname="Other").send("0903123456", "x")
    assert bad_brand.value.code == "104"
    with pytest.raises(SmsError) as bad_phone:
        _sms_client(outbox.url).send("12345", "x")
    assert bad_phone.value.code == "99"
    with pytest.raises(SmsError) as down:
        _sms_client("http://127.0.0.1:9").send("0903123456", "x")
    assert down.value.code == "network"
    assert outbox.messages() == []


def test_mail_round_trip_through_the_sandbox(app, outbox):
    with app.app_context():
        message_id = send_mail("khach@example.com", "Mã giữ số của bạn", "Mã giữ số: K7TQ4MXA9C",
                               "<p>Mã giữ số: <b>K7TQ4MXA9C</b></p>")
    assert message_id.startswith("<") and message_id.endswith(f"@{mail.SANDBOX_DOMAIN}>")
    [message] = outbox.messages("khach@example.com")
    assert message["kind"] == "email" and message["subject"] == "Mã giữ số của bạn"
    assert message["html"] == "<p>Mã giữ số: <b>K7TQ4MXA9C</b></p>" and message["sender"].startswith("Chọn số Online")


def test_the_mail_sandbox_refuses_what_the_provider_refuses(outbox):
    for change, status in (({"api_key": "wrong"}, 401), ({"domain": "other.test"}, 404)):
        with pytest.raises(MailError) as refused:
            _mail_client(outbox.url, **change).send("khach@example.com", "Chủ đề", "nội dung")
        assert refused.value.status == status
    missing = requests.post(f"{outbox.url}/v3/{mail.SANDBOX_DOMAIN}/messages", auth=("api", mail.SANDBOX_API_KEY),
                            data={"from": "a@b.vn", "subject": "x", "text": "y"}, timeout=5)
    assert missing.status_code == 400 and "'to'" in missing.json()["message"]
    assert outbox.messages() == []


def test_the_outbox_page_lists_sms_and_e_mail_newest_first_in_vietnamese(app, outbox):
    with app.app_context():
        send_sms("0903123456", "Tin thu nhat")
        send_mail("khach@example.com", "Thư thứ hai", "Nội dung <script>")
    page = requests.get(f"{outbox.url}/outbox", timeout=5).text
    assert "Hộp thư thử nghiệm" in page and "không gửi thật" in page
    assert page.index("Thư thứ hai") < page.index("Tin thu nhat")  # newest first
    assert "Nội dung &lt;script&gt;" in page
    only = requests.get(f"{outbox.url}/outbox", params={"to": "0903123456"}, timeout=5).text
    assert "Tin thu nhat" in only and "Thư thứ hai" not in only


def test_make_run_starts_the_outbox_on_port_plus_one_and_exports_its_url():
    [outbox] = [s for s in services(5000) if s.name == "outbox"]
    assert outbox.argv[-2:] == ["--port", "5001"] and outbox.ready_url == "http://127.0.0.1:5001/healthz"
    assert outbox.exports == {"SMS_URL": "http://127.0.0.1:5001", "MAIL_URL": "http://127.0.0.1:5001"}


@pytest.mark.slow
def test_the_devstack_line_runs_a_live_sandbox(tmp_path):
    """The exact command `make run` starts answers its ready URL and takes an SMS."""
    port = _free_port() - 1
    [line] = [s for s in services(port) if s.name == "outbox"]
    env = {**os.environ, "PORTAL_INSTANCE": str(tmp_path), "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(line.argv, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                if requests.get(line.ready_url, timeout=1).status_code == 200:
                    break
            except requests.ConnectionError:
                time.sleep(0.2)
        else:
            pytest.fail("the outbox sandbox did not start")
        url = line.exports["SMS_URL"]
        _sms_client(url).send("0903123456", "Xin chao")
        assert requests.get(f"{url}/outbox.json", params={"to": "0903123456"}, timeout=5).json()["messages"]
        assert (tmp_path / "outbox.db").exists()
    finally:
        proc.terminate()
        proc.wait(10)
