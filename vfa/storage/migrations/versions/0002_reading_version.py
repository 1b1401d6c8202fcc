"""Optimistic concurrency: every readings row carries a version, raised by each save.

A save names the version it started from; a save on a stale version is refused
(vfa.storage.index.StaleReadingError). Existing rows start at version 1. The schema version in
vfa_meta becomes 2, so that vfa 0.1 (which would save without the check) refuses the index.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("readings") as b:
        b.add_column(sa.Column("version", sa.Integer, nullable=False, server_default="1"))


def downgrade() -> None:
    with op.batch_alter_table("readings") as b:
        b.drop_column("version")
