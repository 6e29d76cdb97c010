"""reduced JPEG copies of image attachments, made when a photo is captured

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-04 09:00:00

Photos stored before this revision have no reduced copy: the report reduces those as it
renders (inspector/reports/photos.py), so they keep working unchanged.
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "attachment_reduced",
        sa.Column("sha256", sa.String(length=64), sa.ForeignKey("attachment.sha256"), primary_key=True),
        sa.Column("jpeg", sa.LargeBinary(), nullable=False),
        sa.Column("width", sa.Integer(), nullable=False),
        sa.Column("height", sa.Integer(), nullable=False),
        sa.Column("max_side", sa.Integer(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("attachment_reduced")
