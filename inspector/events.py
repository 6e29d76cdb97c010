"""The append-only event log: every on-site action is an event, state is derived from them.

Each event is committed in its own transaction before `append_event` returns (WAL,
synchronous=FULL), so an action acknowledged on screen survives a crash or a power cut.
Events form hash chains, one per laptop and inspection: every store has a random device id
(`store_identity`), and an event sits at position `dseq` on the chain (inspection uid, device id);
its hash = SHA-256 of the previous hash on that chain and the event's canonical JSON. Besides the
chain position an event carries a Lamport `clock` (one more than any event of the inspection this
laptop knew) and the version vector `vv` ({device id: dseq} of the other laptops' chains it had
seen), so events merged from other laptops (inspector/exchange/) fold in one order whatever order
they arrived in (`read_events`: clock, device, dseq), and two records of the same item made without
seeing each other are told apart from a correction (`happened_before`). `verify_log` recomputes
every chain present and names the first broken link. Events written before chains existed
(hash version 1) were moved onto this laptop's chains by migration 0006 when their store-wide
chain held; a chain that did not hold stays version 1 and is checked as such in `seq` order.
"""
from __future__ import annotations

import hashlib
import json
import socket
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Engine, select

from inspector.db import write_transaction
from inspector.models import Event as EventRow

if TYPE_CHECKING:
    from inspector.accounts import Actor

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
    chain: str = ""
    dseq: int = 0
    clock: int = 0
    vv: dict[str, int] = field(default_factory=dict)
    inspection_uid: str = ""
    hv: int = 2

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
    """Hash version 1 (events written before chains per laptop existed)."""
    body = canonical_json(
        {"id": id, "inspection_id": inspection_id, "at": at, "author": author, "device": device,
         "kind": kind, "payload": json.loads(payload_json)}
    )
    return hashlib.sha256((prev_hash + "\n" + body).encode("utf-8")).hexdigest()


def chain_hash(prev_hash: str, id: str, inspection_uid: str, at: str, author: str, device: str, chain: str,
               dseq: int, clock: int, vv: dict[str, int], kind: str, payload: Any) -> str:
    """Hash version 2: everything an event says, with its place on its laptop's chain.

    The local inspection id is not in it (it differs between laptops); the inspection's uid is.
    """
    body = canonical_json(
        {"id": id, "inspection": inspection_uid, "at": at, "author": author, "device": device,
         "chain": chain, "dseq": dseq, "clock": clock, "vv": vv, "kind": kind, "payload": payload}
    )
    return hashlib.sha256((prev_hash + "\n" + body).encode("utf-8")).hexdigest()


def row_hash(r) -> str:
    """The hash an event row should carry, recomputed from its content (version 1 or 2)."""
    if r.hv == 1:
        return event_hash(r.prev_hash, r.id, r.inspection_id, r.at, r.author, r.device, r.kind, r.payload)
    return chain_hash(r.prev_hash, r.id, r.inspection_uid or "", r.at, r.author, r.device, r.chain, r.dseq,
                      r.clock, json.loads(r.vv or "{}"), r.kind, json.loads(r.payload))


def device_id(conn: Connection) -> str:
    """This store's device id (made by migration 0006, or here for a store without one)."""
    found = conn.exec_driver_sql("SELECT value FROM store_identity WHERE key = 'device_id'").scalar()
    if found:
        return found
    new = uuid.uuid4().hex
    conn.exec_driver_sql("INSERT INTO store_identity (key, value) VALUES ('device_id', ?)", (new,))
    return new


def inspection_uid(conn: Connection, inspection_id: int | None) -> str:
    if inspection_id is None:
        return ""
    return conn.exec_driver_sql("SELECT uid FROM inspection WHERE id = ?", (inspection_id,)).scalar() or ""


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
    payload = json.loads(canonical_json(payload))  # what is stored is what is hashed
    chain = device_id(conn)
    uid = inspection_uid(conn, inspection_id)
    head = conn.exec_driver_sql(
        "SELECT dseq, hash FROM event WHERE inspection_uid = ? AND chain = ? ORDER BY dseq DESC LIMIT 1",
        (uid, chain)).first()
    dseq, prev = (head[0] + 1, head[1]) if head else (1, GENESIS)
    clock = (conn.exec_driver_sql("SELECT max(clock) FROM event WHERE inspection_uid = ?", (uid,)).scalar() or 0) + 1
    vv = {c: n for c, n in conn.exec_driver_sql(
        "SELECT chain, max(dseq) FROM event WHERE inspection_uid = ? AND chain != ? GROUP BY chain", (uid, chain))}
    eid = str(uuid.uuid4())
    at = datetime.now().isoformat(sep=" ", timespec="microseconds")
    h = chain_hash(prev, eid, uid, at, author, device, chain, dseq, clock, vv, kind, payload)
    seq = conn.execute(
        EventRow.__table__.insert().values(
            id=eid, inspection_id=inspection_id, at=at, author=author, device=device, kind=kind,
            payload=canonical_json(payload), prev_hash=prev, hash=h, chain=chain, dseq=dseq, clock=clock,
            vv=canonical_json(vv), inspection_uid=uid, hv=2,
        )
    ).inserted_primary_key[0]
    return Event(seq, eid, inspection_id, at, author, device, kind, payload, prev, h, chain, dseq, clock, vv, uid, 2)


