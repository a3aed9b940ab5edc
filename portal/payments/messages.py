"""The e-mail that delivers a paid eSIM order (HOLD-6, E-2.2): its hold code and how to activate. Text admins may
change (/admin/messages)."""
from flask_babel import lazy_gettext as _l

from portal.messages.registry import EMAIL, MessageTemplate, define

ESIM_DELIVERY = define(MessageTemplate(
    "payments.esim_delivery", EMAIL, _l("E-mail giao eSIM (mã giữ số và hướng dẫn kích hoạt)"),
    _l("Gửi khi đơn eSIM đã thanh toán trực tuyến; gửi xong thì đơn chuyển sang Đã giao (HOLD-6)."),
    {"full_name": _l("Họ tên khách hàng"), "order_no": _l("Mã đơn hàng"), "hold_code": _l("Mã giữ số"),
     "numbers": _l("Số thuê bao (cách nhau bởi dấu phẩy)"), "total": _l("Số tiền đã thanh toán, đã định dạng")},
    {"full_name": "Nguyễn Thị Lan Anh", "order_no": "DH-000123", "hold_code": "GS7K2M9Q",
     "numbers": "0901 234 567", "total": "50.000 ₫"},
    required=("hold_code",),
    subject="Chọn số Online – mã giữ số eSIM cho đơn hàng {{ order_no }}",
    body="""Xin chào {{ full_name }},

Đơn hàng {{ order_no }} đã được thanh toán. Số của bạn đang được giữ với mã giữ số:

    {{ hold_code }}

Số thuê bao: {{ numbers }}
Số tiền đã thanh toán: {{ total }}

Để kích hoạt eSIM:
1. Cài ứng dụng của nhà mạng từ App Store hoặc Google Play.
2. Mở ứng dụng, chọn “Kích hoạt eSIM” và nhập mã giữ số ở trên.
3. Chụp ảnh giấy tờ tùy thân, chân dung và gọi video với tổng đài viên để xác thực.
4. Khi kích hoạt thành công, quét mã QR eSIM được gửi trong ứng dụng.

Vui lòng không chia sẻ mã giữ số cho người khác.

Chọn số Online"""))
