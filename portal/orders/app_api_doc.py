"""OpenAPI description of the orders domain's app endpoints (portal.orders.app_api)."""
from __future__ import annotations

from portal.appapi import openapi as doc
from portal.holds.api import HOLD_ERRORS
from portal.numbers.api import SEARCH_ERRORS
from portal.orders.models import Gender, IdType, OrderStatus, PaymentMethod, ReceiveMethod
from portal.org.places import province_names

SEARCH_TAG, ORDER_TAG = "Tìm số", "Đơn hàng"
SEARCH_CODES = ("bad_parameter", "page_out_of_range", "per_page_out_of_range", "bad_sort", "bad_class",
                "price_negative", "price_range_reversed", "pattern_empty", "pattern_too_long", "pattern_bad_char",
                "pattern_length", "digits_only", "name_empty", "name_too_long", "name_bad_char", "bad_birth_date",
                "bad_pair_kind")
HOLD_CODES = ("number_not_found", "number_not_available", "bad_numbers", "bad_number", "not_a_pair",
              "bad_idempotency_key", "idempotency_key_reused")
FIELD_CODES = (
    ("invalid_fields", 422, "Nhiều trường sai; xem error.fields: mỗi trường có code và message riêng."),
    ("required", 422, "Trường bắt buộc bị bỏ trống."),
    ("too_long", 422, "Trường dài quá giới hạn."),
    ("bad_choice", 422, "Giá trị không nằm trong danh sách cho phép (sim_type, id_type, gender, receive_method, "
                        "payment_method)."),
    ("bad_name", 422, "Họ và tên chỉ gồm chữ cái và khoảng trắng."),
    ("bad_phone", 422, "Số điện thoại không hợp lệ (10 chữ số, bắt đầu bằng 0)."),
    ("bad_province", 422, "Tỉnh/thành phố không thuộc danh sách 34 tỉnh/thành (từ 1/7/2025)."),
    ("bad_date", 422, "Ngày sinh sai dạng YYYY-MM-DD, trước 1900 hoặc sau hôm nay."),
    ("too_young", 422, "Chủ thuê bao phải từ 14 tuổi."),
    ("bad_email", 422, "E-mail không hợp lệ."),
    ("email_required", 422, "eSIM cần e-mail để nhận mã QR."),
    ("cccd_length", 422, "Số CCCD phải gồm 12 chữ số."),
    ("cccd_province", 422, "Ba chữ số đầu của CCCD không phải mã tỉnh (63 mã)."),
    ("cccd_century", 422, "Chữ số thứ 4 của CCCD không khớp thế kỷ của năm sinh (trường birth_date)."),
    ("cccd_birth_year", 422, "Chữ số thứ 5–6 của CCCD không khớp hai số cuối năm sinh (trường birth_date)."),
    ("cccd_gender", 422, "Chữ số thứ 4 của CCCD không khớp giới tính (trường gender)."),
    ("cmnd_length", 422, "Số CMND phải gồm 9 chữ số."),
    ("esim_by_email", 422, "eSIM chỉ nhận qua e-mail (receive_method = email)."),
    ("esim_online_only", 422, "eSIM chỉ thanh toán trực tuyến (payment_method = online)."),
    ("physical_not_by_email", 422, "SIM vật lý nhận tại nhà (delivery) hoặc tại cửa hàng (store)."),
    ("bad_store", 422, "store_code không phải cửa hàng đang hoạt động."),
    ("missing_idempotency_key", 422, "Thiếu header Idempotency-Key."),
    ("order_not_found", 404, "Không có phiếu/đơn với mã này trong tài khoản của bạn."),
    ("too_many_open_orders", 409, "Khách đã có quá nhiều đơn chưa thanh toán; hoàn tất hoặc hủy bớt trước."),
)
doc.add_errors(*[e for e in (*SEARCH_ERRORS, *HOLD_ERRORS) if e[0] in SEARCH_CODES + HOLD_CODES], *FIELD_CODES)

_S = {"type": "string"}
doc.add_schema("Number", {"type": "object", "properties": {
    "number": _S, "display": _S, "class": _S, "class_label": _S, "price": {"type": "integer"},
    "region": {"type": "integer"}}})
doc.add_schema("NumberPage", {"type": "object", "properties": {
    "items": {"type": "array", "items": doc.ref("Number")}, "page": {"type": "integer"},
    "per_page": {"type": "integer"}, "total": {"type": "integer"}, "total_capped": {"type": "boolean"}}})
doc.add_schema("Amounts", {"type": "object", "description": "VND: number_price + sim_fee + delivery_fee = total.",
                           "properties": {k: {"type": "integer"} for k in ("number_price", "sim_fee", "delivery_fee",
                                                                          "total")}})
doc.add_schema("Offer", {"type": ["object", "null"], "properties": {"code": _S, "summary": _S}})
doc.add_schema("HoldForm", {"type": "object", "required": [
    "number", "sim_type", "full_name", "id_type", "id_number", "birth_date", "gender", "province", "ward", "address",
    "contact_phone", "payment_method"], "properties": {
    "number": {**_S, "description": "Một số; hoặc dùng numbers cho một cặp."},
    "numbers": {"type": "array", "items": _S, "maxItems": 2},
    "sim_type": {"type": "string", "enum": ["physical", "esim"]}, "full_name": _S,
    "id_type": {"type": "string", "enum": [t.value for t in IdType]},
    "id_number": {**_S, "description": "CCCD 12 chữ số hoặc CMND 9 chữ số."},
    "birth_date": {**_S, "format": "date"}, "gender": {"type": "string", "enum": [g.value for g in Gender]},
    "province": {"type": "string", "enum": province_names()}, "district": {**_S, "description": "Không bắt buộc."},
    "ward": _S, "address": _S, "email": {**_S, "description": "Bắt buộc với eSIM."}, "contact_phone": _S,
    "receive_method": {"type": "string", "enum": [m.value for m in ReceiveMethod]},
    "payment_method": {"type": "string", "enum": [m.value for m in PaymentMethod]},
    "store_code": {**_S, "description": "Khi receive_method = store."},
    **{f: {**_S, "description": "Khi receive_method = delivery."} for f in (
        "recipient_name", "recipient_phone", "delivery_province", "delivery_district", "delivery_ward",
        "delivery_address")}}})
