"""Admins' pages of the message templates (/admin/messages): list, edit with field errors and nothing saved, preview
with sample values and the SMS length, save audited before/after, reset to the default, a stale edit refused (409)."""
from __future__ import annotations

from sqlalchemy import select

from portal.core.models import AuditEntry
from portal.core.roles import Role
from portal.messages.models import MessageOverride
from tests.conftest import page_csrf

OTP_PAGE = "/admin/messages/customers.otp_activate"
MAIL_PAGE = "/admin/messages/orders.placed"


def _override(db, template_id: str = "customers.otp_activate") -> MessageOverride | None:
    db.session.expire_all()
    return db.session.scalar(select(MessageOverride).where(MessageOverride.template_id == template_id))


def _audits(db, action: str) -> list[AuditEntry]:
    return list(db.session.scalars(select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)))


def _post(client, path: str, **data):
    return client.post(path, data={"csrf_token": page_csrf(client, "/admin/messages/"), **data})


def test_the_list_shows_every_template_with_its_channel_and_sms_length(client, login):
    login(Role.ADMIN, region=0)
    html = client.get("/admin/messages/").get_data(as_text=True)
    assert "SMS mã OTP kích hoạt tài khoản" in html and "E-mail mã giữ số khi đặt đơn" in html
    assert "E-mail mã QR kích hoạt eSIM" in html and "GSM-7" in html and "Mặc định" in html


def test_the_edit_page_lists_the_placeholders_and_previews_the_default(client, login):
    login(Role.ADMIN, region=0)
    html = client.get(OTP_PAGE).get_data(as_text=True)
    assert "{{ otp }}" in html and "bắt buộc" in html and "Mã OTP 6 chữ số" in html
    assert "Ma kich hoat tai khoan Chon so Online cua ban la 123456, hieu luc 5 phut." in html  # sample values
    assert "1 phần" in html and "GSM-7" in html


def test_preview_renders_with_sample_values_and_counts_ucs2_segments_without_saving(client, db, login):
    login(Role.ADMIN, region=0)
    body = "Mã kích hoạt Chọn số Online của bạn là {{ otp }}, có hiệu lực trong {{ minutes }} phút. Đừng chia sẻ."
    response = _post(client, OTP_PAGE, version=0, body=body, action="preview")
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "Mã kích hoạt Chọn số Online của bạn là 123456" in html
    assert "2 phần" in html and "UCS-2" in html and "tối đa 70 ký tự mỗi phần" in html
    assert _override(db) is None and _audits(db, "message_template.update") == []


def test_bad_texts_are_field_errors_and_nothing_is_saved(client, db, login):
    login(Role.ADMIN, region=0)
    for body, message in (("Mã {{ ma_otp }}", "Biến không có trong mẫu này: {{ ma_otp }}"),
                          ("Mã {{ otp }", "Lỗi cú pháp ở dòng 1"),
                          ("Mã đã gửi, hiệu lực {{ minutes }} phút", "Nội dung phải hiện {{ otp }}")):
        response = _post(client, OTP_PAGE, version=0, body=body, action="save")
        html = response.get_data(as_text=True)
        assert response.status_code == 422 and message in html and "is-invalid" in html
    response = _post(client, MAIL_PAGE, version=0, subject="Mã {{ hold_code }", body="{{ hold_code }}", action="save")
    assert response.status_code == 422 and "Lỗi cú pháp" in response.get_data(as_text=True)
    assert _override(db) is None and _override(db, "orders.placed") is None
    assert _audits(db, "message_template.update") == []


