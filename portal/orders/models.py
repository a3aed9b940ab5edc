"""Orders: one per hold ticket (HOLD-2..14), moved along the shipping board's tabs (SHIP-1..23).

The customer's subscriber details live here as entered on the hold form; the full ID number is
personal data: never log it (``portal.core.privacy`` masks it) and show it only to staff of the
order's region.
"""
from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from flask_babel import lazy_gettext as _l
from sqlalchemy import BigInteger, Boolean, Date, DateTime, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.core.models import status_enum
from portal.core.time import utcnow
from portal.extensions import Model
from portal.holds.models import HoldTicket, SimType
from portal.org.identity import Gender, IdType
from portal.org.models import Region, Store


class OrderStatus(StrEnum):
    AWAITING_PAYMENT = "awaiting_payment"  # online payment chosen, no IPN yet (HOLD-12); not on the board
    PENDING = "pending"  # [Chờ xử lý] SHIP-2
    WAITING_PICKUP = "waiting_pickup"  # [Chờ lấy hàng] SHIP-8.1 (carrier) / at the store, waiting for the customer
    DELIVERING = "delivering"  # [Đang giao hàng] SHIP-14
    DELIVERED = "delivered"  # [Đã giao] SHIP-23; store hand-over (SHIP-7); eSIM sent by e-mail
    CANCELLED = "cancelled"  # [Đã hủy] SHIP-11, SHIP-18; unpaid hold expired

    @property
    def label(self) -> str:
        return str(ORDER_STATUS_LABELS[self])


ORDER_STATUS_LABELS = {
    OrderStatus.AWAITING_PAYMENT: _l("Chờ thanh toán"),
    OrderStatus.PENDING: _l("Chờ xử lý"),
    OrderStatus.WAITING_PICKUP: _l("Chờ lấy hàng"),
    OrderStatus.DELIVERING: _l("Đang giao hàng"),
    OrderStatus.DELIVERED: _l("Đã giao"),
    OrderStatus.CANCELLED: _l("Đã hủy"),
}

# The shipping board's tabs, in SPEC order.
BOARD_TABS = (OrderStatus.PENDING, OrderStatus.WAITING_PICKUP, OrderStatus.DELIVERING,
              OrderStatus.DELIVERED, OrderStatus.CANCELLED)

# The one transition table of the orders domain. Only portal.orders.lifecycle moves an order; it names each
# move (paid, sent to the store, confirmed for pickup, handed over, delivering, delivered, refused, cancelled,
# expired, not collected) and says who may make it.
ORDER_TRANSITIONS = {
    # paid online: a delivery or eSIM order to the board (PENDING), a store order straight to its store (SHIP-6)
    OrderStatus.AWAITING_PAYMENT: {OrderStatus.PENDING, OrderStatus.WAITING_PICKUP, OrderStatus.CANCELLED},
    # confirmed for pickup (SHIP-8), an eSIM e-mailed, cancelled (SHIP-3)
    OrderStatus.PENDING: {OrderStatus.WAITING_PICKUP, OrderStatus.DELIVERED, OrderStatus.CANCELLED},
    # handed to the courier (SHIP-13), collected at the store (SHIP-7), cancelled (SHIP-10) or not collected
    OrderStatus.WAITING_PICKUP: {OrderStatus.DELIVERING, OrderStatus.DELIVERED, OrderStatus.CANCELLED},
    # delivered (SHIP-22) or refused at the door and returned (SHIP-16..18)
    OrderStatus.DELIVERING: {OrderStatus.DELIVERED, OrderStatus.CANCELLED},
}
# SHIP-3, SHIP-10: the customer may cancel until the parcel has left (the carrier's order is cancelled with it).
CUSTOMER_MAY_CANCEL = frozenset({OrderStatus.AWAITING_PAYMENT, OrderStatus.PENDING, OrderStatus.WAITING_PICKUP})
# Staff cancel what is on the board and has not left (an unpaid order is the customer's, or expires).
STAFF_MAY_CANCEL = frozenset({OrderStatus.PENDING, OrderStatus.WAITING_PICKUP})


class ReceiveMethod(StrEnum):
    DELIVERY = "delivery"  # home delivery by a carrier (HOLD-10)
    STORE = "store"  # pickup at a store (HOLD-9)
    EMAIL = "email"  # eSIM: hold code and instructions by e-mail (HOLD-6)

    @property
    def label(self) -> str:
        return str({ReceiveMethod.DELIVERY: _l("Giao tận nhà"), ReceiveMethod.STORE: _l("Nhận tại cửa hàng"),
                    ReceiveMethod.EMAIL: _l("Nhận qua e-mail")}[self])


class PaymentMethod(StrEnum):
    ONLINE = "online"
    COD = "cod"  # cash on delivery / at the store

    @property
    def label(self) -> str:
        return str({PaymentMethod.ONLINE: _l("Thanh toán trực tuyến"),
                    PaymentMethod.COD: _l("Thanh toán khi nhận hàng")}[self])


