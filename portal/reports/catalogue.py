"""Every report's module, imported so that it registers itself in ``base.REPORTS`` (one line per report)."""
import portal.reports.funnel
import portal.reports.msale  # noqa: F401
