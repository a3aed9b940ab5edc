"""orders: an index on (status, cod_date), so that the cash-on-delivery reconciliation (the COD page and the
shipping report's facts: delivered orders by the day their cash was reported) reads the days it asks for instead
of every delivered order

Revision ID: 0024_cod_date_index
Revises: 0023_report_cells
Create Date: 2026-12-03 08:30:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0024_cod_date_index'
down_revision = '0023_report_cells'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('ix_customer_order_status_cod_date', 'customer_order', ['status', 'cod_date'], unique=False)


def downgrade():
    op.drop_index('ix_customer_order_status_cod_date', table_name='customer_order')
