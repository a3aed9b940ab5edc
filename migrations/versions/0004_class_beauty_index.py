"""An index for a class filter sorted by beauty (bench: class=thuong sort=beauty walked the whole beauty index)

Revision ID: 0004_class_beauty_index
Revises: 0003_partners
"""
from alembic import op

revision = "0004_class_beauty_index"
down_revision = "0003_partners"
branch_labels = None
depends_on = None


def upgrade():
    # Not in batch mode: no table rebuild, which would drop the trigram triggers on SQLite.
    op.create_index("ix_phone_number_status_class_beauty", "phone_number", ["status", "number_class", "beauty", "number"])


def downgrade():
    op.drop_index("ix_phone_number_status_class_beauty", table_name="phone_number")
