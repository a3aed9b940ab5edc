"""The e-mails of mSale's result (ACT-15, ACT-17, ESIM-13, ESIM-16, ESIM-19): connected, refused with the reason,
the eSIM's QR code. Texts admins may change (/admin/messages); the QR picture itself is added after the first
paragraph of the eSIM's e-mail."""
from flask_babel import lazy_gettext as _l

from portal.messages.registry import EMAIL, MessageTemplate, define

PLACEHOLDERS = {"number": _l("Số thuê bao"), "link": _l("Địa chỉ trang kích hoạt của khách")}
SAMPLE = {"number": "0901 234 567", "link": "https://chonso.example.vn/chonso/hoa-mang/GS7K2M9Q"}

CONNECTED = define(MessageTemplate(
    "connections.connected", EMAIL, _l("E-mail hòa mạng thành công"),
    _l("Gửi khi mSale báo thuê bao đã hòa mạng (ACT-15, ESIM-16)."), PLACEHOLDERS, SAMPLE,
    subject="Số {{ number }} đã hòa mạng thành công",
    body="Chúc mừng! Thuê bao {{ number }} đã được hòa mạng và sẵn sàng sử dụng.\n\n{{ link }}"))

REFUSED = define(MessageTemplate(
    "connections.refused", EMAIL, _l("E-mail từ chối hòa mạng"),
    _l("Gửi khi mSale từ chối hòa mạng, hoặc khách báo quét mã QR thất bại (ACT-17, ESIM-19)."),
    {**PLACEHOLDERS, "reason": _l("Lý do từ chối hòa mạng")},
    {**SAMPLE, "reason": "Thông tin không khớp Cơ sở dữ liệu quốc gia"},
    required=("reason",),
    subject="Số {{ number }}: hồ sơ bị từ chối hòa mạng",
    body="Hồ sơ hòa mạng của bạn bị từ chối: {{ reason }}\n"
         "Bạn có thể cập nhật thông tin và gửi lại hồ sơ trên trang kích hoạt.\n\n{{ link }}"))

ESIM_QR = define(MessageTemplate(
    "connections.esim_qr", EMAIL, _l("E-mail mã QR kích hoạt eSIM"),
    _l("Gửi khi mSale cấp mã QR eSIM (ESIM-13); ảnh mã QR được chèn sau đoạn đầu tiên."),
    {**PLACEHOLDERS, "activation_code": _l("Mã kích hoạt eSIM (để nhập thủ công)")},
    {**SAMPLE, "activation_code": "LPA:1$smdp.sandbox.mobifone.vn$K2ABC-DEF23-GHJ45-KLM67"},
    required=("activation_code",),
    subject="Mã QR kích hoạt eSIM cho số {{ number }}",
    body="Quét mã QR trong thư này bằng điện thoại hỗ trợ eSIM (Cài đặt → Di động → Thêm eSIM) để kích hoạt số "
         "{{ number }}. Sau khi quét, hãy xác nhận kết quả trên trang kích hoạt.\n\n"
         "Nếu không quét được, nhập mã kích hoạt thủ công: {{ activation_code }}\n\n{{ link }}"))
