"""Every report's module, imported so that it registers itself in ``base.REPORTS`` (one line per report)."""
from portal.reports import (
    msale,  # noqa: F401
    partners,  # noqa: F401
    promotions,  # noqa: F401
    shipping,  # noqa: F401
)
