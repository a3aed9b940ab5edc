"""Notices to people that must leave exactly once: e-mails by the reason they are sent (``outbox.send_mail_once``)."""
from portal.core.domains import Domain
from portal.notify import models  # noqa: F401  (the metadata sees its table)

DOMAIN = Domain()
