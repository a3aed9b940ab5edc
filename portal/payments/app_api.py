"""Paying from the app (HOLD-12): start a VNPay payment of one's order and see its attempts, under /api/app/v1."""
from __future__ import annotations

from typing import Any

from flask import jsonify, request
from flask_babel import gettext as _
from sqlalchemy import select

from portal.appapi import api_blueprint, customer_api
from portal.appapi import openapi as doc
from portal.core.errors import NotFound
from portal.extensions import db
from portal.orders.models import Order
from portal.payments import services
from portal.payments.models import Payment

bp = api_blueprint("payments_app", __name__)


def _own_order(customer, order_no: str) -> Order:
    order = db.session.scalar(select(Order).where(Order.order_no == order_no))
    if order is None or order.customer_id != customer.id:  # another customer's order looks like none
        raise NotFound("order_not_found", _("Không tìm thấy đơn hàng."))
    return order


def payment_json(payment: Payment) -> dict[str, Any]:
    return {"txn_ref": payment.txn_ref, "amount": payment.amount, "status": payment.status.value,
            "response_code": payment.response_code or None, "created_at": payment.created_at.isoformat() + "Z",
            "expires_at": payment.expires_at.isoformat() + "Z",
            "paid_at": payment.paid_at.isoformat() + "Z" if payment.paid_at else None}


@bp.post("/orders/<order_no>/payments")
@customer_api
def start_payment(customer, order_no: str):
    """Open a payment attempt: the app opens ``pay_url`` in a browser; the IPN settles it."""
    order = _own_order(customer, order_no)
    url = services.start_payment(order, customer, request.remote_addr or "")
    db.session.commit()
    return jsonify(pay_url=url, payment=payment_json(services.last_payment(order))), 201


@bp.get("/orders/<order_no>/payments")
@customer_api
def list_payments(customer, order_no: str):
    order = _own_order(customer, order_no)
    payments = db.session.scalars(select(Payment).where(Payment.order_id == order.id)
                                  .order_by(Payment.created_at.desc(), Payment.id.desc())).all()
    return jsonify(order_status=order.status.value, can_pay=services.can_pay(order),
                   payments=[payment_json(p) for p in payments])


TAG = "Thanh toán"
doc.add_tag(TAG, "Thanh toán trực tuyến qua VNPay (HOLD-12): kết quả do IPN của ngân hàng quyết định.")
doc.add_errors(
    ("order_not_found", 404, "Không có đơn hàng này trong tài khoản của bạn."),
    ("not_online_payment", 409, "Đơn hàng chọn thanh toán khi nhận hàng."),
    ("order_not_awaiting_payment", 409, "Đơn hàng không còn chờ thanh toán (đã thanh toán hoặc đã hủy)."),
    ("hold_expired", 409, "Phiếu giữ số đã hết hạn (hoặc còn dưới 2 phút): không thể thanh toán."),
    ("payment_unavailable", 503, "Cổng thanh toán chưa được cấu hình; thử lại sau."),
)
doc.add_schema("Payment", {"type": "object", "required": ["txn_ref", "amount", "status"], "properties": {
    "txn_ref": {"type": "string", "description": "vnp_TxnRef của lần thanh toán."},
    "amount": {"type": "integer", "description": "VND."},
    "status": {"type": "string", "enum": ["pending", "paid", "failed", "cancelled", "expired"]},
    "response_code": {"type": ["string", "null"], "description": "vnp_ResponseCode của IPN (24 hủy, 51 không đủ "
                                                                "số dư, 11 hết thời gian…)."},
    "created_at": {"type": "string", "format": "date-time"},
    "expires_at": {"type": "string", "format": "date-time"},
    "paid_at": {"type": ["string", "null"], "format": "date-time"}}})
ORDER_NO = doc.param("order_no", "Mã đơn hàng.", {"type": "string"}, where="path", required=True)
doc.add_operation(
    "/orders/{order_no}/payments", "post", "startPayment", "Thanh toán qua VNPay", tag=TAG, parameters=[ORDER_NO],
    description="Mở một lần thanh toán và trả về `pay_url` của VNPay. Sau khi thanh toán thất bại có thể gọi lại "
                "cho tới khi phiếu giữ số hết hạn.",
    responses={"201": doc.ok("Đã tạo.", {"type": "object", "required": ["pay_url", "payment"], "properties": {
        "pay_url": {"type": "string", "format": "uri"}, "payment": doc.ref("Payment")}}),
        "404": doc.error("Không có đơn.", "order_not_found"),
        "409": doc.error("Không thể thanh toán.", "order_not_awaiting_payment", "hold_expired",
                         "not_online_payment"),
        "503": doc.error("Cổng thanh toán không khả dụng.", "payment_unavailable")})
doc.add_operation(
    "/orders/{order_no}/payments", "get", "listPayments", "Các lần thanh toán", tag=TAG, parameters=[ORDER_NO],
    description="Trạng thái đơn và các lần thanh toán, mới nhất trước.",
    responses={"200": doc.ok("Danh sách.", {"type": "object", "properties": {
        "order_status": {"type": "string"}, "can_pay": {"type": "boolean"},
        "payments": {"type": "array", "items": doc.ref("Payment")}}}),
        "404": doc.error("Không có đơn.", "order_not_found")})
