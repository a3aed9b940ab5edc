"""Invoices fixtures: a paid eSIM order (the orders domain's own ``pay`` move) and the sandbox provider."""
from tests.dossiers import conftest as dossiers
from tests.gateways import msale_fixtures

checks_once, lan, media_root, numbers, paid_esim = (dossiers.checks_once, dossiers.lan, dossiers.media_root,
                                                    dossiers.numbers, dossiers.paid_esim)
delivered_order = dossiers.delivered_order
einvoice_box = msale_fixtures.einvoice_box
