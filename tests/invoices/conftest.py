"""Invoices fixtures: a paid eSIM order (the orders domain's own ``pay`` move) and the sandbox provider."""
from tests.dossiers.conftest import checks_once, lan, media_root, numbers, paid_esim  # noqa: F401
from tests.gateways.msale_fixtures import einvoice_box  # noqa: F401
