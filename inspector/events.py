"""The append-only event log: every on-site action is an event, state is derived from them.

Each event is committed in its own transaction before `append_event` returns (WAL,
synchronous=FULL), so an action acknowledged on screen survives a crash or a power cut.
Events form a hash chain: hash = SHA-256 of the previous hash and the event's canonical
JSON; `verify_log` recomputes the chain and names the first broken link.
"""
from __future__ import annotations

import hashlib
import json
import socket
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Engine, select

from inspector.db import write_transaction

if TYPE_CHECKING:
    from inspector.accounts import Actor
from inspector.models import Event as EventRow

GENESIS = "0" * 64


@dataclass(frozen=True)
class Changes:
    """What a mutation changed, so views refresh only what they show."""

    inspection_id: int | None
    areas: frozenset[str]


@dataclass(frozen=True)
class Event:
    seq: int
    id: str
    inspection_id: int | None
    at: str
    author: str
    device: str
    kind: str
    payload: dict[str, Any]
    prev_hash: str
    hash: str

    @property
    def changes(self) -> Changes:
        return Changes(self.inspection_id, frozenset({self.kind.split(".", 1)[0]}))


@dataclass(frozen=True)
class LogCheck:
    ok: bool
    count: int
    broken_seq: int | None = None
    broken_id: str | None = None
    reason: str = ""


# The author recorded when core code is called without an authenticated account (library use and
# low-level tests). The CLI and the GUI always pass the logged-in account's Actor.
NO_ACTOR = "system"


def author_of(actor: Actor | None) -> str:
    """What an event records as its author: the account's login (logins never change)."""
    return NO_ACTOR if actor is None else actor.login


def canonical_json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def event_hash(prev_hash: str, id: str, inspection_id: int | None, at: str, author: str, device: str,
               kind: str, payload_json: str) -> str:
    body = canonical_json(
        {"id": id, "inspection_id": inspection_id, "at": at, "author": author, "device": device,
         "kind": kind, "payload": json.loads(payload_json)}
    )
    return hashlib.sha256((prev_hash + "\n" + body).encode("utf-8")).hexdigest()


def append_event(
    engine: Engine,
    inspection_id: int | None,
    kind: str,
    payload: dict[str, Any],
    *,
    actor: Actor | None = None,
    device: str | None = None,
    conn: Connection | None = None,
) -> Event:
    """Append one event by `actor` and commit it (unless `conn`, an open write transaction, is given)."""
    if conn is None:
        with write_transaction(engine) as c:
            return append_event(engine, inspection_id, kind, payload, actor=actor, device=device, conn=c)
    author, device = author_of(actor), device or socket.gethostname()
    payload_json = canonical_json(payload)
    prev = conn.execute(select(EventRow.hash).order_by(EventRow.seq.desc()).limit(1)).scalar_one_or_none() or GENESIS
    eid = str(uuid.uuid4())
    at = datetime.now().isoformat(sep=" ", timespec="microseconds")
    h = event_hash(prev, eid, inspection_id, at, author, device, kind, payload_json)
    seq = conn.execute(
        EventRow.__table__.insert().values(
            id=eid, inspection_id=inspection_id, at=at, author=author, device=device, kind=kind,
            payload=payload_json, prev_hash=prev, hash=h,
        )
    ).inserted_primary_key[0]
    return Event(seq, eid, inspection_id, at, author, device, kind, payload, prev, h)


def _to_event(row) -> Event:
    return Event(row.seq, row.id, row.inspection_id, row.at, row.author, row.device, row.kind,
                 json.loads(row.payload), row.prev_hash, row.hash)


def read_events(conn, inspection_id: int, kinds: Iterable[str] | None = None) -> list[Event]:
    """The inspection's events in log order, optionally only some kinds (or 'area.*' prefixes)."""
    t = EventRow.__table__
    q = select(t).where(t.c.inspection_id == inspection_id).order_by(t.c.seq)
    if kinds is not None:
        kinds = list(kinds)
        exact = [k for k in kinds if not k.endswith("*")]
        prefixes = [k[:-1] for k in kinds if k.endswith("*")]
        from sqlalchemy import or_

        conds = ([t.c.kind.in_(exact)] if exact else []) + [t.c.kind.startswith(p) for p in prefixes]
        q = q.where(or_(*conds))
    return [_to_event(r) for r in conn.execute(q)]


def verify_log(engine: Engine) -> LogCheck:
    """Recompute the whole chain; the first event whose link or hash does not hold is named."""
    t = EventRow.__table__
    prev = GENESIS
    count = 0
    with engine.connect() as conn:
        for r in conn.execute(select(t).order_by(t.c.seq)).yield_per(5000):
            count += 1
            if r.prev_hash != prev:
                return LogCheck(False, count, r.seq, r.id, "its prev_hash does not match the event before it "
                                "(an event was removed, inserted or reordered)")
            try:
                expected = event_hash(prev, r.id, r.inspection_id, r.at, r.author, r.device, r.kind, r.payload)
            except ValueError:
                return LogCheck(False, count, r.seq, r.id, "its payload is not valid JSON")
            if expected != r.hash:
                return LogCheck(False, count, r.seq, r.id, "its content does not match its hash (the event was altered)")
            prev = r.hash
    return LogCheck(True, count)
