"""E-mails exactly once (issue 10): an idempotency record committed before the send, whatever retries follow."""
from __future__ import annotations

import pytest
import requests
from click.testing import CliRunner
from sqlalchemy import select

from portal.gateways.mail import MailError
from portal.notify import outbox as mail_outbox
from portal.notify.models import SentMessage, SentMessageStatus
from tests.customers.conftest import outbox  # noqa: F401  (fixture: the SMS/e-mail sandbox)

TO = "khach@example.vn"


def _emails(box, to: str = TO) -> list[dict]:
    return [m for m in box.messages(to) if m["kind"] == "email"]


def _record(db, key: str) -> SentMessage:
    db.session.expire_all()
    return db.session.scalar(select(SentMessage).where(SentMessage.key == key))


def test_the_same_key_sends_one_message_and_records_it(db, outbox):  # noqa: F811
    first = mail_outbox.send_mail_once("status_change:7", TO, "Đơn hàng đã giao", "Xin chào")
    again = mail_outbox.send_mail_once("status_change:7", TO, "Đơn hàng đã giao", "Xin chào")
    assert first and again is None
    assert len(_emails(outbox)) == 1
    row = _record(db, "status_change:7")
    assert row.status == SentMessageStatus.SENT and row.provider_id == first and row.sent_at and row.attempts == 1
    assert mail_outbox.send_mail_once("status_change:8", TO, "Khác", "Lý do khác")  # another reason, another mail
    assert len(_emails(outbox)) == 2


def test_the_record_is_committed_before_the_send(db, app, monkeypatch):
    seen = {}

    class Spy:
        def send(self, to, subject, text, html=None, key=None):
            with app.app_context():  # another session: only what is committed
                seen["status"] = db.session.scalar(select(SentMessage.status).where(SentMessage.key == key))
            seen["key"] = key
            return "<1@test>"

    monkeypatch.setattr(mail_outbox, "mail_gateway", lambda: Spy())
    mail_outbox.send_mail_once("order:1:placed", TO, "s", "t")
    assert seen == {"status": SentMessageStatus.SENDING, "key": "order:1:placed"}


def test_a_provider_that_was_never_reached_is_tried_again(db, outbox, app, monkeypatch):  # noqa: F811
    monkeypatch.setitem(app.config, "MAIL_URL", "http://127.0.0.1:9")  # nothing listens: connection refused
    with pytest.raises(MailError) as failure:
        mail_outbox.send_mail_once("order:2:placed", TO, "s", "t")
    assert failure.value.maybe_sent is False
    assert _record(db, "order:2:placed").status == SentMessageStatus.FAILED
    monkeypatch.setitem(app.config, "MAIL_URL", outbox.url)
    assert mail_outbox.send_mail_once("order:2:placed", TO, "s", "t")
    assert len(_emails(outbox)) == 1 and _record(db, "order:2:placed").attempts == 2


def test_a_send_in_doubt_is_never_repeated_blindly_and_a_person_settles_it(db, app, outbox, monkeypatch):  # noqa: F811
    real_post = requests.post

    def answer_lost(*args, **kwargs):  # the provider takes the message, the answer never comes back
        real_post(*args, **kwargs)
        raise requests.ReadTimeout("read timed out")

    monkeypatch.setattr(requests, "post", answer_lost)
    with pytest.raises(MailError) as failure:
        mail_outbox.send_mail_once("order:3:esim", TO, "s", "t")
    assert failure.value.maybe_sent is True
    monkeypatch.setattr(requests, "post", real_post)
    with pytest.raises(mail_outbox.MessageInDoubt, match="order:3:esim"):
        mail_outbox.send_mail_once("order:3:esim", TO, "s", "t")
    assert len(_emails(outbox)) == 1 and _record(db, "order:3:esim").status == SentMessageStatus.SENDING
    result = CliRunner().invoke(app.cli, ["mail", "settle", "order:3:esim", "--sent"], obj=None)
    assert result.exit_code == 0, result.output
    assert mail_outbox.send_mail_once("order:3:esim", TO, "s", "t") is None
    assert len(_emails(outbox)) == 1


def test_settling_a_message_that_did_not_leave_sends_it_on_the_next_run(db, outbox, monkeypatch):  # noqa: F811
    def crash(*args, **kwargs):  # the worker dies between the record and the answer
        raise SystemExit("killed")

    monkeypatch.setattr(requests, "post", crash)
    with pytest.raises(SystemExit):
        mail_outbox.send_mail_once("order:4:placed", TO, "s", "t")
    monkeypatch.undo()
    assert mail_outbox.settle("order:4:placed", sent=False)
    assert mail_outbox.send_mail_once("order:4:placed", TO, "s", "t")
    assert len(_emails(outbox)) == 1
