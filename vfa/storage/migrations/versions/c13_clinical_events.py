"""Clinical context of patients (issue 13, docs/study-outcomes.md): one row per fact.

The same columns as ``vfa.storage.index.clinical_events``. An added table only: an older vfa ignores
it, so the schema version in vfa_meta does not change.

NOTE for merging: ``down_revision`` must be the head of the migration chain at merge time
(written against issue 12's 0003).

Revision ID: c13_clinical_events
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "c13_clinical_events"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "clinical_events",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("patient_id", sa.String(128), nullable=False),
        sa.Column("date", sa.Date),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("value", sa.String(512), nullable=False),
        sa.Column("detail", sa.String(512)),
        sa.Column("entered_at", sa.DateTime))
    op.create_index("ix_clinical_events_patient_id", "clinical_events", ["patient_id"])


def downgrade() -> None:
    op.drop_index("ix_clinical_events_patient_id", table_name="clinical_events")
    op.drop_table("clinical_events")
