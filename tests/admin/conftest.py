"""Fixtures of the admin screens' tests: orders (a store's open pickups) and the orders tests' customer and stock."""
from __future__ import annotations

import re

from tests.calls.test_two_processes import two_webs  # noqa: F401  (fixture: two gunicorn web processes)
from tests.orders.conftest import customer, numbers  # noqa: F401  (fixtures)
from tests.shipping.conftest import make_order  # noqa: F401  (fixture)

VERSION = re.compile(r'name="version" type="hidden" value="(\d+)"|name="version" value="(\d+)"')


def version_on(html: str) -> int:
    """The version an edit page's form was drawn from."""
    match = VERSION.search(html)
    assert match, "the page has no version field"
    return int(next(g for g in match.groups() if g))
