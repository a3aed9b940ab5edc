"""refunds: money to give back for a paid VNPay attempt (one per payment), sent through VNPay's refund API

Revision ID: 0013_refunds
Revises: 0012_order_lifecycle
"""
import sqlalchemy as sa
from alembic import op

revision = "0013_refunds"
down_revision = "0012_order_lifecycle"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "refund",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("payment_id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("region_id", sa.Integer(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("reason", sa.Enum("order_cancelled", "late_payment", "paid_twice", name="refundreason",
                                    native_enum=False, length=20), nullable=False),
        sa.Column("detail", sa.String(length=300), nullable=False),
        sa.Column("status", sa.Enum("due", "sending", "done", "failed", "closed", name="refundstatus",
                                    native_enum=False, length=20), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("created_by", sa.String(length=80), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.String(length=32), nullable=False),
        sa.Column("requested_by_id", sa.Integer(), nullable=True),
        sa.Column("requested_by", sa.String(length=80), nullable=False),
        sa.Column("requested_at", sa.DateTime(), nullable=True),
        sa.Column("bank_call_at", sa.DateTime(), nullable=True),
        sa.Column("response_code", sa.String(length=4), nullable=False),
        sa.Column("bank_message", sa.String(length=255), nullable=False),
        sa.Column("transaction_no", sa.String(length=40), nullable=False),
        sa.Column("finished_at", sa.DateTime(), nullable=True),
        sa.Column("close_note", sa.String(length=300), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["payment_id"], ["payment.id"], name=op.f("fk_refund_payment_id_payment")),
        sa.ForeignKeyConstraint(["order_id"], ["customer_order.id"], name=op.f("fk_refund_order_id_customer_order")),
        sa.ForeignKeyConstraint(["region_id"], ["region.id"], name=op.f("fk_refund_region_id_region")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_refund")),
        sa.UniqueConstraint("payment_id", name=op.f("uq_refund_payment_id")),
    )
    with op.batch_alter_table("refund", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_refund_order_id"), ["order_id"], unique=False)
        batch_op.create_index("ix_refund_region_status", ["region_id", "status"], unique=False)
        batch_op.create_index("ix_refund_status_created", ["status", "created_at"], unique=False)


def downgrade():
    with op.batch_alter_table("refund", schema=None) as batch_op:
        batch_op.drop_index("ix_refund_status_created")
        batch_op.drop_index("ix_refund_region_status")
        batch_op.drop_index(batch_op.f("ix_refund_order_id"))
    op.drop_table("refund")
