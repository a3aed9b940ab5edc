"""OpenAPI description of the video call's app endpoints (portal.calls.api)."""
from __future__ import annotations

from portal.appapi import openapi as doc
from portal.calls.models import CallStatus

TAG = "Gọi video"
doc.add_tag(TAG, "Gọi video xác minh (E-1.5, ESIM-7): yêu cầu cuộc gọi, vị trí trong hàng chờ, gác máy. Phần trực "
                 "tiếp (hàng chờ, nhân viên nhận, tín hiệu WebRTC) qua Socket.IO namespace /call với "
                 "auth={\"token\": \"csa_…\"} (docs/calls.md).")
doc.add_errors(
    ("not_ready_for_call", 409, "Hồ sơ chưa đạt eKYC (hoặc đã xác minh xong): chưa gọi video được."),
    ("outside_hours", 409, "Ngoài giờ làm việc của tổng đài video; message nêu giờ làm việc."),
    ("call_not_found", 404, "Không có cuộc gọi này trong tài khoản."),
)
doc.add_schema("Call", {"type": "object", "properties": {
    "call_id": {"type": "integer"}, "status": {"type": "string", "enum": [s.value for s in CallStatus]},
    "position": {"type": "integer", "description": "Vị trí trong hàng chờ (1 = kế tiếp; 0 = không chờ)."},
    "eta_seconds": {"type": "integer", "description": "Thời gian chờ ước tính (giây)."},
    "passed": {"type": ["boolean", "null"], "description": "Khi cuộc gọi đã kết thúc: đạt / chưa đạt."},
    "reason": {"type": "string", "description": "Lý do chưa đạt (khi đã kết thúc)."}}})

_S = {"type": "string"}
_call_id = [doc.param("call_id", "Mã cuộc gọi.", {"type": "integer"}, where="path", required=True)]
_not_found = doc.error("Không có cuộc gọi này.", "call_not_found")
doc.add_operation(
    "/dossiers/{hold_code}/calls", "post", "requestCall", "Gọi video", tag=TAG,
    parameters=[doc.param("hold_code", "Mã giữ số của phiếu.", _S, where="path", required=True)],
    description="E-1.5: sau khi eKYC đạt. Gọi lại khi đang có cuộc gọi trả về cùng cuộc gọi (hai thiết bị: một "
                "cuộc gọi).",
    responses={"201": doc.ok("Cuộc gọi.", "Call"),
               "404": doc.error("Không có hồ sơ.", "dossier_not_found"),
               "409": doc.error("Chưa gọi được.", "not_ready_for_call", "outside_hours")})
doc.add_operation("/calls/{call_id}", "get", "getCall", "Trạng thái cuộc gọi", tag=TAG, parameters=_call_id,
                  responses={"200": doc.ok("Cuộc gọi.", "Call"), "404": _not_found})
doc.add_operation("/calls/{call_id}", "delete", "cancelCall", "Gác máy", tag=TAG, parameters=_call_id,
                  description="Đang chờ: hủy cuộc gọi. Đang gọi: coi như mất kết nối (nối lại được trong thời gian "
                              "ngắn).",
                  responses={"200": doc.ok("Cuộc gọi.", "Call"), "404": _not_found})
