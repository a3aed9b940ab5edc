"""report cells: the supervisor reports' figures pre-aggregated per Vietnam day and filter combination (report_cell:
one JSON object of figures per report, combination and day or whole month, clustered on that key), and the days built (report_day);
portal/reports/cells.py

Revision ID: 0023_report_cells
Revises: 0022_reports
Create Date: 2026-12-03 08:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0023_report_cells'
down_revision = '0022_reports'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'report_cell',
        sa.Column('report', sa.String(length=32), nullable=False),
        sa.Column('region_id', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('channel', sa.String(length=16), nullable=False),
        sa.Column('sim_type', sa.String(length=16), nullable=False),
        sa.Column('grain', sa.String(length=1), nullable=False),
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('figures', sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint('report', 'region_id', 'channel', 'sim_type', 'grain', 'day',
                                name=op.f('pk_report_cell')),
        sqlite_with_rowid=False,
    )
    op.create_table(
        'report_day',
        sa.Column('report', sa.String(length=32), nullable=False),
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('built_at', sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint('report', 'day', name=op.f('pk_report_day')),
    )


def downgrade():
    op.drop_table('report_day')
    op.drop_table('report_cell')
