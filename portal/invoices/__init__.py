"""E-invoices (hóa đơn điện tử, E-6.1; the app's "digital signature and e-invoice"): every paid order gets one,
issued once through the provider (portal.gateways.einvoice), its lookup code and PDF on the customer's ticket page;
a refund adjusts or cancels it. docs/einvoice.md."""
from flask import Blueprint

from portal.core.domains import Domain

bp = Blueprint("invoices", __name__)

from portal.invoices import jobs, listeners, models, services  # noqa: E402,F401


@bp.app_template_global()
def invoice_of(order):
    """The ticket page's e-invoice panel: the order's invoice, or None."""
    return services.invoice_of(order)


DOMAIN = Domain(blueprints=(bp,))
