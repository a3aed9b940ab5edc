"""The wall page (/wall/): the figures as they stand, then kept live by the ``/wall`` socket (static/js/wall.js)."""
from __future__ import annotations

from flask import render_template
from flask_babel import gettext as _
from flask_login import current_user

from portal.core.access import allow
from portal.core.nav import OVERSIGHT
from portal.wall import bp, live
from portal.wall.figures import short_name


def _duration(seconds: int) -> str:
    """A target as the SLA list reads it: whole minutes, else seconds."""
    return _("%(n)d phút", n=seconds // 60) if seconds % 60 == 0 else _("%(n)d giây", n=seconds)


@bp.get("/")
@allow(*OVERSIGHT)
def index():
    snap = live.current(current_user.region_id)
    return render_template("wall/index.html", snap=snap, call_target=_duration(snap["targets"]["call_answer_seconds"]),
                           region_code=current_user.region.code, region_name=short_name(current_user.region.name))
