"""The e-mails about an order: its hold code when placed (E-2.2) and each move the customer hears of (SHIP-6..23).
Texts admins may change (/admin/messages)."""
from flask_babel import lazy_gettext as _l

from portal.messages.registry import EMAIL, MessageTemplate, define
from portal.orders.models import OrderStatus

SAMPLE_URL = "https://chonso.example.vn/chonso/phieu/GS7K2M9Q"
PLACED = define(MessageTemplate(
    "orders.placed", EMAIL, _l("E-mail mã giữ số khi đặt đơn"),
    _l("Gửi khi khách giữ số và đặt đơn có e-mail (E-2.2)."),
    {"hold_code": _l("Mã giữ số"), "order_no": _l("Mã đơn hàng"), "numbers": _l("Số thuê bao (cách nhau bởi dấu phẩy)"),
     "total": _l("Tổng tiền, đã định dạng"), "offer": _l("Ưu đãi kèm theo (trống nếu không có)"),
     "awaiting_payment": _l("Đúng khi đơn còn chờ thanh toán"), "ticket_url": _l("Địa chỉ trang phiếu giữ số")},
    {"hold_code": "GS7K2M9Q", "order_no": "DH-000123", "numbers": "0901 234 567", "total": "50.000 ₫",
     "offer": "Tặng gói TN4G cho thuê bao eSIM mới", "awaiting_payment": True, "ticket_url": SAMPLE_URL},
    subject="Mã giữ số {{ hold_code }} cho số {{ numbers }}",
    body="""Bạn đã giữ số thành công. Hãy giữ mã giữ số để kích hoạt thuê bao trên ứng dụng Chọn số.\
{% if awaiting_payment %} Vui lòng thanh toán trước khi hết thời gian giữ số.{% endif %}

Mã giữ số: {{ hold_code }}
Mã đơn hàng: {{ order_no }}
Số thuê bao: {{ numbers }}
Tổng tiền: {{ total }}
{% if offer %}Ưu đãi: {{ offer }}
{% endif %}
{{ ticket_url }}"""))

STATUS_PLACEHOLDERS = {"order_no": _l("Mã đơn hàng"), "hold_code": _l("Mã giữ số"),
                       "status": _l("Trạng thái mới, như khách đọc"), "ticket_url": _l("Địa chỉ trang phiếu giữ số")}
STATUS_SAMPLE = {"order_no": "DH-000123", "hold_code": "GS7K2M9Q", "status": "Đang giao hàng", "ticket_url": SAMPLE_URL}
STATUS_SUBJECT = "Đơn hàng {{ order_no }}: {{ status }}"
STATUS_FOOTER = """

Mã đơn hàng: {{ order_no }}
Mã giữ số: {{ hold_code }}

{{ ticket_url }}"""


def _status_mail(template_id: str, name, description, notice: str, extra: dict | None = None,
                 sample: dict | None = None) -> MessageTemplate:
    return define(MessageTemplate(template_id, EMAIL, name, description, {**STATUS_PLACEHOLDERS, **(extra or {})},
                                  {**STATUS_SAMPLE, **(sample or {})}, subject=STATUS_SUBJECT,
                                  body=notice + STATUS_FOOTER))


CONFIRMED = _status_mail("orders.confirmed", _l("E-mail đơn hàng đã xác nhận (giao tận nơi)"),
                         _l("Gửi khi nhân viên xác nhận đơn giao tận nơi (SHIP-8)."),
                         "Đơn hàng đã được xác nhận; đơn vị vận chuyển sẽ đến lấy hàng.",
                         sample={"status": "Chờ lấy hàng"})
READY_AT_STORE = _status_mail("orders.ready_at_store", _l("E-mail SIM sẵn sàng tại cửa hàng"),
                              _l("Gửi khi đơn nhận tại cửa hàng được xác nhận (SHIP-6)."),
                              "SIM của bạn đã sẵn sàng tại {{ store }}. Vui lòng mang theo giấy tờ tùy thân khi đến "
                              "nhận.", {"store": _l("Tên cửa hàng")},
                              {"store": "Cửa hàng MobiFone 01 Phạm Hùng", "status": "Chờ nhận tại cửa hàng"})
DELIVERING = _status_mail("orders.delivering", _l("E-mail đơn hàng đang giao"),
                          _l("Gửi khi đơn được giao cho đơn vị vận chuyển (SHIP-13, SHIP-14)."),
                          "Đơn hàng đã được giao cho đơn vị vận chuyển và đang trên đường đến bạn.")
DELIVERED = _status_mail("orders.delivered", _l("E-mail đã nhận SIM"),
                         _l("Gửi khi đơn vận chuyển báo đã giao SIM (SHIP-22, SHIP-23)."),
                         "Bạn đã nhận SIM. Hãy kích hoạt thuê bao trên trang phiếu giữ số.",
                         sample={"status": "Đã giao"})
CANCELLED = _status_mail("orders.cancelled", _l("E-mail đơn hàng đã hủy"),
                         _l("Gửi khi đơn bị hủy: khách hủy, nhân viên hủy hoặc khách từ chối nhận (SHIP-11, SHIP-18)."),
                         "{% if reason %}Đơn hàng đã bị hủy: {{ reason }}{% else %}Đơn hàng đã bị hủy.{% endif %}",
                         {"reason": _l("Lý do hủy (có thể trống)")},
                         {"reason": "Khách không nghe máy", "status": "Đã hủy"})

# The moves a customer hears of by e-mail (a delivered eSIM's own e-mail says it: portal.payments.messages).
BY_STATUS = {OrderStatus.DELIVERING: DELIVERING, OrderStatus.DELIVERED: DELIVERED, OrderStatus.CANCELLED: CANCELLED}
