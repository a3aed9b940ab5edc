"""Supervisor reports (/reports/): each report a page of figures, a chart and tables over a date range with region,
channel and SIM-type filters, exported as CSV or XLSX streamed row by row. A regional supervisor sees their region,
head office all. Reads the other domains' tables; owns the pre-aggregated figures of past days (report_cell,
report_day: portal.reports.cells). docs/reports.md."""
from flask import Blueprint
from flask_babel import lazy_gettext as _l

from portal.core.domains import Domain
from portal.core.nav import OVERSIGHT, SUPERVISION, NavItem

bp = Blueprint("reports", __name__, url_prefix="/reports")

from portal.reports import catalogue, listeners, models, views  # noqa: E402,F401
from portal.reports.jobs import reports_cli  # noqa: E402

DOMAIN = Domain(blueprints=(bp,), commands=(reports_cli,), nav=(
    NavItem(35, "reports.index", _l("Báo cáo"), OVERSIGHT,
            _l("Phễu đăng ký, tổ video call, hàng chờ duyệt, mSale — theo khoảng ngày, khu vực, kênh, loại SIM; "
               "xuất CSV và Excel."), "chart", group=SUPERVISION),
))
