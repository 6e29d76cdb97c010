"""event chains per laptop: each store has a device id; events carry their chain position

An embedded inspection spans several laptops. Each laptop (store) now has a random device id
(`store_identity`), and every event belongs to the chain of (device id, inspection uid): its
position `dseq` in that chain, a Lamport `clock` (one more than any event of the inspection the
laptop knew), the version vector `vv` of the other laptops' chains it had seen, and the
inspection's `uid` (local inspection ids differ between laptops), and hash all of these (`hv` 2,
see inspector/events.py). Events written before this revision formed one store-wide chain
(`hv` 1): it is verified here; when it holds, its events are placed, in order, on this laptop's
chains and re-hashed in version 2 (the check made here carries their integrity over). A chain
that does not hold is left exactly as it is, so `verify-log` goes on naming its broken link.
`bundle_import` lists the bundles merged into this laptop's log (kept beside the log, not in it,
so that laptops exchanging bundles reach the same events).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-04 09:30:00
"""
from __future__ import annotations

import hashlib
import json
import uuid

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

_NO_UPDATE = ("CREATE TRIGGER event_no_update BEFORE UPDATE ON event "
              "BEGIN SELECT RAISE(ABORT, 'the event log is append-only'); END")


GENESIS = "0" * 64


def _canonical(value) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def _hash(prev: str, body: dict) -> str:
    return hashlib.sha256((prev + "\n" + _canonical(body)).encode("utf-8")).hexdigest()


def _legacy_chain_holds(rows) -> bool:
    prev = GENESIS
    for r in rows:
        try:
            body = {"id": r.id, "inspection_id": r.inspection_id, "at": r.at, "author": r.author,
                    "device": r.device, "kind": r.kind, "payload": json.loads(r.payload)}
        except ValueError:
            return False
        if r.prev_hash != prev or _hash(prev, body) != r.hash:
            return False
        prev = r.hash
    return True


def upgrade() -> None:
    op.create_table(
        "store_identity",
        sa.Column("key", sa.Text(), primary_key=True),
        sa.Column("value", sa.Text(), nullable=False),
    )
    op.create_table(
        "bundle_import",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("inspection_uid", sa.Text(), nullable=False),
        sa.Column("sender", sa.Text(), nullable=False),
        sa.Column("sender_device", sa.Text(), nullable=False),
        sa.Column("events", sa.Integer(), nullable=False),
        sa.Column("added", sa.Integer(), nullable=False),
        sa.Column("imported_at", sa.Text(), nullable=False),
        sa.Column("imported_by", sa.Text(), nullable=False),
    )
    device_id = uuid.uuid4().hex
    conn = op.get_bind()
    conn.execute(sa.text("INSERT INTO store_identity (key, value) VALUES ('device_id', :d)"), {"d": device_id})
    for name, type_ in (("chain", sa.Text()), ("dseq", sa.Integer()), ("clock", sa.Integer()),
                        ("vv", sa.Text()), ("inspection_uid", sa.Text()), ("hv", sa.Integer())):
        op.add_column("event", sa.Column(name, type_, nullable=True))
    rows = conn.execute(sa.text(
        "SELECT e.seq, e.id, e.inspection_id, e.at, e.author, e.device, e.kind, e.payload, e.prev_hash, e.hash, "
        "coalesce(i.uid, '') AS uid FROM event e LEFT JOIN inspection i ON i.id = e.inspection_id ORDER BY e.seq"
    )).fetchall()
    op.execute("DROP TRIGGER IF EXISTS event_no_update")
    if _legacy_chain_holds(rows):
        heads: dict[str, tuple[int, str]] = {}
        for r in rows:
            dseq, prev = heads.get(r.uid, (0, GENESIS))
            dseq += 1
            payload = json.loads(r.payload)
            h = _hash(prev, {"id": r.id, "inspection": r.uid, "at": r.at, "author": r.author, "device": r.device,
                             "chain": device_id, "dseq": dseq, "clock": r.seq, "vv": {}, "kind": r.kind,
                             "payload": payload})
            conn.execute(sa.text(
                "UPDATE event SET chain = :c, dseq = :d, clock = :k, vv = '{}', inspection_uid = :u, hv = 2, "
                "prev_hash = :p, hash = :h WHERE seq = :s"),
                {"c": device_id, "d": dseq, "k": r.seq, "u": r.uid, "p": prev, "h": h, "s": r.seq})
            heads[r.uid] = (dseq, h)
    else:
        for n, r in enumerate(rows, start=1):
            conn.execute(sa.text(
                "UPDATE event SET chain = :c, dseq = :d, clock = :k, vv = '{}', inspection_uid = :u, hv = 1 "
                "WHERE seq = :s"), {"c": device_id, "d": n, "k": r.seq, "u": r.uid, "s": r.seq})
    op.execute(_NO_UPDATE)
    op.create_index("ux_event_chain_position", "event", ["inspection_uid", "chain", "dseq"], unique=True)
    op.create_index("ix_event_inspection_order", "event", ["inspection_id", "clock", "chain", "dseq"])


def downgrade() -> None:
    raise NotImplementedError("the event log is append-only; no downgrade")
