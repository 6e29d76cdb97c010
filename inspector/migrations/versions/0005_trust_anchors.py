"""trust anchors: the CA certificates signatures must chain to, configured in the store

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-04 08:40:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "trust_anchor",
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("subject", sa.Text(), nullable=False),
        sa.Column("der", sa.LargeBinary(), nullable=False),
        sa.Column("not_after", sa.String(length=19), nullable=False),
        sa.Column("added_at", sa.String(length=19), nullable=False),
        sa.Column("added_by", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("sha256"),
    )


def downgrade() -> None:
    op.drop_table("trust_anchor")
