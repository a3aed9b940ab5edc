"""The operator's organisation: head office, the nine regional companies (CTKV), shopcodes, stores."""
from portal.core.domains import Domain
from portal.org import models, services  # noqa: F401

DOMAIN = Domain(reference_data=services.ensure_organisation)
