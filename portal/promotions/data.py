"""Reference offers. TN4G as SPEC states it: new eSIM subscribers from 17/06/2022 to 31/08/2022 get package
TN4G free: 15 GB for 10 days (1.5 GB a day), for eSIM chosen on the app."""
from __future__ import annotations

import datetime as dt

TN4G = {
    "code": "TN4G",
    "name": "Tặng gói TN4G cho thuê bao eSIM mới",
    "package": "TN4G",
    "description": "Miễn phí gói TN4G: 15 GB dùng trong 10 ngày (1,5 GB/ngày).",
    "sim_types": ["esim"],
    "channels": ["app"],
    "starts_on": dt.date(2022, 6, 17),
    "ends_on": dt.date(2022, 8, 31),
    "new_subscriber_only": True,
}

OFFERS = [TN4G]

# The packages the reference offers give (the catalogue admins keep: portal.promotions.packages).
PACKAGES = [{"code": "TN4G", "name": "TN4G", "allowance": "15 GB dùng trong 10 ngày (1,5 GB/ngày)"}]

# seed-demo: a copy of TN4G in a current window, on the website too, so the demo shows an offer.
DEMO_OFFER_CODE = "TN4G-DEMO"
DEMO_OFFER_DAYS = 365
