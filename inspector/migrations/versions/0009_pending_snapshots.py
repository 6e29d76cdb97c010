"""pending snapshots: snapshot.inspection_id may be NULL while a sync is still copying its rows

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04 16:00:00

A sync copies its staged rows into the snapshot tables in many short transactions, under a
snapshot row that belongs to no inspection yet (inspection_id NULL, source_kind 'pending'):
every reader selects snapshots by inspection, so the partial rows stay invisible until one
tiny final transaction gives the row its inspection and version (inspector/snapshot.py).
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # The table is rebuilt (SQLite cannot drop a NOT NULL in place); the store opener turns
    # foreign-key enforcement off around migrations and checks every reference before commit.
    with op.batch_alter_table("snapshot", schema=None) as batch_op:
        batch_op.alter_column("inspection_id", existing_type=sa.Integer(), nullable=True)


def downgrade() -> None:
    conn = op.get_bind()
    tables = [r[0] for r in conn.exec_driver_sql(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'snap\\_%' ESCAPE '\\'")]
    for table in tables:
        op.execute(f"DELETE FROM {table} WHERE snapshot_id IN (SELECT id FROM snapshot WHERE inspection_id IS NULL)")
    op.execute("DELETE FROM snapshot WHERE inspection_id IS NULL")
    with op.batch_alter_table("snapshot", schema=None) as batch_op:
        batch_op.alter_column("inspection_id", existing_type=sa.Integer(), nullable=False)
