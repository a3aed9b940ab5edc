"""Gateway fixtures: the sandbox mSale and e-invoice provider served in-process (tests/gateways/msale_fixtures.py)."""
from tests.gateways import msale_fixtures

einvoice_box = msale_fixtures.einvoice_box
msale_box = msale_fixtures.msale_box
