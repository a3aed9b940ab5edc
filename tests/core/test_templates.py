"""Templates ask the domain (``order.customer_may_cancel``, ``may_open(endpoint)``), never compare raw strings."""
from __future__ import annotations

import re
from pathlib import Path

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
# `order.status.value == "pending"`, `t.status != 'active'`, `role.value in ("admin", …)`, `x.sim_type == "esim"`
RAW = re.compile(r"\.(status|receive_method|payment_method|sim_type|role|id_type|gender)(\.value)?\s*"
                 r"(==|!=|not in|in)\s*[\"'(\[]")


def test_no_template_compares_a_status_or_role_with_a_raw_string():
    found = [f"{path.relative_to(TEMPLATES)}:{n}: {line.strip()[:100]}"
             for path in sorted(TEMPLATES.rglob("*.html")) for n, line in enumerate(path.read_text().splitlines(), 1)
             if RAW.search(line)]
    assert found == [], "ask the model (a property) or may_open() instead:\n" + "\n".join(found)


def test_the_check_catches_what_it_is_for():
    assert RAW.search('{% if order.status.value == "awaiting_payment" %}')
    assert RAW.search("{% if current_user.role.value in ('shipping', 'admin') %}")
    assert not RAW.search("{% if order.customer_may_cancel %}")
