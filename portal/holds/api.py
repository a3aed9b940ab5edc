"""What holding numbers can refuse with, for the documents of the partner API and the app API."""
from __future__ import annotations

from portal.core.openapi import BAD_IDEMPOTENCY_KEY, ErrorCode

# The stable codes of holds.services.hold_numbers (and of the Idempotency-Key header it is given).
HOLD_ERRORS: tuple[ErrorCode, ...] = (
    ("number_not_found", 404, "Số không có trong kho số."),
    ("number_not_available", 409, "Số đã có người giữ, đã bán hoặc đang khóa."),
    ("bad_numbers", 422, "Mỗi phiếu giữ một số hoặc một cặp hai số khác nhau."),
    ("bad_number", 422, "Số thuê bao không hợp lệ (10 chữ số, đầu số của nhà mạng)."),
    ("not_a_pair", 422, "Hai số không phải là một cặp số (sim đôi)."),
    ("bad_customer_phone", 422, "Số điện thoại liên hệ của khách không hợp lệ."),
    ("bad_sim_type", 422, "sim_type phải là physical hoặc esim."),
    BAD_IDEMPOTENCY_KEY,
    ("idempotency_key_reused", 422, "Idempotency-Key này đã dùng cho một yêu cầu có nội dung khác."),
)
