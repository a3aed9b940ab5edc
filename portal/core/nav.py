"""The staff navigation: each domain declares its entries (``Domain.nav``); the menu and home cards follow the role.

An entry lists the roles that may open it and must point at an endpoint whose policy admits the same roles;
``order`` places it among every domain's entries (menu left to right, home cards top to bottom).
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import current_app, url_for
from flask_babel import lazy_gettext as _l

from portal.core.roles import Role

NAV_KEY = "portal.nav"


@dataclass(frozen=True)
class NavItem:
    order: int
    endpoint: str
    label: str
    roles: frozenset[Role]
    description: str = ""
    icon: str = ""
    in_menu: bool = True  # False: a card on the home page only (keeps the top bar on one line at 1366 px)
    count: Callable[[Any], int] | None = None  # a number beside the entry (work waiting), kept live by its page
    head_office: frozenset[Role] = frozenset()  # roles that see it only at head office (as the endpoint's policy)
    group: str = ""  # a menu of its own in the top bar (e.g. "Giám sát"), placed where its last entry would be

    def shown_to(self, user: Any) -> bool:
        return user.role in self.roles and (user.role not in self.head_office or user.is_head_office)

    def count_for(self, user: Any) -> int | None:
        return self.count(user) if self.count else None

    @property
    def url(self) -> str:
        return url_for(self.endpoint)


ADMINS = frozenset({Role.ADMIN})
OVERSIGHT = frozenset({Role.SUPERVISOR, Role.ADMIN})
SUPERVISION = _l("Giám sát")  # the supervisors' drop-down: reports, the wall, the logs, what needs watching


def entries() -> list[NavItem]:
    """Every domain's entries, in order (registered by create_app)."""
    return current_app.extensions.get(NAV_KEY, [])


def home_cards(user: Any) -> list[NavItem]:
    if not getattr(user, "is_authenticated", False):
        return []
    return [item for item in entries() if item.shown_to(user)]


@dataclass(frozen=True)
class NavGroup:
    """Entries sharing a ``group``: one drop-down in the top bar (keeps it on one line at 1366 px)."""

    label: str
    items: tuple[NavItem, ...]

    def count_for(self, user: Any) -> int | None:
        counts = [n for n in (item.count_for(user) for item in self.items) if n is not None]
        return sum(counts) if counts else None

    def holds(self, endpoint: str | None) -> bool:
        return any(item.endpoint == endpoint for item in self.items)


def nav_for(user: Any) -> list[NavItem | NavGroup]:
    """The top bar: entries in order, a group's entries gathered into one drop-down where its last one falls."""
    items = [item for item in home_cards(user) if item.in_menu]
    menu: list[NavItem | NavGroup] = []
    placed: set[str] = set()
    for item in reversed(items):  # a group sits where its last entry falls: after the work screens
        if not item.group:
            menu.append(item)
        elif str(item.group) not in placed:
            placed.add(str(item.group))
            members = tuple(i for i in items if i.group and str(i.group) == str(item.group))
            menu.append(NavGroup(item.group, members) if len(members) > 1 else members[0])
    return menu[::-1]
