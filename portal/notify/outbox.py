"""Messages that leave exactly once, whatever retries a job goes through (``send_mail_once``).

RQ runs a job at least once, so a job that sends an e-mail and then fails (or is killed) would send it
again on its retry. ``send_mail_once(key, …)`` keeps an idempotency record per message, named by the reason
it is sent — ``f"order:{id}:placed"``, ``f"order:{id}:esim"``, ``f"status_change:{change_id}"`` —
in the ``sent_message`` table:

1. In a transaction of its own, committed **before** the send, it records the key as ``sending``. A key
   already ``sent`` is skipped (returns None). A key ``failed`` (the provider refused it, or was never
   reached) is taken again.
2. It sends, with the key in the message's ``X-Portal-Message-Key`` header, and records ``sent`` with the
   provider's message id in another committed transaction.

A key left in ``sending`` means a send whose outcome nobody knows: a crash between the record and the
answer, or a timeout after the request went out. Sending again could deliver twice; not sending could
deliver never. Mailgun's events API cannot be searched by a header of ours, so the portal does not guess:
the job raises ``MessageInDoubt``, RQ retries it (a twin still running will have finished by then) and,
if the key is still in doubt, the job lands on the failed-jobs page (/admin/jobs/failed) with the key in
its error. A person looks the message up in the provider's log (the header carries the key), then runs
``flask --app wsgi mail settle KEY --sent`` (it did leave) or ``--resend`` (it did not), and requeues the job.

Call it before the job's own writes: it ends the caller's transaction first (committing it), because on
SQLite that transaction holds the write lock that the record's own transaction needs.
"""
from __future__ import annotations

import logging
from collections.abc import Sequence

from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError

from portal.core.time import utcnow
from portal.extensions import db
from portal.gateways.mail import InlineImage, MailError, mail_gateway
from portal.notify.models import SentMessage, SentMessageStatus

log = logging.getLogger(__name__)
SENDING, SENT, FAILED = SentMessageStatus.SENDING, SentMessageStatus.SENT, SentMessageStatus.FAILED


class MessageInDoubt(Exception):
    """A message with this key may already have left: a person settles it (see the module docstring)."""

    def __init__(self, key: str, since):
        super().__init__(f"e-mail {key} may already have been sent (recorded as sending since {since:%Y-%m-%d %H:%M} "
                         f"UTC): check the provider's log for header X-Portal-Message-Key: {key}, then run "
                         f"`flask mail settle {key} --sent` or `--resend` and requeue this job")
        self.key = key


def _claim(key: str, to: str, subject: str) -> bool:
    """Record ``key`` as being sent (committed); False if it was sent already. Raises MessageInDoubt."""
    now = utcnow()
    try:
        with db.engine.begin() as conn:
            conn.execute(insert(SentMessage).values(key=key, channel="email", recipient=to[:254],
                                                    subject=subject[:300], status=SENDING, attempts=1,
                                                    created_at=now, updated_at=now))
        return True
    except IntegrityError:
        pass  # the key has a record: what became of it?
    with db.engine.begin() as conn:
        taken = conn.execute(update(SentMessage).where(SentMessage.key == key, SentMessage.status == FAILED)
                             .values(status=SENDING, attempts=SentMessage.attempts + 1, updated_at=now))
        if taken.rowcount == 1:
            return True
        status, since = conn.execute(select(SentMessage.status, SentMessage.updated_at)
                                     .where(SentMessage.key == key)).one()
    if status == SENT:
        return False
    raise MessageInDoubt(key, since)


def _settle(key: str, status: SentMessageStatus, **values) -> None:
    now = utcnow()
    with db.engine.begin() as conn:
        conn.execute(update(SentMessage).where(SentMessage.key == key)
                     .values(status=status, updated_at=now, **values))


def send_mail_once(key: str, to: str, subject: str, text: str, html: str | None = None,
                   inline: Sequence[InlineImage] = ()) -> str | None:
    """Send an e-mail once per ``key``; returns the provider's id, or None if it was sent before. ``inline``:
    pictures the HTML shows by ``cid:<filename>`` (the eSIM's QR code)."""
    db.session.commit()  # end the caller's transaction: the record needs a transaction (and SQLite's lock) of its own
    if not _claim(key, to, subject):
        log.info("mail %s: sent before, skipped", key)
        return None
    try:
        extra = {"inline": list(inline)} if inline else {}  # gateways without pictures keep their signature
        provider_id = mail_gateway().send(to, subject, text, html, key=key, **extra)
    except MailError as exc:
        if not exc.maybe_sent:  # refused, or never reached: the next try may send
            _settle(key, FAILED, error=str(exc)[:300])
        raise
    _settle(key, SENT, provider_id=provider_id[:200], sent_at=utcnow(), error=None)
    log.info("mail %s: sent as %s", key, provider_id)
    return provider_id


def settle(key: str, sent: bool) -> bool:
    """A person's verdict on a message in doubt: it left (``sent``), or it did not (the next run sends it)."""
    with db.engine.begin() as conn:
        result = conn.execute(update(SentMessage).where(SentMessage.key == key, SentMessage.status == SENDING)
                              .values(status=SENT if sent else FAILED, updated_at=utcnow(),
                                      error="settled by hand"))
    return result.rowcount == 1
