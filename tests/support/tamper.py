"""Tampering with a store's event log the way someone with the (unencrypted) file and Python would:
plain SQL, the guard triggers dropped, hashes recomputed with the product's own hash function so the
chains still hold on their own. Each function changes the inspection's chain(s) and commits."""
from __future__ import annotations

import json
import sqlite3
import uuid
from pathlib import Path
from typing import Any, Callable

from inspector.events import chain_hash, canonical_json


def _con(db: Path) -> sqlite3.Connection:
    con = sqlite3.connect(db)
    con.row_factory = sqlite3.Row
    con.execute("DROP TRIGGER IF EXISTS event_no_update")
    con.execute("DROP TRIGGER IF EXISTS event_no_delete")
    return con


def uid_of(db: Path, inspection_id: int) -> str:
    con = sqlite3.connect(db)
    try:
        return con.execute("SELECT uid FROM inspection WHERE id = ?", (inspection_id,)).fetchone()[0]
    finally:
        con.close()


def cut_tail(db: Path, inspection_id: int, n: int = 2) -> None:
    """Delete the last `n` events of the inspection's (each) chain."""
    con = _con(db)
    uid = uid_of(db, inspection_id)
    for (chain,) in con.execute("SELECT DISTINCT chain FROM event WHERE inspection_uid = ?", (uid,)).fetchall():
        con.execute("DELETE FROM event WHERE seq IN (SELECT seq FROM event WHERE inspection_uid = ? AND chain = ? "
                    "ORDER BY dseq DESC LIMIT ?)", (uid, chain, n))
    con.commit()
    con.close()


def wipe(db: Path, inspection_id: int, *, anchors_too: bool = False) -> None:
    """Delete every event of the inspection (and, with `anchors_too`, every signed head of the store)."""
    con = _con(db)
    con.execute("DELETE FROM event WHERE inspection_uid = ?", (uid_of(db, inspection_id),))
    if anchors_too:
        con.execute("DROP TRIGGER IF EXISTS log_anchor_no_delete")
        con.execute("DELETE FROM log_anchor")
    con.commit()
    con.close()


def _rehash(con: sqlite3.Connection, uid: str, chain: str, from_dseq: int) -> None:
    prev = con.execute("SELECT hash FROM event WHERE inspection_uid = ? AND chain = ? AND dseq = ?",
                       (uid, chain, from_dseq - 1)).fetchone()
    prev_hash = prev[0] if prev else "0" * 64
    rows = con.execute("SELECT * FROM event WHERE inspection_uid = ? AND chain = ? AND dseq >= ? ORDER BY dseq",
                       (uid, chain, from_dseq)).fetchall()
    for r in rows:
        h = chain_hash(prev_hash, r["id"], uid, r["at"], r["author"], r["device"], chain, r["dseq"], r["clock"],
                       json.loads(r["vv"] or "{}"), r["kind"], json.loads(r["payload"]))
        con.execute("UPDATE event SET prev_hash = ?, hash = ? WHERE seq = ?", (prev_hash, h, r["seq"]))
        prev_hash = h


def append_forged(db: Path, inspection_id: int, kind: str = "census.outcome",
                  payload: dict[str, Any] | None = None) -> None:
    """Append an event at the end of the inspection's chain with a correctly computed hash."""
    con = _con(db)
    uid = uid_of(db, inspection_id)
    last = con.execute("SELECT * FROM event WHERE inspection_uid = ? ORDER BY dseq DESC LIMIT 1", (uid,)).fetchone()
    payload = payload or {"forged": True}
    eid, dseq, clock = str(uuid.uuid4()), last["dseq"] + 1, last["clock"] + 1
    h = chain_hash(last["hash"], eid, uid, last["at"], last["author"], last["device"], last["chain"], dseq, clock, {},
                   kind, payload)
    con.execute("INSERT INTO event (id, inspection_id, at, author, device, kind, payload, prev_hash, hash, chain, dseq, "
                "clock, vv, inspection_uid, hv) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, '{}', ?, 2)",
                (eid, inspection_id, last["at"], last["author"], last["device"], kind, canonical_json(payload),
                 last["hash"], h, last["chain"], dseq, clock, uid))
    con.commit()
    con.close()


def edit_and_rehash(db: Path, inspection_id: int, kind: str, change: Callable[[dict], dict], nth: int = 0) -> None:
    """Change the payload of the inspection's `nth` event of `kind`, then re-hash the rest of its chain."""
    con = _con(db)
    uid = uid_of(db, inspection_id)
    r = con.execute("SELECT * FROM event WHERE inspection_uid = ? AND kind = ? ORDER BY dseq LIMIT 1 OFFSET ?",
                    (uid, kind, nth)).fetchone()
    payload = change(json.loads(r["payload"]))
    con.execute("UPDATE event SET payload = ? WHERE seq = ?", (canonical_json(payload), r["seq"]))
    _rehash(con, uid, r["chain"], r["dseq"])
    con.commit()
    con.close()
