"""Online payment of orders (HOLD-12, HOLD-14, E-2.2) through the VNPay 2.1.0 protocol."""
from flask import Blueprint
from flask_babel import lazy_gettext as _l

from portal.core.domains import Domain
from portal.core.nav import OVERSIGHT, SUPERVISION, NavItem

bp = Blueprint("payments", __name__)

# Routes; listeners of order moves (the eSIM e-mail, refunds); the reconciler's periodic job.
from portal.payments import (  # noqa: E402,F401
    app_api,
    listeners,
    messages,
    models,
    reconcile,
    refund_views,
    refunds,
    views,
)

DOMAIN = Domain(blueprints=(bp, app_api.bp), nav=(
    NavItem(35, "payments.refund_list", _l("Hoàn tiền"), OVERSIGHT,
            _l("Hoàn tiền cho đơn đã thanh toán qua VNPay rồi bị hủy: gửi yêu cầu hoàn, xem kết quả và lý do từ chối."),
            "cash", count=lambda _user: refunds.waiting_count(), group=SUPERVISION),
))
