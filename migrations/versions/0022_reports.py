"""reports: the indexes the supervisor reports read by (orders, dossiers, calls, offers, review decisions, mSale
submissions, refunds, hold tickets by channel, status history) and the daily per-channel search counter

Revision ID: 0022_reports
Revises: 0021_admin_catalogues
Create Date: 2026-12-03 06:10:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0022_reports'
down_revision = '0021_admin_catalogues'
branch_labels = None
depends_on = None

INDEXES = [
    ("ix_customer_order_created_region", "customer_order", ["created_at", "region_id"]),
    ("ix_customer_order_region_created", "customer_order", ["region_id", "created_at"]),
    ("ix_status_change_object_to_at", "status_change", ["object_type", "object_id", "to_status", "at"]),
    ("ix_status_change_type_at", "status_change", ["object_type", "at"]),
    ("ix_dossier_created_region", "dossier", ["created_at", "region_id"]),
    ("ix_dossier_region_created", "dossier", ["region_id", "created_at"]),
    ("ix_call_requested", "call", ["requested_at"]),
    ("ix_call_offer_offered", "call_offer", ["offered_at"]),
    ("ix_dossier_review_decision_at", "dossier_review_decision", ["at"]),
    ("ix_msale_submissions_created", "msale_submissions", ["created_at"]),
    ("ix_hold_ticket_channel_created", "hold_ticket", ["channel", "created_at"]),
    ("ix_refund_created_region", "refund", ["created_at", "region_id"]),
]


def upgrade():
    for name, table, columns in INDEXES:
        op.create_index(name, table, columns, unique=False)
    op.create_table(
        'search_count',
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('channel', sa.String(length=40), nullable=False),
        sa.Column('n', sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint('day', 'channel', name=op.f('pk_search_count')),
    )


def downgrade():
    op.drop_table('search_count')
    for name, table, _columns in reversed(INDEXES):
        op.drop_index(name, table_name=table)
