"""/admin/: every configuration screen in one place — each domain's navigation entries meant for admins alone
(portal.core.nav), so a screen a domain adds appears here without anyone listing it."""
from __future__ import annotations

from flask import render_template
from flask_login import current_user

from portal.admin import bp
from portal.core.access import allow
from portal.core.nav import ADMINS, NavItem, entries
from portal.core.roles import Role

HUB = "admin.hub"


def configuration_screens(user: object) -> list[NavItem]:
    """The entries for admins only (not the work screens admins share with other roles) this admin may open."""
    return [item for item in entries() if item.roles == ADMINS and item.endpoint != HUB and item.shown_to(user)]


@bp.route("/")
@allow(Role.ADMIN)
def hub():
    return render_template("admin/hub.html", screens=configuration_screens(current_user))
