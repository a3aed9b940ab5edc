"""OpenAPI description of the dossiers domain's app endpoints (portal.dossiers.api)."""
from __future__ import annotations

from portal.appapi import openapi as doc
from portal.dossiers.models import DossierStatus, PhotoKind, StepAction
from portal.orders.app_api_doc import FIELD_CODES
from portal.orders.models import Gender, IdType
from portal.org.places import province_names

TAG = "Kích hoạt"
doc.add_tag(TAG, "Hồ sơ kích hoạt thuê bao (ACT-3..7, ESIM-2..6): thông tin, ảnh giấy tờ và chân dung, eKYC.")
doc.add_errors(
    ("dossier_not_found", 404, "Không có hồ sơ kích hoạt với mã giữ số này trong tài khoản của bạn."),
    ("hold_not_found", 404, "Không có phiếu giữ số với mã và số điện thoại này."),
    ("not_ready_for_activation", 409, "Chưa kích hoạt được: SIM vật lý sau khi nhận SIM, eSIM sau khi thanh toán; "
                                      "phiếu đã hủy hoặc hết hạn thì không kích hoạt được."),
    ("id_limit_reached", 409, "Giấy tờ đã đăng ký đủ 3 số thuê bao trực tuyến (Nghị định 163/2024/NĐ-CP)."),
    ("dossier_not_editable", 409, "Hồ sơ đã qua bước sửa thông tin và ảnh."),
    ("not_verifiable", 409, "Hồ sơ không cần xác thực lại (đã đạt eKYC hoặc đã qua bước này)."),
    ("stale_state", 409, "Hồ sơ vừa thay đổi (ví dụ ảnh được chụp lại trong lúc xác thực); tải lại và thử lại."),
    ("invalid_transition", 409, "Thao tác không hợp lệ ở trạng thái hiện tại của hồ sơ."),
    ("photos_missing", 422, "Chưa đủ ba ảnh (mặt trước, mặt sau, chân dung) hoặc ảnh không còn đọc được."),
    ("bad_photo_kind", 422, "Loại ảnh phải là id_front, id_back hoặc portrait."),
    ("image_empty", 422, "Thiếu tệp ảnh hoặc tệp rỗng."),
    ("image_too_large", 422, "Ảnh lớn hơn 10 MB."),
    ("image_type", 422, "Không phải ảnh JPEG, PNG, WebP hoặc HEIC (xét theo nội dung tệp, không theo tên)."),
    ("image_too_many_pixels", 422, "Ảnh có quá nhiều điểm ảnh (chống ảnh nén bom)."),
    ("image_broken", 422, "Ảnh bị hỏng hoặc tải lên chưa hết."),
    ("ekyc_unavailable", 503, "Dịch vụ eKYC tạm gián đoạn; ảnh đã lưu, thử xác thực lại sau."),
    *FIELD_CODES,
)

_S = {"type": "string"}
_TIME = {"type": ["string", "null"], "format": "date-time"}
DETAILS = {
    "full_name": _S, "id_type": {"type": "string", "enum": [t.value for t in IdType]},
    "id_number": {**_S, "description": "CCCD 12 chữ số hoặc CMND 9 chữ số."},
    "birth_date": {**_S, "format": "date"}, "gender": {"type": "string", "enum": [g.value for g in Gender]},
    "province": {"type": "string", "enum": province_names()}, "district": {**_S, "description": "Không bắt buộc."},
    "ward": _S, "address": _S, "email": {**_S, "description": "Bắt buộc với eSIM."}, "contact_phone": _S}
doc.add_schema("DossierDetails", {"type": "object", "required": [
    "full_name", "id_type", "id_number", "birth_date", "gender", "province", "ward", "address", "contact_phone"],
    "properties": DETAILS})
doc.add_schema("EkycCheck", {"type": "object", "properties": {
    "name": {**_S, "description": "photo_front, photo_back, photo_portrait, portrait_face, card_face, face_match, "
                                  "qr, id_number (nhà cung cấp API: card, liveness)."},
    "label": _S, "passed": {"type": "boolean"}, "code": {**_S, "description": "Mã ổn định của kết quả."},
    "reason": {**_S, "description": "Lý do bằng tiếng Việt, để hiển thị cho khách."},
    "score": {"type": ["number", "null"]}, "threshold": {"type": ["number", "null"]}}})
doc.add_schema("Dossier", {"type": "object", "properties": {
    "hold_code": _S, "numbers": {"type": "array", "items": _S}, "sim_type": {"type": "string",
                                                                              "enum": ["physical", "esim"]},
    "status": {"type": "string", "enum": [s.value for s in DossierStatus]}, "status_label": _S,
    "editable": {"type": "boolean"}, "may_verify": {"type": "boolean"},
    "may_call": {"type": "boolean", "description": "eKYC đạt: khách gọi video được (E-1.5)."},
    "last_reason": {**_S, "description": "Lý do eKYC hoặc cuộc gọi gần nhất chưa đạt."},
    "details": doc.ref("DossierDetails"),
    "photos": {"type": "object", "properties": {k.value: {"type": "object", "properties": {
        "taken": {"type": "boolean"}, "at": _TIME}} for k in PhotoKind}},
    "ekyc": {"type": ["object", "null"], "properties": {"at": _TIME, "passed": {"type": "boolean"},
                                                        "checks": {"type": "array", "items": doc.ref("EkycCheck")}}},
    "timeline": {"type": "array", "items": {"type": "object", "properties": {
        "at": _TIME, "step": {**_S, "description": "Mã bước của quy trình: ACT-3…, ESIM-2…, E-3.3."},
        "action": {"type": "string", "enum": [a.value for a in StepAction]}, "label": _S,
        "actor": {"type": "string", "enum": ["customer", "agent", "system"]}, "note": _S}}},
    "created_at": _TIME, "updated_at": _TIME}})

