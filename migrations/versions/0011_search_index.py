"""Search reads an in-memory bitmap index (portal/numbers/index.py): drop the planner's indexes and keys

The index catches up with the table through ``updated_at`` (new index here). The composite indexes,
the trigram index (pg_trgm GIN / SQLite FTS5 table and triggers) and the columns only they served
(``number_rev``, ``digit_mask``) go: every hold's status update maintained them.

Revision ID: 0011_search_index
Revises: 0010_search_indexes
"""
import sqlalchemy as sa
from alembic import op

revision = "0011_search_index"
down_revision = "0010_search_indexes"
branch_labels = None
depends_on = None

PLANNER_INDEXES = {  # name: columns (to build them again on downgrade)
    "ix_phone_number_status_price": ["status", "price", "number"],
    "ix_phone_number_status_beauty": ["status", "beauty", "number"],
    "ix_phone_number_status_price_beauty": ["status", "price", "beauty", "number"],
    "ix_phone_number_status_class": ["status", "number_class", "price", "number"],
    "ix_phone_number_status_class_beauty": ["status", "number_class", "beauty", "number"],
}


def _sqlite() -> bool:
    return op.get_bind().dialect.name == "sqlite"


def upgrade():
    # Not in batch mode: no table rebuild (ALTER TABLE … DROP COLUMN on both engines, SQLite ≥ 3.35).
    for name in PLANNER_INDEXES:
        op.drop_index(name, table_name="phone_number")
    op.drop_index("ix_phone_number_rev_sort", table_name="phone_number")
    op.drop_index("ix_phone_number_status_mask", table_name="phone_number")
    op.drop_index("ix_phone_number_number_rev", table_name="phone_number")
    if _sqlite():
        op.execute("DROP TRIGGER IF EXISTS phone_number_trgm_insert")
        op.execute("DROP TRIGGER IF EXISTS phone_number_trgm_delete")
        op.execute("DROP TABLE IF EXISTS number_trgm")
    else:
        op.execute("DROP INDEX IF EXISTS ix_phone_number_trgm")
    op.execute("ALTER TABLE phone_number DROP COLUMN number_rev")
    op.execute("ALTER TABLE phone_number DROP COLUMN digit_mask")
    op.create_index("ix_phone_number_updated_at", "phone_number", ["updated_at"])


def downgrade():
    op.drop_index("ix_phone_number_updated_at", table_name="phone_number")
    op.add_column("phone_number", sa.Column("number_rev", sa.String(10), nullable=True))
    op.add_column("phone_number", sa.Column("digit_mask", sa.Integer(), nullable=True))
    conn = op.get_bind()
    rows = conn.execute(sa.text("SELECT id, number FROM phone_number")).all()
    for row_id, number in rows:
        mask = sum(1 << int(d) for d in set(number))
        conn.execute(sa.text("UPDATE phone_number SET number_rev = :r, digit_mask = :m WHERE id = :i"),
                     {"r": number[::-1], "m": mask, "i": row_id})
    op.create_index("ix_phone_number_number_rev", "phone_number", ["number_rev"])
    op.create_index("ix_phone_number_status_mask", "phone_number", ["status", "digit_mask", "price", "number"])
    op.create_index("ix_phone_number_rev_sort", "phone_number", ["number_rev", "status", "price", "beauty", "number"])
    for name, columns in PLANNER_INDEXES.items():
        op.create_index(name, "phone_number", columns)
    if _sqlite():
        op.execute("CREATE VIRTUAL TABLE number_trgm USING fts5(number, tokenize='trigram', content='phone_number', "
                   "content_rowid='id', detail='none')")
        op.execute("INSERT INTO number_trgm(number_trgm) VALUES ('rebuild')")
        op.execute("CREATE TRIGGER phone_number_trgm_insert AFTER INSERT ON phone_number BEGIN "
                   "INSERT INTO number_trgm(rowid, number) VALUES (new.id, new.number); END")
        op.execute("CREATE TRIGGER phone_number_trgm_delete AFTER DELETE ON phone_number BEGIN "
                   "INSERT INTO number_trgm(number_trgm, rowid, number) VALUES ('delete', old.id, old.number); END")
    else:
        op.execute("CREATE INDEX ix_phone_number_trgm ON phone_number USING gin (number gin_trgm_ops)")