def _to_event(row) -> Event:
    return Event(row.seq, row.id, row.inspection_id, row.at, row.author, row.device, row.kind,
                 json.loads(row.payload), row.prev_hash, row.hash, row.chain or "", row.dseq or 0,
                 row.clock or 0, json.loads(row.vv or "{}"), row.inspection_uid or "", row.hv or 1)


def happened_before(a: Event, b: Event) -> bool:
    """Whether the laptop that wrote `b` had `a` when it did (so `b` may correct `a`)."""
    if a.chain == b.chain:
        return a.dseq < b.dseq
    return b.vv.get(a.chain, 0) >= a.dseq


def read_events(conn, inspection_id: int, kinds: Iterable[str] | None = None) -> list[Event]:
    """The inspection's events in log order, optionally only some kinds (or 'area.*' prefixes).

    Log order is (clock, device id, dseq): the same on every laptop holding the same events,
    whatever order they were merged in, and causal (an event comes after all it had seen).
    """
    t = EventRow.__table__
    q = select(t).where(t.c.inspection_id == inspection_id).order_by(t.c.clock, t.c.chain, t.c.dseq)
    if kinds is not None:
        kinds = list(kinds)
        exact = [k for k in kinds if not k.endswith("*")]
        prefixes = [k[:-1] for k in kinds if k.endswith("*")]
        from sqlalchemy import or_

        conds = ([t.c.kind.in_(exact)] if exact else []) + [t.c.kind.startswith(p) for p in prefixes]
        q = q.where(or_(*conds))
    return [_to_event(r) for r in conn.execute(q)]


@dataclass(frozen=True)
class ChainHead:
    """The last event of one laptop's chain for one inspection."""

    inspection_uid: str
    chain: str
    dseq: int
    hash: str
    events: int


def chain_heads(conn: Connection, inspection_uid: str | None = None) -> list[ChainHead]:
    """Every chain's head (optionally of one inspection), in (inspection, device id) order."""
    sql = ("SELECT e.inspection_uid, e.chain, e.dseq, e.hash, c.n FROM event e JOIN "
           "(SELECT inspection_uid, chain, max(dseq) AS top, count(*) AS n FROM event GROUP BY inspection_uid, chain) c "
           "ON e.inspection_uid = c.inspection_uid AND e.chain = c.chain AND e.dseq = c.top")
    params: tuple = ()
    if inspection_uid is not None:
        sql += " WHERE e.inspection_uid = ?"
        params = (inspection_uid,)
    return [ChainHead(*r) for r in conn.exec_driver_sql(sql + " ORDER BY 1, 2", params)]


def verify_log(engine: Engine) -> LogCheck:
    """Recompute every chain; the first event whose link or hash does not hold is named.

    Version-1 events form one store-wide chain in `seq` order; every (inspection, laptop) chain
    runs from dseq 1 without gaps, each event linking to the one before it on its chain.
    """
    t = EventRow.__table__
    count = 0
    with engine.connect() as conn:
        prev = GENESIS
        for r in conn.execute(select(t).where(t.c.hv == 1).order_by(t.c.seq)).yield_per(5000):
            count += 1
            if r.prev_hash != prev:
                return LogCheck(False, count, r.seq, r.id, "its prev_hash does not match the event before it "
                                "(an event was removed, inserted or reordered)")
            bad = _content_problem(r)
            if bad:
                return LogCheck(False, count, r.seq, r.id, bad)
            prev = r.hash
        key, prev_hash, expected_dseq = None, GENESIS, 1
        for r in conn.execute(select(t).where(t.c.hv.is_(None) | (t.c.hv != 1))
                              .order_by(t.c.inspection_uid, t.c.chain, t.c.dseq)).yield_per(5000):
            count += 1
            if (r.inspection_uid, r.chain) != key:
                key, prev_hash, expected_dseq = (r.inspection_uid, r.chain), GENESIS, 1
            if r.dseq != expected_dseq or r.prev_hash != prev_hash:
                return LogCheck(False, count, r.seq, r.id, "its prev_hash does not match the event before it on its "
                                "laptop's chain (an event was removed, inserted or reordered)")
            bad = _content_problem(r)
            if bad:
                return LogCheck(False, count, r.seq, r.id, bad)
            prev_hash, expected_dseq = r.hash, r.dseq + 1
    return LogCheck(True, count)


def _content_problem(r) -> str:
    try:
        expected = row_hash(r)
    except (ValueError, TypeError):
        return "its payload is not valid JSON"
    return "" if expected == r.hash else "its content does not match its hash (the event was altered)"
