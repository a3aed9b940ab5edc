"""The OTP SMS uses the admins' text when there is one (/admin/messages), keeps its code, and travels as Unicode when
the text has Vietnamese diacritics (eSMS.vn's IsUnicode)."""
from __future__ import annotations

import requests

from portal.customers.messages import OTP_TEXTS
from portal.customers.models import OtpPurpose
from portal.messages.models import MessageOverride
from tests.customers.conftest import register

PHONE = "0903111333"


def test_the_otp_sms_is_sent_with_the_admins_text__AUTH_8(client, db, outbox, monkeypatch):
    db.session.add(MessageOverride(template_id=OTP_TEXTS[OtpPurpose.ACTIVATE].id, subject="",
                                   body="Mã kích hoạt Chọn số: {{ otp }} (hiệu lực {{ minutes }} phút)"))
    db.session.commit()
    sent: list[dict] = []
    post = requests.post

    def spy(url, json=None, **kwargs):
        if json and "Content" in json:
            sent.append(json)
        return post(url, json=json, **kwargs)

    monkeypatch.setattr(requests, "post", spy)
    assert register(client, phone=PHONE).status_code == 302
    [sms] = [m for m in outbox.messages(PHONE) if m["kind"] == "sms"]
    code = outbox.last_otp(PHONE)
    assert sms["body"] == f"Mã kích hoạt Chọn số: {code} (hiệu lực {client.application.config['OTP_TTL_MINUTES']} phút)"
    assert sent and sent[0]["IsUnicode"] == "1"  # diacritics: UCS-2


def test_without_an_override_the_default_gsm7_text_is_sent(client, db, outbox, monkeypatch):
    sent: list[dict] = []
    post = requests.post
    monkeypatch.setattr(requests, "post", lambda url, json=None, **kw: sent.append(json) or post(url, json=json, **kw))
    assert register(client, phone=PHONE).status_code == 302
    [sms] = [m for m in outbox.messages(PHONE) if m["kind"] == "sms"]
    assert sms["body"].startswith("Ma kich hoat tai khoan Chon so Online cua ban la ")
    assert [p["IsUnicode"] for p in sent if p and "Content" in p] == ["0"]
