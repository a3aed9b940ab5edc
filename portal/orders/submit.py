"""The unit of work of placing an order, shared by the web page and the app API (views, not services)."""
from __future__ import annotations

from typing import Any

from sqlalchemy.exc import IntegrityError

from portal.core.errors import PortalError
from portal.extensions import db
from portal.orders.models import Order
from portal.orders.services import place_order

ATTEMPTS = 3  # an idempotency race or an order-number/hold-code collision: the retry finds the winner


def submit_order(raw: dict[str, Any], customer, channel: str, idempotency_key: str) -> tuple[Order, bool]:
    """Call ``place_order`` and commit; a concurrent duplicate submit ends as a replay of the first."""
    for attempt in range(1, ATTEMPTS + 1):
        try:
            order, replayed = place_order(raw, customer, channel, idempotency_key)
            db.session.commit()
            return order, replayed
        except IntegrityError:
            db.session.rollback()
            if attempt == ATTEMPTS:
                raise
        except PortalError:
            db.session.rollback()
            raise
    raise AssertionError("unreachable")
