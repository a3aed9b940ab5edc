"""Number inventory: search, classes, import, price tiers."""
from flask import Blueprint
from flask_babel import lazy_gettext as _l

from portal.core.domains import Domain
from portal.core.nav import ADMINS, OVERSIGHT, SUPERVISION, NavItem

bp = Blueprint("numbers", __name__, url_prefix="/numbers")


@bp.before_app_request
def _warm_search_index() -> None:
    """A web process builds its search index on its first request, so that no search waits for it."""
    from flask import current_app

    from portal.numbers import index

    if current_app.config["SEARCH_INDEX_WARM_UP"]:
        index.warm_up()

from portal.numbers import models, views  # noqa: E402,F401
from portal.numbers.cli import numbers_cli  # noqa: E402

DOMAIN = Domain(blueprints=(bp,), commands=(numbers_cli,), nav=(
    NavItem(50, "numbers.index", _l("Kho số"), OVERSIGHT,
            _l("Tra cứu kho số theo mẫu, loại số, giá và trạng thái; số lượng theo trạng thái và loại số."), "grid",
            group=SUPERVISION),
    NavItem(60, "numbers.import_upload", _l("Nhập số"), ADMINS,
            _l("Nhập số vào kho từ tệp CSV: xem trước, báo lỗi từng dòng, rồi xác nhận."), "upload", in_menu=False),
    NavItem(70, "numbers.price_tiers", _l("Bảng giá"), ADMINS,
            _l("Giá mặc định của từng loại số; số chưa có giá riêng theo bảng giá."), "tag", in_menu=False),
))
