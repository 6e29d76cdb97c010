"""index for the census roster: inpatient stays by type and admission time

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24 18:55:00
"""
from __future__ import annotations

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_snap_mdtrt_type_begn", "snap_mdtrt", ["snapshot_id", "med_type", "begntime"])


def downgrade() -> None:
    op.drop_index("ix_snap_mdtrt_type_begn", table_name="snap_mdtrt")