doc.add_schema("Order", {"type": "object", "properties": {
    "order_no": _S, "order_no_display": _S, "hold_code": _S, "numbers": {"type": "array", "items": _S},
    "status": {"type": "string", "enum": [s.value for s in OrderStatus]}, "status_label": _S, "sim_type": _S,
    "receive_method": _S, "payment_method": _S, "store": {"type": ["string", "null"]}, "amounts": doc.ref("Amounts"),
    "offer": doc.ref("Offer"), "hold_expires_at": {"type": ["string", "null"]}, "paid_at": {"type": ["string", "null"]},
    "created_at": _S}})

_paging = [doc.param("page", "Trang (từ 1).", {"type": "integer"}),
           doc.param("per_page", "Số kết quả mỗi trang (1–100).", {"type": "integer"})]
_search_error = doc.error("Tham số không hợp lệ.", *SEARCH_CODES)
for path, op_id, summary, params in (
    ("/numbers", "searchNumbers", "Tìm số theo điều kiện", [
        doc.param(n, d, _S) for n, d in (("pattern", "Mẫu số, * và x."), ("prefix", "Đầu số."),
                                         ("contains", "Chứa dãy số."), ("ends_with", "Đuôi số."),
                                         ("avoid", "Không chứa các chữ số."), ("class", "Loại số."),
                                         ("sort", "price, price_desc, beauty, number"))]),
    ("/numbers/by-name", "searchByName", "Tìm số theo tên", [doc.param("name", "Tên (bàn phím điện thoại).", _S)]),
    ("/numbers/feng-shui", "searchFengShui", "Sim phong thủy", [
        doc.param("birth_date", "Ngày sinh YYYY-MM-DD.", {**_S, "format": "date"}, required=True)]),
    ("/numbers/pairs", "searchPairs", "Sim đôi – sim cặp", [doc.param("kind", "prefix hoặc digit.", _S)]),
):
    doc.add_operation(path, "get", op_id, summary, tag=SEARCH_TAG, auth=False, parameters=params + _paging,
                      description="HOLD-1: số đang sẵn sàng; cùng dịch vụ tìm số với website.",
                      responses={"200": doc.ok("Một trang kết quả.", "NumberPage"), "422": _search_error})

_form_errors = doc.error("Biểu mẫu sai: error.fields nêu từng trường.", *[c for c, _s, _m in FIELD_CODES
                                                                          if _s == 422])
doc.add_operation("/orders/quote", "post", "quoteOrder", "Xem trước đơn hàng", tag=ORDER_TAG, body="HoldForm",
                  description="HOLD-3..11: kiểm tra biểu mẫu, tính tiền và ưu đãi kèm theo; chưa giữ số.",
                  responses={"200": doc.ok("Số tiền và ưu đãi.", {"type": "object", "properties": {
                      "numbers": {"type": "array", "items": doc.ref("Number")}, "amounts": doc.ref("Amounts"),
                      "offer": doc.ref("Offer"), "store": {"type": ["string", "null"]}}}),
                      "404": doc.error("Không có số.", "number_not_found"),
                      "409": doc.error("Số đã có người giữ.", "number_not_available"), "422": _form_errors})
doc.add_operation("/orders", "post", "placeOrder", "Giữ số và đặt hàng", tag=ORDER_TAG, body="HoldForm",
                  description="HOLD-2..13, E-1.2: giữ số và tạo đơn trong một giao dịch. Bắt buộc header "
                              "Idempotency-Key: gửi lại cùng khóa trả về cùng một đơn (Idempotent-Replayed: true). "
                              "Thanh toán trực tuyến: đơn ở awaiting_payment đến khi hết hạn giữ số; "
                              "COD: đơn ở pending.",
                  parameters=[doc.param("Idempotency-Key", "Một giá trị mới cho mỗi đơn.", _S, where="header",
                                        required=True)],
                  responses={"201": doc.ok("Đơn hàng.", "Order"),
                             "404": doc.error("Không có số.", "number_not_found"),
                             "409": doc.error("Số đã có người giữ, hoặc quá nhiều đơn chưa thanh toán.",
                                              "number_not_available", "too_many_open_orders"),
                             "422": doc.error("Biểu mẫu hoặc khóa sai.", *[c for c, _s, _m in FIELD_CODES
                                                                          if _s == 422], *HOLD_CODES[2:])})
doc.add_operation("/orders", "get", "listOrders", "Phiếu của tôi", tag=ORDER_TAG,
                  responses={"200": doc.ok("Đơn của khách, mới nhất trước.", {"type": "object", "properties": {
                      "items": {"type": "array", "items": doc.ref("Order")}}})})
doc.add_operation("/orders/{hold_code}", "get", "getOrder", "Chi tiết phiếu", tag=ORDER_TAG,
                  parameters=[doc.param("hold_code", "Mã giữ số (hoặc mã đơn hàng).", _S, where="path",
                                        required=True)],
                  description="Đơn, số tiền, ưu đãi và lịch sử trạng thái (timeline). Phiếu của khách khác: 404.",
                  responses={"200": doc.ok("Chi tiết.", "Order"),
                             "404": doc.error("Không có phiếu này trong tài khoản.", "order_not_found")})
