"""Prices in 64-bit integers (a ngũ quý can cost more than 2,147,483,647 VND); messages sent once; web imports

``sent_message``: one row per message that must leave exactly once (portal.core.outbox).
``number_import``: a web CSV import run by a job, its file until it ends, and its progress (portal.numbers.imports).

``phone_number.price``, ``price_tier.price``, ``hold_ticket.amount`` and ``hold_line.price`` become BIGINT
(order amounts already are). PostgreSQL: ``ALTER COLUMN … TYPE bigint`` (a table rewrite; the index on
price is rebuilt with it). SQLite stores every INTEGER in up to 8 bytes already; only the declared type
changes, through batch mode (a copy of the table; migrations/env.py turns SQLite's foreign key enforcement
off while migrating, since ``hold_ticket`` and ``phone_number`` have children, and checks every reference
afterwards); the expression index SQLAlchemy cannot reflect is built again by hand.

Revision ID: 0014_accounts
Revises: 0013_refunds
"""
import sqlalchemy as sa
from alembic import op

revision = "0014_accounts"
down_revision = "0013_refunds"
branch_labels = None
depends_on = None

PRICE_COLUMNS = {"phone_number": "price", "price_tier": "price", "hold_ticket": "amount", "hold_line": "price"}


def _sqlite() -> bool:
    return op.get_bind().dialect.name == "sqlite"


def _retype(old: sa.types.TypeEngine, new: sa.types.TypeEngine) -> None:
    sqlite = _sqlite()
    if sqlite:
        op.drop_index("ix_phone_number_tail7", table_name="phone_number")
    for table, column in PRICE_COLUMNS.items():
        with op.batch_alter_table(table) as batch:
            batch.alter_column(column, existing_type=old, type_=new, existing_nullable=False)
    if sqlite:
        op.execute("CREATE INDEX ix_phone_number_tail7 ON phone_number (substr(number, 4))")


def upgrade():
    _retype(sa.Integer(), sa.BigInteger())
    op.create_table(
        "sent_message",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=120), nullable=False),
        sa.Column("channel", sa.String(length=10), nullable=False),
        sa.Column("recipient", sa.String(length=254), nullable=False),
        sa.Column("subject", sa.String(length=300), nullable=False),
        sa.Column("status", sa.Enum("sending", "sent", "failed", name="sentmessagestatus", native_enum=False,
                                    length=10), nullable=False),
        sa.Column("provider_id", sa.String(length=200), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("error", sa.String(length=300), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("sent_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sent_message")),
        sa.UniqueConstraint("key", name=op.f("uq_sent_message_key")),
    )
    op.create_table(
        "number_import",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("status", sa.Enum("queued", "running", "done", "failed", name="importstatus", native_enum=False,
                                    length=20), nullable=False),
        sa.Column("filename", sa.String(length=120), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("done", sa.Integer(), nullable=False),
        sa.Column("added", sa.Integer(), nullable=False),
        sa.Column("skipped", sa.Integer(), nullable=False),
        sa.Column("error_count", sa.Integer(), nullable=False),
        sa.Column("errors", sa.JSON(), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=True),
        sa.Column("message", sa.String(length=300), nullable=True),
        sa.Column("created_by", sa.Integer(), nullable=False),
        sa.Column("created_by_name", sa.String(length=80), nullable=False),
        sa.Column("region_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("started_at", sa.DateTime(), nullable=True),
        sa.Column("finished_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["created_by"], ["staff.id"], name=op.f("fk_number_import_created_by_staff")),
        sa.ForeignKeyConstraint(["region_id"], ["region.id"], name=op.f("fk_number_import_region_id_region")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_number_import")),
    )


def downgrade():
    op.drop_table("number_import")
    op.drop_table("sent_message")
    _retype(sa.BigInteger(), sa.Integer())
