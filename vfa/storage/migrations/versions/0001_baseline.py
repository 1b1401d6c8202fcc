"""The index of vfa 0.1 (schema version 1): patients, studies, images, readings, vfa_meta.

An index created by vfa 0.1 (hand-written CREATE TABLE) already has these tables: they are
kept as they are, and only the missing ones are created.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    have = set(sa.inspect(op.get_bind()).get_table_names())
    if "patients" not in have:
        op.create_table(
            "patients",
            sa.Column("patient_id", sa.String(128), primary_key=True),
            sa.Column("patient_name", sa.String(256)),
            sa.Column("birth_date", sa.Date),
            sa.Column("sex", sa.String(16)))
    if "studies" not in have:
        op.create_table(
            "studies",
            sa.Column("study_instance_uid", sa.String(128), primary_key=True),
            sa.Column("patient_id", sa.String(128), nullable=False),
            sa.Column("study_date", sa.Date))
        op.create_index("ix_studies_patient_id", "studies", ["patient_id"])
    if "images" not in have:
        op.create_table(
            "images",
            sa.Column("sop_instance_uid", sa.String(128), primary_key=True),
            sa.Column("study_instance_uid", sa.String(128), nullable=False),
            sa.Column("series_instance_uid", sa.String(128)),
            sa.Column("path", sa.String(4096)),
            sa.Column("modality", sa.String(16)),
            sa.Column("view_position", sa.String(16)))
        op.create_index("ix_images_study_instance_uid", "images", ["study_instance_uid"])
    if "readings" not in have:
        op.create_table(
            "readings",
            sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
            sa.Column("sop_instance_uid", sa.String(128), nullable=False),
            sa.Column("reader", sa.String(128), nullable=False),
            sa.Column("path", sa.String(4096), nullable=False),
            sa.Column("saved_at", sa.DateTime),
            sa.Column("sdi", sa.Integer),
            sa.Column("fractured", sa.Integer),
            sa.Column("not_evaluable", sa.Integer),
            sa.Column("graded", sa.Integer),
            sa.Column("max_grade", sa.Float),
            sa.UniqueConstraint("sop_instance_uid", "reader", name="uq_reading_sop_reader"))
        op.create_index("ix_readings_sop_instance_uid", "readings", ["sop_instance_uid"])
    if "vfa_meta" not in have:
        op.create_table(
            "vfa_meta",
            sa.Column("key", sa.String(64), primary_key=True),
            sa.Column("value", sa.String(256)))


def downgrade() -> None:
    for t in ("vfa_meta", "readings", "images", "studies", "patients"):
        op.drop_table(t)
