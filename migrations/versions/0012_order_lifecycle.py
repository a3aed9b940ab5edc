"""The order owns its lifecycle: a real state for cash-on-delivery holds, store pickup deadlines, carrier notes

* ``hold_ticket.status = 'reserved'`` replaces the expiry sentinel 31/12/9999 of a cash-on-delivery order's hold.
* Store pickup orders wait at their store as ``waiting_pickup`` (SHIP-6) until ``collect_by``.
* ``customer_order.carrier_attention``: a carrier status that fitted no move, kept for a person.

Revision ID: 0012_order_lifecycle
Revises: 0011_search_index
"""
import sqlalchemy as sa
from alembic import op

revision = "0012_order_lifecycle"
down_revision = "0011_search_index"
branch_labels = None
depends_on = None

SENTINEL = "9999-01-01"


def upgrade():
    # Plain ALTER TABLE, not batch mode: SQLite's table copy would drop the board's count triggers (0009).
    op.add_column("customer_order", sa.Column("carrier_attention", sa.String(length=300), nullable=False,
                                              server_default=""))
    op.add_column("customer_order", sa.Column("collect_by", sa.DateTime(), nullable=True))
    op.execute(f"UPDATE hold_ticket SET status = 'reserved' WHERE status = 'active' AND expires_at >= '{SENTINEL}'")
    deadline = "CURRENT_TIMESTAMP + INTERVAL '7 days'" if op.get_bind().dialect.name == "postgresql" \
        else "datetime('now', '+7 days')"
    op.execute("UPDATE customer_order SET status = 'waiting_pickup', collect_by = " + deadline +
               " WHERE receive_method = 'store' AND status = 'pending'")
    op.execute("UPDATE customer_order SET collect_by = " + deadline +
               " WHERE receive_method = 'store' AND status = 'waiting_pickup' AND collect_by IS NULL")


def downgrade():
    op.execute("UPDATE customer_order SET status = 'pending' WHERE receive_method = 'store' "
               "AND status = 'waiting_pickup'")
    op.execute("UPDATE hold_ticket SET status = 'active', expires_at = '9999-12-31 00:00:00' "
               "WHERE status = 'reserved'")
    op.drop_column("customer_order", "collect_by")
    op.drop_column("customer_order", "carrier_attention")
