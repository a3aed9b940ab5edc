"""The customer site's top bar: links to the pages of every domain under /chonso."""
from __future__ import annotations

from dataclasses import dataclass

from flask import request, url_for
from flask_babel import lazy_gettext as _l


@dataclass(frozen=True)
class SiteLink:
    label: object
    endpoint: str
    icon: str = ""

    @property
    def url(self) -> str:
        return url_for(self.endpoint)

    @property
    def active(self) -> bool:
        return request.path == self.url or request.path.startswith(self.url.rstrip("/") + "/")


SITE_NAV = (
    SiteLink(_l("Tìm số"), "orders.search", "search"),
    SiteLink(_l("Phiếu của tôi"), "orders.my_tickets", "ticket"),
    SiteLink(_l("Thông báo"), "orders.notifications", "bell"),
)


def site_nav() -> tuple[SiteLink, ...]:
    return SITE_NAV
