"""Every report's module, imported so that it registers itself in ``base.REPORTS`` (one line per report)."""
from portal.reports import msale  # noqa: F401
