"""Reading lists: which reader reads which films, in which (shuffled, recorded) order.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "reading_lists",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(128), nullable=False, unique=True),
        sa.Column("created_at", sa.DateTime),
        sa.Column("blinded", sa.Boolean, nullable=False, server_default=sa.true()),
        sa.Column("seed", sa.BigInteger),
        sa.Column("note", sa.String(1024)))
    op.create_table(
        "reading_list_items",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("list_id", sa.Integer, sa.ForeignKey("reading_lists.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("reader", sa.String(128), nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("sop_instance_uid", sa.String(128), nullable=False),
        sa.Column("label", sa.String(64), nullable=False),
        sa.UniqueConstraint("list_id", "reader", "sop_instance_uid", name="uq_list_reader_sop"),
        sa.UniqueConstraint("list_id", "reader", "position", name="uq_list_reader_position"))
    op.create_index("ix_reading_list_items_reader", "reading_list_items", ["reader"])


def downgrade() -> None:
    op.drop_table("reading_list_items")
    op.drop_table("reading_lists")
