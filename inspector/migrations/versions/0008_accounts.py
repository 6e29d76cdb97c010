"""accounts: who may act on this store (login, role, certificate number, Argon2id hash, key)

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-04 08:30:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "account",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("login", sa.Text(), nullable=False, unique=True),
        sa.Column("display_name", sa.Text(), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("cert_no", sa.Text(), nullable=False),
        sa.Column("password_hash", sa.Text(), nullable=False),
        sa.Column("failed_attempts", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("last_failed_at", sa.Float(), nullable=True),
        sa.Column("created_at", sa.String(26), nullable=False),
        sa.Column("created_by", sa.Integer(), sa.ForeignKey("account.id"), nullable=True),
        sa.Column("key_blob", sa.LargeBinary(), nullable=True),
        sa.Column("key_kdf", sa.Text(), nullable=True),
        sa.Column("cert_pem", sa.Text(), nullable=True),
        sa.CheckConstraint("role IN ('inspector', 'lead', 'deputy')", name="ck_account_role"),
    )


def downgrade() -> None:
    op.drop_table("account")
