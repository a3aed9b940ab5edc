"""Every report's module, imported so that it registers itself in ``base.REPORTS`` (one line per report)."""
import portal.reports.calls
import portal.reports.funnel
import portal.reports.msale
import portal.reports.partners
import portal.reports.promotions
import portal.reports.review
import portal.reports.shipping  # noqa: F401
