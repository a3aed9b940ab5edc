"""Prices in 64-bit integers (a ngũ quý can cost more than 2,147,483,647 VND)

``phone_number.price``, ``price_tier.price``, ``hold_ticket.amount`` and ``hold_line.price`` become BIGINT
(order amounts already are). PostgreSQL: ``ALTER COLUMN … TYPE bigint`` (a table rewrite; the index on
price is rebuilt with it). SQLite stores every INTEGER in up to 8 bytes already; only the declared type
changes, through batch mode (a copy of the table; migrations/env.py turns SQLite's foreign key enforcement
off while migrating, since ``hold_ticket`` and ``phone_number`` have children, and checks every reference
afterwards); the expression index SQLAlchemy cannot reflect is built again by hand.

Revision ID: 0012_accounts
Revises: 0011_search_index
"""
import sqlalchemy as sa
from alembic import op

revision = "0012_accounts"
down_revision = "0011_search_index"
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


def downgrade():
    _retype(sa.BigInteger(), sa.Integer())