def test_save_is_audited_before_and_after_then_reset_to_the_default(client, db, login):
    admin = login(Role.ADMIN, region=0)
    body = "Ma OTP Chon so: {{ otp }} ({{ minutes }} phut)."
    response = _post(client, OTP_PAGE, version=0, body=body, action="save")
    assert response.status_code == 302
    row = _override(db)
    assert (row.body, row.version, row.updated_by) == (body, 1, admin.username)
    [saved] = _audits(db, "message_template.update")
    assert saved.actor_id == admin.id and saved.object_type == "message_override"
    assert saved.detail["before"]["body"].startswith("Ma kich hoat tai khoan") and saved.detail["after"]["body"] == body
    assert "Đã sửa" in client.get("/admin/messages/").get_data(as_text=True)
    again = _post(client, OTP_PAGE, version=1, body=body + " Cam on.", action="save")
    assert again.status_code == 302 and _override(db).version == 2
    second = _audits(db, "message_template.update")[1]
    assert second.detail == {"before": {"body": body}, "after": {"body": body + " Cam on."}}
    assert _post(client, f"{OTP_PAGE}/reset", version=2).status_code == 302
    assert _override(db) is None
    [reset] = _audits(db, "message_template.reset")
    assert reset.detail["before"]["body"] == body + " Cam on." and reset.detail["after"] is None


def test_two_admins_editing_one_template_the_second_is_told_and_nothing_is_lost(app, client, db, login):
    login(Role.ADMIN, region=0)
    other = app.test_client()
    login(Role.ADMIN, region=0, on=other)
    first = other.post(OTP_PAGE, data={"csrf_token": page_csrf(other, "/admin/messages/"), "version": 0,
                                       "body": "Ma cua ban: {{ otp }}", "action": "save"})
    assert first.status_code == 302
    second = _post(client, OTP_PAGE, version=0, body="OTP: {{ otp }} trong {{ minutes }} phut", action="save")
    html = second.get_data(as_text=True)
    assert second.status_code == 409 and "Một người khác vừa sửa mục này trước bạn" in html
    assert "Ma cua ban: {{ otp }}</textarea>" in html  # the latest text in the form
    assert "OTP: {{ otp }} trong {{ minutes }} phut" in html  # and what the second admin had sent, beside it
    assert _override(db).body == "Ma cua ban: {{ otp }}" and len(_audits(db, "message_template.update")) == 1
    stale_reset = _post(client, f"{OTP_PAGE}/reset", version=0)
    assert stale_reset.status_code == 409 and _override(db) is not None


def test_only_admins_reach_the_templates(client, login):
    login(Role.SUPERVISOR, region=0)
    assert client.get("/admin/messages/").status_code == 403
    assert client.get(OTP_PAGE).status_code == 403


def test_an_unknown_template_is_a_404(client, login):
    login(Role.ADMIN, region=0)
    assert client.get("/admin/messages/khong-co").status_code == 404


def test_a_long_e_mail_text_is_audited_whole_before_and_after(client, db, login):
    """Issue 14 §3: the values before and after, whole, for a text far past a log line's 500 characters (it used to be
    cut there, so that two edits past the cut looked the same); the audit page shows its start, the rest on a click."""
    login(Role.ADMIN, region=0)
    subject = "Mã giữ số {{ hold_code }}"
    first = "Mã giữ số của bạn là {{ hold_code }}, đơn {{ order_no }}. " + "Cảm ơn bạn đã chọn số. " * 180
    assert 4_000 < len(first) < 5_000
    second = first + "\nHẹn gặp lại."
    for version, body in ((0, first), (1, second)):
        response = _post(client, MAIL_PAGE, version=version, subject=subject, body=body, action="save")
        assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    edit = _audits(db, "message_template.update")[-1]
    escaped = second.strip().replace("\n", "\\x0a")  # a line break is stored escaped (no forged log line)
    assert edit.detail == {"before": {"body": first.strip()}, "after": {"body": escaped}}
    html = client.get("/audit/?action=message_template.update").get_data(as_text=True)
    assert '<details class="portal-kv-long"><summary>before.body=Mã giữ số của bạn là' in html
    assert '<details class="portal-kv-long"><summary>after.body=' in html and "\nHẹn gặp lại.</div></details>" in html
