"""Search indexes: per-price beauty walks, status+number, ends-with sorted, mask covering number, pairs by kind

Revision ID: 0010_search_indexes
Revises: 0009_shipping
"""
from alembic import op

revision = "0010_search_indexes"
down_revision = '0009_shipping'
branch_labels = None
depends_on = None


def upgrade():
    # Not in batch mode: no table rebuild, which would drop the trigram triggers on SQLite.
    # portal/numbers/planner.py walks one price at a time in beauty order (a price filter sorted by beauty).
    op.create_index("ix_phone_number_status_price_beauty", "phone_number", ["status", "price", "beauty", "number"])
    # "Avoid digits" is counted through an IN list of allowed masks; with the number in the index, a LIKE
    # beside it ("contains 68, avoid 7") is checked without reading the table.
    op.drop_index("ix_phone_number_status_mask", table_name="phone_number")
    op.create_index("ix_phone_number_status_mask", "phone_number", ["status", "digit_mask", "price", "number"])
    # Known leading digits counted (and walked by number) without reading the table.
    op.create_index("ix_phone_number_status_number", "phone_number", ["status", "number"])
    # "Ends with" sorted: the matches' sort keys come from the index, not the table.
    op.create_index("ix_phone_number_rev_sort", "phone_number", ["number_rev", "status", "price", "beauty", "number"])
    # Pairs of one kind in a stable order (and their capped count) without reading the other kind.
    op.create_index("ix_number_pair_kind", "number_pair", ["kind", "id"])


def downgrade():
    op.drop_index("ix_number_pair_kind", table_name="number_pair")
    op.drop_index("ix_phone_number_status_number", table_name="phone_number")
    op.drop_index("ix_phone_number_rev_sort", table_name="phone_number")
    op.drop_index("ix_phone_number_status_mask", table_name="phone_number")
    op.create_index("ix_phone_number_status_mask", "phone_number", ["status", "digit_mask", "price"])
    op.drop_index("ix_phone_number_status_price_beauty", table_name="phone_number")
