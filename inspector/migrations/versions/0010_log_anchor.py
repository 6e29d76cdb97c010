"""log anchors: chain heads signed by an account (inspector/anchors.py)

Each row is one signed statement "these were the heads of every event chain of this store":
`body` is the canonical JSON that was signed (reason, account, time, heads, and the SHA-256 of
the previous anchor's body, so anchors form a chain of their own), `signature` its signature
with the account's key, `cert_pem` the account's certificate. Rows are never changed or removed.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-04 16:15:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "log_anchor",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("at", sa.Text(), nullable=False),
        sa.Column("login", sa.Text(), nullable=False),
        sa.Column("reason", sa.String(16), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("algorithm", sa.String(32), nullable=False),
        sa.Column("signature", sa.LargeBinary(), nullable=False),
        sa.Column("cert_pem", sa.Text(), nullable=False),
    )
    op.execute("CREATE TRIGGER log_anchor_no_update BEFORE UPDATE ON log_anchor "
               "BEGIN SELECT RAISE(ABORT, 'signed heads are never changed'); END")
    op.execute("CREATE TRIGGER log_anchor_no_delete BEFORE DELETE ON log_anchor "
               "BEGIN SELECT RAISE(ABORT, 'signed heads are never removed'); END")


def downgrade() -> None:
    op.drop_table("log_anchor")
