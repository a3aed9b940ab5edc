"""Running "Xác thực thông tin" (ACT-6/7, ESIM-5/6) for the web and the app API: in two transactions, so that no
write lock is held while the eKYC provider works (a second of CPU, or a remote call), and limited per customer."""
from __future__ import annotations

from flask import current_app

from portal.core.actors import Actor
from portal.core.sqlite import set_write_intent, writing
from portal.dossiers import lifecycle
from portal.dossiers.models import Dossier, EkycRun
from portal.extensions import db, limiter


def customer_key() -> str:
    from portal.appapi import current_api_customer
    from portal.customers.session import current_customer

    customer = current_customer() or current_api_customer()
    return f"customer:{customer.id if customer else '-'}"


# The check costs CPU (or money, with a commercial provider): so many runs per customer an hour.
VERIFY_LIMIT = limiter.shared_limit(lambda: current_app.config["DOSSIER_VERIFY_RATE_LIMIT"], scope="dossier-verify",
                                    key_func=customer_key)


def verify_now(dossier: Dossier, actor: Actor) -> EkycRun:
    """Read the photos, end the transaction, run the provider, then record the verdict in a new one; commits.
    A refusal (PortalError) leaves the dossier as it was."""
    db.session.commit()  # what the request wrote so far (the customer's session)
    set_write_intent(False)  # the reads need no write lock (SQLite)
    try:
        prepared = lifecycle.prepare_verification(dossier)
    finally:
        db.session.rollback()
    result, ms = lifecycle.run_checks(prepared)
    with writing():
        try:
            run = lifecycle.record_verification(db.session.get(Dossier, prepared.dossier_id), actor, prepared,
                                                result, ms)
            db.session.commit()
        except Exception:
            db.session.rollback()
            raise
    return run