class Order(Model):
    __tablename__ = "customer_order"  # "order" is an SQL keyword
    audit_as = "order"  # audit actions read "order.<status>"
    __table_args__ = (
        Index("ix_customer_order_status_created", "status", "created_at"),
        Index("ix_customer_order_region_status_created", "region_id", "status", "created_at"),
        Index("ix_customer_order_store_status", "store_id", "status"),
        # The shipping board's counts per tab (eSIM orders are not on the board): index-only (migration 0009_shipping).
        Index("ix_customer_order_status_receive", "status", "receive_method"),
        Index("ix_customer_order_region_status_receive", "region_id", "status", "receive_method"),
        Index("ix_customer_order_contact_phone", "contact_phone"),  # board search by phone
        Index("ix_customer_order_recipient_phone", "recipient_phone"),
        # Reports over a date range, all regions or one (migration 0022_reports).
        Index("ix_customer_order_created_region", "created_at", "region_id"),
        Index("ix_customer_order_region_created", "region_id", "created_at"),
        # Cash on delivery per day the cash was reported: the COD page and the shipping report (0024_cod_date_index).
        Index("ix_customer_order_status_cod_date", "status", "cod_date"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    order_no: Mapped[str] = mapped_column(String(20), unique=True)  # what the customer quotes
    ticket_id: Mapped[int] = mapped_column(ForeignKey("hold_ticket.id"), unique=True)  # one order per ticket
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customer.id"), index=True)
    channel: Mapped[str] = mapped_column(String(40))  # as on the ticket: "web", "app", "partner:<id>"
    status: Mapped[OrderStatus] = mapped_column(status_enum(OrderStatus), default=OrderStatus.AWAITING_PAYMENT)
    region_id: Mapped[int] = mapped_column(ForeignKey("region.id"))  # routed by the customer's province
    sim_type: Mapped[SimType] = mapped_column(status_enum(SimType, length=10))
    receive_method: Mapped[ReceiveMethod] = mapped_column(status_enum(ReceiveMethod, length=10))
    payment_method: Mapped[PaymentMethod] = mapped_column(status_enum(PaymentMethod, length=10))
    store_id: Mapped[int | None] = mapped_column(ForeignKey("store.id"))  # pickup store

    # Subscriber registration form (HOLD-2).
    full_name: Mapped[str] = mapped_column(String(120))
    id_type: Mapped[IdType] = mapped_column(status_enum(IdType, length=10))
    id_number: Mapped[str] = mapped_column(String(12))
    birth_date: Mapped[date] = mapped_column(Date)
    gender: Mapped[Gender] = mapped_column(status_enum(Gender, length=10))
    address: Mapped[str] = mapped_column(String(300))  # house number, street
    ward: Mapped[str] = mapped_column(String(120))
    district: Mapped[str] = mapped_column(String(120), default="")
    province: Mapped[str] = mapped_column(String(80))
    email: Mapped[str] = mapped_column(String(254), default="")
    contact_phone: Mapped[str] = mapped_column(String(10))

    # Delivery form (HOLD-10), home delivery only.
    recipient_name: Mapped[str] = mapped_column(String(120), default="")
    recipient_phone: Mapped[str] = mapped_column(String(10), default="")
    delivery_address: Mapped[str] = mapped_column(String(300), default="")
    delivery_ward: Mapped[str] = mapped_column(String(120), default="")
    delivery_district: Mapped[str] = mapped_column(String(120), default="")
    delivery_province: Mapped[str] = mapped_column(String(80), default="")

    # Amounts in VND: number price + SIM fee + delivery fee = total.
    number_price: Mapped[int] = mapped_column(BigInteger, default=0)
    sim_fee: Mapped[int] = mapped_column(BigInteger, default=0)
    delivery_fee: Mapped[int] = mapped_column(BigInteger, default=0)
    total: Mapped[int] = mapped_column(BigInteger, default=0)
    # The package offer attached before payment, as it was then (promotions change; the order does not).
    offer_code: Mapped[str] = mapped_column(String(40), default="")
    offer_summary: Mapped[str] = mapped_column(String(300), default="")

    paid_at: Mapped[datetime | None] = mapped_column(DateTime)
    cash_collected: Mapped[int | None] = mapped_column(BigInteger)  # reported by the carrier or the store

    # Shipping (SHIP-8..23).
    pickup_address: Mapped[str] = mapped_column(String(300), default="")
    pickup_at: Mapped[datetime | None] = mapped_column(DateTime)
    carrier: Mapped[str] = mapped_column(String(20), default="")
    carrier_order_code: Mapped[str | None] = mapped_column(String(40), unique=True)
    sim_serial: Mapped[str | None] = mapped_column(String(20), unique=True)  # ICCID of the blank SIM
    cancel_reason: Mapped[str] = mapped_column(String(300), default="")
    # Added by the shipping domain (migration 0009_shipping).
    carrier_status: Mapped[str] = mapped_column(String(30), default="")  # the carrier's last status, e.g. "picked"
    carrier_status_at: Mapped[datetime | None] = mapped_column(DateTime)
    handed_over_at: Mapped[datetime | None] = mapped_column(DateTime)  # to the courier (SHIP-13) or the customer
    cod_date: Mapped[date | None] = mapped_column(Date)  # Vietnam-local day the cash was reported (COD report)
    cash_mismatch: Mapped[bool] = mapped_column(Boolean, default=False)  # reported cash ≠ expected: flagged
    # A carrier status that fits no move from where the order is (a "delivered" before the hand-over, a loss):
    # recorded for a person, never turned into a move (migration 0012_order_lifecycle).
    carrier_attention: Mapped[str] = mapped_column(String(300), default="")
    # Store pickup: the order waits at the store until then; after it a clerk may record that nobody came.
    collect_by: Mapped[datetime | None] = mapped_column(DateTime)

    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)
    delivered_at: Mapped[datetime | None] = mapped_column(DateTime)
    cancelled_at: Mapped[datetime | None] = mapped_column(DateTime)

    ticket: Mapped[HoldTicket] = relationship()
    region: Mapped[Region] = relationship()
    store: Mapped[Store | None] = relationship()

    @property
    def status_label(self) -> str:
        return self.label_of(self.status)

    def label_of(self, status: OrderStatus) -> str:
        """A status as the customer reads it: a store order "waiting for pickup" waits for them at the store."""
        if self.at_store and status == OrderStatus.WAITING_PICKUP:
            return str(_l("Chờ nhận tại cửa hàng"))
        return status.label

    # --- the rules, in one place: services, views and templates all ask these ---------------------------------

    @property
    def by_delivery(self) -> bool:
        return self.receive_method == ReceiveMethod.DELIVERY

    @property
    def at_store(self) -> bool:
        return self.receive_method == ReceiveMethod.STORE

    @property
    def by_email(self) -> bool:
        return self.receive_method == ReceiveMethod.EMAIL

    @property
    def on_board(self) -> bool:
        """The shipping board shows physical SIMs (delivered or collected); an eSIM goes by e-mail."""
        return not self.by_email

    @property
    def is_cancelled(self) -> bool:
        return self.status == OrderStatus.CANCELLED

    @property
    def awaits_payment(self) -> bool:
        """Online payment chosen and no IPN yet (HOLD-12): the ticket page offers the bank."""
        return self.status == OrderStatus.AWAITING_PAYMENT

    @property
    def customer_may_cancel(self) -> bool:
        """SHIP-3, SHIP-10: before the parcel leaves (or the SIM is collected)."""
        return self.status in CUSTOMER_MAY_CANCEL

    @property
    def staff_may_cancel(self) -> bool:
        return self.status in STAFF_MAY_CANCEL

    @property
    def awaits_confirmation(self) -> bool:
        """SHIP-8: a home delivery waiting for staff to set the pickup address and time."""
        return self.by_delivery and self.status == OrderStatus.PENDING

    @property
    def awaits_hand_over(self) -> bool:
        """SHIP-12..13: confirmed, to be packed with a blank SIM and handed to the courier."""
        return self.by_delivery and self.status == OrderStatus.WAITING_PICKUP

    @property
    def needs_serial(self) -> bool:
        """The blank SIM's serial is still to be recorded: at the hand-over, or late when the courier's pick-up
        (or the delivery) was reported before staff recorded it."""
        return self.by_delivery and self.sim_serial is None and self.status in (
            OrderStatus.WAITING_PICKUP, OrderStatus.DELIVERING, OrderStatus.DELIVERED)

    @property
    def has_packing_slip(self) -> bool:
        """E-2.3: the slip goes in the parcel, from packing (confirmed) on."""
        return self.by_delivery and self.status in (OrderStatus.WAITING_PICKUP, OrderStatus.DELIVERING,
                                                    OrderStatus.DELIVERED)

    @property
    def awaits_collection(self) -> bool:
        """SHIP-6: at the chosen store, waiting for the customer."""
        return self.at_store and self.status == OrderStatus.WAITING_PICKUP

    @property
    def clerk_may_hand_over(self) -> bool:
        """SHIP-7: the clerk checks the ID and hands over the SIM."""
        return self.awaits_collection

    @property
    def clerk_may_record_no_show(self) -> bool:
        """The customer did not come by the deadline: the clerk may cancel and free the number."""
        return self.awaits_collection and self.collect_by is not None and self.collect_by <= utcnow()

    @property
    def handed_to_customer_at_store(self) -> bool:
        return self.at_store and self.status == OrderStatus.DELIVERED

    @property
    def is_paid(self) -> bool:
        return self.paid_at is not None

    @property
    def refund_due(self) -> bool:
        """Cancelling this order means paying back money received online."""
        return self.paid_at is not None and self.payment_method == PaymentMethod.ONLINE

    @property
    def cash_expected(self) -> int:
        """What the courier or the store must collect: the total, unless paid online already (SHIP-19, 20)."""
        return self.total if self.payment_method == PaymentMethod.COD else 0

    def status_data(self) -> dict:
        """What live screens need of a move (portal.core.events): published with every status change."""
        return {"order_no": self.order_no, "region_id": self.region_id, "store_id": self.store_id,
                "receive_method": self.receive_method.value, "on_board": self.on_board,
                "customer_id": self.customer_id}
