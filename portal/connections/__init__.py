"""Connections (ACT-11..18, ESIM-10..19, E-4.1, E-4.2): approved dossiers pushed to mSale by RQ, exactly once from
the customer's point of view; results by signed callback (/msale/callback) and by polling, applied through the
dossier's own moves; the customer told by e-mail (the eSIM's QR code inline); supervisors see what waits too long
(/msale/). docs/msale.md."""
from flask import Blueprint
from flask_babel import lazy_gettext as _l

from portal.core.domains import Domain
from portal.core.nav import OVERSIGHT, SUPERVISION, NavItem

bp = Blueprint("connections", __name__, url_prefix="/msale")

from portal.connections import jobs, listeners, messages, models, notices, views, webhook  # noqa: E402,F401


@bp.app_template_global()
def esim_qr_data_uri(activation_code: str) -> str:
    """The customer's dossier page shows the eSIM's QR code in-app (ESIM-13), as the e-mail does."""
    return notices.qr_data_uri(activation_code)


DOMAIN = Domain(blueprints=(bp,), nav=(
    NavItem(39, "connections.index", _l("Hòa mạng mSale"), OVERSIGHT,
            _l("Hồ sơ chờ mSale quá lâu và các lần gửi mSale bị lỗi."), "idcard", count=views.flagged_count,
            group=SUPERVISION),
))
