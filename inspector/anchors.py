"""Anchors of the event log: chain heads signed by an account, and the heads a report carries.

The event log (inspector/events.py) is a set of hash chains, one per (inspection, laptop). A
chain proves its own order, but on its own not its length: whoever can write the store can cut
its tail, wipe it, append an event with a correctly computed hash, or edit an event and re-hash
the rest. An anchor fixes a chain's head (position and hash) where that cannot be redone:

- the report PDF embeds the heads of the inspection's chains it was made from
  (`log-heads.json`, inspector/reports/embedded.py), covered by the first signature;
- accounts sign the heads with their own key (see `sign_heads`) and the signed record is kept in
  table `log_anchor`; the latest travels in exchange bundles.

`check_log` compares the log with the anchors: an anchored head must still be on its chain with
the same hash (a cut tail, a wipe, an edit re-hashed all change that), and a chain must not go
on past its latest signed head (an appended event is signed by no one).
"""
from __future__ import annotations

import json
from typing import Any

from sqlalchemy import Connection

HEADS_VERSION = 1


def _canonical(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def inspection_heads(conn: Connection, inspection_uid: str) -> list[dict[str, Any]]:
    """The heads of the inspection's chains: [{"chain", "dseq", "hash"}], by chain."""
    from inspector.events import chain_heads

    return [{"chain": h.chain, "dseq": int(h.dseq), "hash": h.hash} for h in chain_heads(conn, inspection_uid)]


def heads_json(conn: Connection, inspection_id: int) -> bytes:
    """The `log-heads.json` a report embeds: the inspection's chain heads as the report was made."""
    from inspector.events import inspection_uid

    uid = inspection_uid(conn, inspection_id)
    doc = {"version": HEADS_VERSION, "inspection": uid, "heads": inspection_heads(conn, uid)}
    return _canonical(doc).encode("utf-8")
