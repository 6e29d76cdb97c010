"""data minimisation: psn_info keeps the birth year, not the birth date nor the ID hash

The masked ID number (first 6 and last 4 characters) plus the birth date (the 8 hidden
characters) rebuilt every full ID number; so did the salted hash with its salt, by trying
the few thousand birth dates that fit a mask. Existing snapshots are converted: `brdy`
becomes `birth_year`, `certno_hash` and the extract's `certno_salt` are dropped, and the
digests of `psn_info` and `extract_meta` are recomputed in the reduced form (see
inspector/snapshot.py). The store opener VACUUMs afterwards so no old page keeps the dates.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-04 08:40:00
"""
from __future__ import annotations

import hashlib
import json

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

# The stored columns of the reduced tables at this revision (the digest line's columns).
_PSN_COLUMNS = ("psn_no", "psn_name", "gend", "birth_year", "certno_mask", "insutype")
_META_COLUMNS = ("key", "value")


def _digest(conn, table: str, columns: tuple[str, ...], order: str, snapshot_id: int) -> str:
    h = hashlib.sha256()
    rows = conn.exec_driver_sql(
        f"SELECT json_array({', '.join(columns)}) || char(10) FROM snap_{table} "
        f"WHERE snapshot_id = ? ORDER BY {order}", (snapshot_id,))
    for (line,) in rows:
        h.update(line.encode("utf-8"))
    return h.hexdigest()


def upgrade() -> None:
    conn = op.get_bind()
    op.create_table(
        "snap_psn_info_new",
        sa.Column("snapshot_id", sa.Integer(), nullable=False),
        sa.Column("psn_no", sa.Text(), nullable=False),
        sa.Column("psn_name", sa.Text(), nullable=False),
        sa.Column("gend", sa.Text(), nullable=False),
        sa.Column("birth_year", sa.Integer(), nullable=False),
        sa.Column("certno_mask", sa.Text(), nullable=False),
        sa.Column("insutype", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["snapshot_id"], ["snapshot.id"]),
        sa.PrimaryKeyConstraint("snapshot_id", "psn_no"),
    )
    conn.exec_driver_sql(
        "INSERT INTO snap_psn_info_new (snapshot_id, psn_no, psn_name, gend, birth_year, certno_mask, insutype) "
        "SELECT snapshot_id, psn_no, psn_name, gend, CAST(substr(brdy, 1, 4) AS INTEGER), certno_mask, insutype "
        "FROM snap_psn_info")
    op.drop_table("snap_psn_info")
    op.rename_table("snap_psn_info_new", "snap_psn_info")
    conn.exec_driver_sql("DELETE FROM snap_extract_meta WHERE key = 'certno_salt'")
    for snapshot_id, digests in conn.exec_driver_sql("SELECT id, digests FROM snapshot").fetchall():
        d = json.loads(digests) if digests else {}
        d["psn_info"] = _digest(conn, "psn_info", _PSN_COLUMNS, "psn_no", snapshot_id)
        d["extract_meta"] = _digest(conn, "extract_meta", _META_COLUMNS, "key", snapshot_id)
        conn.exec_driver_sql("UPDATE snapshot SET digests = ? WHERE id = ?", (json.dumps(d), snapshot_id))


def downgrade() -> None:
    raise NotImplementedError("the birth dates and ID hashes were dropped on purpose; they cannot come back")