_code = [doc.param("hold_code", "Mã giữ số của phiếu.", _S, where="path", required=True)]
_not_found = doc.error("Không có hồ sơ này trong tài khoản.", "dossier_not_found")
_field_errors = [c for c, status, _m in FIELD_CODES if status == 422]

doc.add_operation("/dossiers", "get", "listDossiers", "Hồ sơ kích hoạt của tôi", tag=TAG,
                  responses={"200": doc.ok("Hồ sơ của khách, mới nhất trước.", {"type": "object", "properties": {
                      "items": {"type": "array", "items": doc.ref("Dossier")}}})})
doc.add_operation(
    "/dossiers", "post", "openDossier", "Kích hoạt (mở hồ sơ)", tag=TAG,
    description="ACT-3, ESIM-2: `{\"hold_code\"}` của phiếu trong tài khoản (SIM vật lý: sau khi nhận SIM; eSIM: "
                "sau khi thanh toán) — hồ sơ lấy thông tin từ đơn hàng. E-1.3, E-3.3: phiếu của kênh bán hàng "
                "(không có đơn ở đây): `{\"hold_code\", \"phone\", \"details\"}`. Gọi lại trả về cùng hồ sơ.",
    body={"type": "object", "required": ["hold_code"], "properties": {
        "hold_code": _S, "phone": {**_S, "description": "Số điện thoại đã dùng khi giữ số (phiếu của kênh)."},
        "details": doc.ref("DossierDetails")}},
    responses={"201": doc.ok("Hồ sơ.", "Dossier"),
               "404": doc.error("Không có phiếu.", "order_not_found", "hold_not_found", "dossier_not_found"),
               "409": doc.error("Chưa kích hoạt được.", "not_ready_for_activation", "id_limit_reached"),
               "422": doc.error("Thông tin sai.", "missing_field", "bad_field_type", *_field_errors)})
doc.add_operation("/dossiers/{hold_code}", "get", "getDossier", "Trạng thái và lịch sử hồ sơ", tag=TAG,
                  parameters=_code, description="Trạng thái, ảnh đã chụp, kết quả eKYC gần nhất (từng kiểm tra với "
                                                "lý do) và lịch sử từng bước (mã bước ACT/ESIM).",
                  responses={"200": doc.ok("Hồ sơ.", "Dossier"), "404": _not_found})
doc.add_operation("/dossiers/{hold_code}/details", "put", "updateDossierDetails", "Sửa thông tin đăng ký", tag=TAG,
                  parameters=_code, body="DossierDetails",
                  description="ACT-4, ESIM-3: kiểm tra như biểu mẫu giữ số. Sửa sau khi đã xác thực: hồ sơ quay về "
                              "bước khai báo, cần xác thực lại.",
                  responses={"200": doc.ok("Hồ sơ.", "Dossier"), "404": _not_found,
                             "409": doc.error("Không sửa được nữa.", "dossier_not_editable"),
                             "422": doc.error("Thông tin sai: error.fields.", "bad_field_type", *_field_errors)})
doc.add_operation(
    "/dossiers/{hold_code}/photos/{kind}", "post", "uploadDossierPhoto", "Tải ảnh giấy tờ / chân dung", tag=TAG,
    parameters=[*_code, doc.param("kind", "id_front, id_back hoặc portrait.",
                                  {"type": "string", "enum": [k.value for k in PhotoKind]}, where="path",
                                  required=True)],
    body_type="multipart/form-data",
    body={"type": "object", "required": ["photo"], "properties": {"photo": {
        "type": "string", "contentMediaType": "application/octet-stream",
        "description": "JPEG, PNG, WebP hoặc HEIC, tối đa 10 MB; xét theo nội dung. Ảnh được xoay đúng chiều, "
                       "mã hóa lại và bỏ mọi siêu dữ liệu (EXIF, GPS)."}}},
    description="ACT-5, ESIM-4: chụp lại thay ảnh cũ (ảnh cũ bị xóa).",
    responses={"201": doc.ok("Đã lưu.", {"type": "object", "properties": {
        "kind": _S, "width": {"type": "integer"}, "height": {"type": "integer"}, "at": _TIME,
        "dossier": doc.ref("Dossier")}}),
        "404": _not_found, "409": doc.error("Không sửa được nữa.", "dossier_not_editable"),
        "413": doc.error("Tệp quá lớn, bị từ chối trước khi đọc.", "too_large"),
        "422": doc.error("Ảnh không hợp lệ.", "image_empty", "image_too_large", "image_type", "image_too_many_pixels",
                         "image_broken", "bad_photo_kind")})
doc.add_operation(
    "/dossiers/{hold_code}/verify", "post", "verifyDossier", "Xác thực thông tin (eKYC)", tag=TAG, parameters=_code,
    description="ACT-6/7, ESIM-5/6, E-3.4: đạt → `ready_for_call` (chờ gọi video); chưa đạt → `ekyc_failed`, "
                "`ekyc.checks` nêu lý do từng kiểm tra. Giới hạn số lần mỗi giờ.",
    responses={"200": doc.ok("Hồ sơ với kết quả eKYC.", "Dossier"), "404": _not_found,
               "409": doc.error("Không xác thực được lúc này.", "not_verifiable", "id_limit_reached", "stale_state"),
               "422": doc.error("Thiếu ảnh.", "photos_missing"),
               "503": doc.error("Dịch vụ eKYC tạm gián đoạn.", "ekyc_unavailable")})
