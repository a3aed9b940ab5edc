"""The reports' pages: the index, one page per report, and its exports (/reports/<slug>.csv, .xlsx). A regional
supervisor asking for another region gets a 404 (with an audit row), bad filters a field error."""
from __future__ import annotations

from typing import Any

from flask import abort, render_template, request
from flask_login import current_user

from portal.core.access import allow
from portal.core.audit import audit_now
from portal.core.nav import OVERSIGHT
from portal.reports import bp
from portal.reports.base import REPORTS, Report, all_reports
from portal.reports.export import csv_response, export_rows, xlsx_response
from portal.reports.filters import ReportFilterForm


def _report(slug: str) -> Report:
    report = REPORTS.get(slug)
    if report is None:
        abort(404)
    return report


def _form() -> ReportFilterForm:
    """The filters from the query string; a regional supervisor naming another region is a 404."""
    asked = request.args.get("region", "")
    if asked and not current_user.is_head_office and asked != str(current_user.region_id):
        audit_now("access.denied_region", detail={"path": request.path, "asked": asked[:12]})
        abort(404)
    return ReportFilterForm(request.args)


def _page(report: Report, form: ReportFilterForm, status: int = 200) -> Any:
    scope = form.scope() if not form.errors else None
    page = report.page(scope) if scope is not None else None
    return render_template("reports/report.html", report=report, form=form, scope=scope, page=page,
                           reports=all_reports()), status


@bp.get("/")
@allow(*OVERSIGHT)
def index():
    return render_template("reports/index.html", reports=all_reports())


@bp.get("/<slug>")
@allow(*OVERSIGHT)
def show(slug: str):
    report = _report(slug)
    form = _form()
    form.validate()
    return _page(report, form, 200 if not form.errors else 400)


def _export(slug: str, fmt: str):
    report = _report(slug)
    form = _form()
    if not form.validate():
        return _page(report, form, 400)
    scope = form.scope()
    audit_now("report.exported", region_id=scope.region_id,
              detail={"report": slug, "format": fmt, **scope.args(), "region": scope.region_id})
    name = f"{slug}_{scope.date_from.isoformat()}_{scope.date_to.isoformat()}.{fmt}"
    headers = [str(h) for h in report.headers]
    rows = export_rows(report.rows, scope)
    if fmt == "csv":
        return csv_response(headers, rows, name)
    return xlsx_response(headers, rows, name, slug)


@bp.get("/<slug>.csv")
@allow(*OVERSIGHT)
def export_csv(slug: str):
    return _export(slug, "csv")


@bp.get("/<slug>.xlsx")
@allow(*OVERSIGHT)
def export_xlsx(slug: str):
    return _export(slug, "xlsx")
