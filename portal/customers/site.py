"""The customer site's top bar: links to the pages of every domain under /chonso."""
from __future__ import annotations

from dataclasses import dataclass

from flask import current_app, request, url_for
from flask_babel import lazy_gettext as _l
from werkzeug.routing import BuildError


@dataclass(frozen=True)
class SiteLink:
    label: object
    endpoint: str  # the owning domain's endpoint; the path below until that domain is merged
    path: str
    icon: str = ""

    @property
    def url(self) -> str:
        if self.endpoint in current_app.view_functions:
            try:
                return url_for(self.endpoint)
            except BuildError:
                pass
        return self.path

    @property
    def active(self) -> bool:
        return request.path == self.url or request.path.startswith(self.url.rstrip("/") + "/")


# Endpoint names are what the orders team will register; until then the slugs below are used.
SITE_NAV = (
    SiteLink(_l("Tìm số"), "site_numbers.search", "/chonso/tim-so", "search"),
    SiteLink(_l("Phiếu của tôi"), "site_orders.my_tickets", "/chonso/phieu-cua-toi", "ticket"),
    SiteLink(_l("Thông báo"), "site_notices.index", "/chonso/thong-bao", "bell"),
)


def site_nav() -> tuple[SiteLink, ...]:
    return SITE_NAV
