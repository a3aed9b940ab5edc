"""Customer-site pages of the orders domain (built on the customers' session skeleton)."""
from __future__ import annotations
