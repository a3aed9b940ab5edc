from __future__ import annotations

from flask import render_template, request

from portal.audit import bp
from portal.audit.forms import AuditSearchForm
from portal.audit.services import PER_PAGE, AuditQuery, search_audit
from portal.core.access import allow
from portal.core.digits import whole_number
from portal.core.roles import Role


@bp.route("/")
@allow(Role.SUPERVISOR, Role.ADMIN)
def index():
    form = AuditSearchForm(request.args)
    query = AuditQuery(page=max(1, min(request.args.get("page", 1, type=whole_number), 10_000)))
    if form.validate():
        form.populate_obj(query)
    entries, total = search_audit(query)
    pages = max(1, -(-total // PER_PAGE))
    return render_template("audit/index.html", form=form, entries=entries, total=total, page=query.page, pages=pages)
