"""Activation dossiers (hồ sơ thuê bao, ACT-1..7, ESIM-1..6, E-1.3..E-1.4, E-3.3..E-3.4): the customer's details,
ID photos and portrait, the eKYC checks, the per-ID limit, signing and submission (``signing``), the connection
team's review (``review``) and mSale's results (``results``); the customer's pages under /chonso, staff's under
/dossiers (``staff``) and /review (``review_views``), the app's under /api/app/v1 (``api``). docs/dossiers.md."""
from flask import Blueprint
from flask_babel import lazy_gettext as _l

from portal.core.domains import Domain
from portal.core.nav import ADMINS, NavItem

bp = Blueprint("dossiers", __name__, url_prefix="/chonso")

from portal.dossiers import (  # noqa: E402,F401
    api,
    jobs,
    listeners,
    models,
    queries,
    reason_views,
    reasons,
    review_models,
    review_queries,
    review_views,
    signing_views,
    sockets,
    staff,
    views,
)


@bp.app_template_global()
def activation_of(order):
    """The ticket page's activation panel (ACT-3, ESIM-2): the dossier, or whether "Kích hoạt" is offered."""
    return queries.activation_of(order)


DOMAIN = Domain(blueprints=(bp, staff.bp, review_views.bp, reason_views.bp, api.bp),
                reference_data=reasons.ensure_reference_reasons, namespaces=(
    sockets.ReviewNamespace(sockets.NAMESPACE),), nav=(
    NavItem(38, "dossier_staff.index", _l("Hồ sơ kích hoạt"), staff.STAFF_ROLES,
            _l("Hồ sơ kích hoạt của khu vực: thông tin khách, ảnh giấy tờ và chân dung, kết quả eKYC, lịch sử."),
            "idcard", count=queries.waiting_count),
    NavItem(39, "review.index", _l("Duyệt hồ sơ"), sockets.READERS,
            _l("Hàng chờ duyệt của tổ đấu nối: hồ sơ đã ký và gửi, duyệt, từ chối hoặc yêu cầu bổ sung."),
            "check", count=review_queries.waiting_count),
    NavItem(126, "reject_reasons.index", _l("Lý do từ chối"), ADMINS,
            _l("Danh mục lý do từ chối hồ sơ mà người duyệt chọn: nội dung, thứ tự, ngừng dùng."), "list",
            in_menu=False),
))
