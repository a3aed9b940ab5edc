"""Shipping: the order board (SHIP-1..23), the carrier and its callbacks, cash on delivery, store pickup."""
from flask import Blueprint
from flask_babel import lazy_gettext as _l

from portal.core.domains import Domain
from portal.core.nav import OVERSIGHT, NavItem
from portal.core.roles import Role

bp = Blueprint("shipping", __name__, url_prefix="/shipping")
store_bp = Blueprint("store", __name__, url_prefix="/store")  # the store pickup screen: /shipping/store/

from portal.shipping import listeners, models, sockets, store_views, views, webhook  # noqa: E402,F401

bp.register_blueprint(store_bp)

DOMAIN = Domain(blueprints=(bp,), namespaces=(sockets.BoardNamespace(sockets.NAMESPACE),
                                              sockets.StoreNamespace(sockets.STORE_NAMESPACE)), nav=(
    NavItem(10, "shipping.index", _l("Đơn hàng"), frozenset({Role.SHIPPING, Role.SUPERVISOR, Role.ADMIN}),
            _l("Bảng đơn hàng và giao vận: xác nhận, đóng gói, bàn giao đơn vị vận chuyển, theo dõi trực tiếp."),
            "truck"),
    NavItem(20, "shipping.store.index", _l("Nhận SIM tại cửa hàng"), frozenset({Role.CLERK}),
            _l("Đơn nhận tại cửa hàng của bạn: kiểm tra giấy tờ, giao SIM, in phiếu bàn giao."), "shop",
            count=lambda user: store_views.waiting_count(user.store_id)),
    NavItem(30, "shipping.cod", _l("Đối soát COD"), OVERSIGHT,
            _l("Tiền thu hộ theo đơn vị vận chuyển và ngày: phải thu, đã báo, đơn lệch tiền."), "cash", in_menu=False),
))
