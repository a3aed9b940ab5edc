"""Message templates: the sandbox (only the template's placeholders, no loops, attributes, calls or arithmetic),
the checks on save, the SMS length (GSM-7 vs UCS-2), the admins' text used when sending, and no OTP in any log."""
from __future__ import annotations

import logging

import pytest

from portal.customers.messages import OTP_TEXTS
from portal.customers.models import OtpPurpose
from portal.gateways.sms import sms_length
from portal.messages.models import MessageOverride
from portal.messages.registry import templates
from portal.messages.rendering import html_of, problems, render
from portal.orders.messages import PLACED

OTP = OTP_TEXTS[OtpPurpose.ACTIVATE]


def test_every_message_the_portal_sends_is_a_template_whose_default_passes_its_own_checks(app):
    ids = {t.id for t in templates()}
    assert {"customers.otp_activate", "customers.otp_reset_password", "orders.placed", "orders.confirmed",
            "orders.ready_at_store", "orders.delivering", "orders.delivered", "orders.cancelled",
            "payments.esim_delivery", "connections.connected", "connections.refused", "connections.esim_qr"} <= ids
    with app.test_request_context():
        for template in templates():
            assert problems(template, template.subject, template.body) == {}, template.id


@pytest.mark.parametrize(("body", "message"), [
    ("Mã {{ otp }} cho {{ ho_ten }}", "Biến không có trong mẫu này: {{ ho_ten }}"),
    ("Mã {{ otp }", "Lỗi cú pháp ở dòng 1"),
    ("Mã {{ otp }} {% if minutes %}", "Lỗi cú pháp"),
    ("{% for i in range(9) %}{{ otp }}{% endfor %}", "Chỉ được dùng biến"),
    ("{{ otp.__class__ }}", "Chỉ được dùng biến"),  # attribute access: the sandbox's way out is closed before it
    ("{{ otp.upper() }}", "Chỉ được dùng biến"),
    ("{{ otp * 1000000 }}", "Chỉ được dùng biến"),
    ("{% set x = otp %}{{ x }}", "Chỉ được dùng biến"),
    ("{% include 'base.html' %}{{ otp }}", "Chỉ được dùng biến"),
    ("{{ otp|wordcount }}", "Bộ lọc không được dùng: wordcount"),
    ("Mã của bạn hiệu lực {{ minutes }} phút", "Nội dung phải hiện {{ otp }}"),
    ("{% if false %}{{ otp }}{% endif %}Mã đã gửi", "Nội dung phải hiện {{ otp }}"),
    ("   ", "Không được để trống"),
    ("Mã {{ otp }}. " + "Nội dung rất dài có dấu. " * 10, "Tin nhắn dài 4 phần (tối đa 3)"),
])
def test_a_text_that_cannot_be_saved_says_why(app, body, message):
    with app.test_request_context():
        assert message in problems(OTP, "", body)["body"]


def test_an_email_subject_is_checked_too(app):
    with app.test_request_context():
        found = problems(PLACED, "Mã {{ ma_giu_so }}", PLACED.body)
    assert set(found) == {"subject"} and "{{ ma_giu_so }}" in found["subject"]


def test_conditions_filters_and_placeholders_render(app):
    with app.test_request_context():
        body = "{% if awaiting_payment %}Chờ thanh toán {% endif %}{{ hold_code|lower }} {{ offer|default('—') }}"
        assert problems(PLACED, PLACED.subject, body) == {}


@pytest.mark.parametrize(("text", "encoding", "units", "segments"), [
    ("Ma kich hoat cua ban la 123456", "GSM-7", 30, 1),
    ("a" * 160, "GSM-7", 160, 1),
    ("a" * 161, "GSM-7", 161, 2),  # 153 per part once split
    ("{[x]}", "GSM-7", 9, 1),  # the extension table takes two septets each
    ("Mã kích hoạt", "UCS-2", 12, 1),  # one Vietnamese letter with a diacritic: the whole SMS is UCS-2
    ("ệ" * 70, "UCS-2", 70, 1),
    ("ệ" * 71, "UCS-2", 71, 2),  # 67 per part once split
    ("ệ" * 135, "UCS-2", 135, 3),
])
def test_sms_length_gsm7_and_ucs2(text, encoding, units, segments):
    length = sms_length(text)
    assert (length.encoding, length.units, length.segments) == (encoding, units, segments)


def test_sending_uses_the_admins_text_when_there_is_one(db):
    assert render(OTP, otp="654321", minutes=5).body.startswith("Ma kich hoat tai khoan Chon so Online")
    db.session.add(MessageOverride(template_id=OTP.id, subject="", body="Mã OTP của bạn: {{ otp }} ({{ minutes }}')"))
    db.session.flush()
    rendered = render(OTP, otp="654321", minutes=5)
    assert rendered.body == "Mã OTP của bạn: 654321 (5')" and rendered.overridden and rendered.sms.unicode
    with pytest.raises(ValueError, match="placeholders"):
        render(OTP, otp="654321")  # a sender must give every placeholder


def test_a_broken_override_falls_back_to_the_default_and_no_otp_reaches_the_log(db, caplog):
    db.session.add(MessageOverride(template_id=OTP.id, subject="", body="Mã {{ otp.__class__.__mro__ }}"))
    db.session.flush()  # written past the checks, as a bad row in the database would be
    with caplog.at_level(logging.DEBUG):
        rendered = render(OTP, otp="987123", minutes=5)
    assert "987123" in rendered.body and not rendered.overridden  # the default text
    assert "customers.otp_activate" in caplog.text and "987123" not in caplog.text


def test_html_of_a_text_mail_escapes_and_links():
    html = html_of("Xin chào <b>Lan</b>\ndòng hai\n\nhttps://chonso.example.vn/a?b=1&c=2", after_first="<p>QR</p>")
    assert html == ('<p>Xin chào &lt;b&gt;Lan&lt;/b&gt;<br>dòng hai</p><p>QR</p>'
                    '<p><a href="https://chonso.example.vn/a?b=1&amp;c=2">https://chonso.example.vn/a?b=1&amp;c=2</a></p>')
