"""A store that checks itself: snapshots against their recorded digests, and the event chain.

`check_store` recomputes every snapshot table's digest (`inspector.snapshot.table_digest`,
the same canonical form written at sync) and compares it with the digest recorded in the
`snapshot` row, and recomputes the event log's hash chain (`inspector.events.verify_log`).
A flipped byte anywhere in a snapshot row, a row added or removed, or an altered event is
named: table, snapshot (id and version), inspection. `require_intact` is the same check for
one inspection, raising `StoreDamaged` (a UserError): `report`, `sign` and `upload queue`
call it before they produce or accept anything.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine, select

from inspector.errors import UserError
from inspector.i18n import _
from inspector.models import SNAPSHOT_MODELS, Snapshot
from inspector.progress import Progress


@dataclass(frozen=True)
class Mismatch:
    """One thing that differs from what the store recorded."""

    kind: str                    # "snapshot" | "event_log"
    inspection: int | None = None
    snapshot: int | None = None
    version: int | None = None
    table: str | None = None
    recorded: str | None = None
    recomputed: str | None = None
    seq: int | None = None
    reason: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if v is not None and v != ""}

    def describe(self) -> str:
        if self.kind == "snapshot":
            if self.recorded is None:
                return _("inspection {inspection}, snapshot {snapshot} (version {version}), table {table}: "
                         "no digest was recorded").format(**self.__dict__)
            return _("inspection {inspection}, snapshot {snapshot} (version {version}), table {table}: "
                     "the rows differ from the digest recorded at sync").format(**self.__dict__)
        if self.seq is None:
            return _("event log: {reason}").format(reason=self.reason)
        return _("event log: event {seq}: {reason}").format(seq=self.seq, reason=self.reason)


@dataclass
class StoreCheck:
    ok: bool
    snapshots: int
    tables: int
    events: int
    mismatches: list[Mismatch] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "snapshots": self.snapshots, "tables": self.tables, "events": self.events,
                "mismatches": [m.as_dict() for m in self.mismatches]}


class StoreDamaged(UserError):
    """The store no longer matches its own records; nothing is produced from it."""

    def __init__(self, check: StoreCheck, inspection_id: int) -> None:
        self.check = check
        first = check.mismatches[0].describe()
        more = len(check.mismatches) - 1
        text = _("the store does not match its own records, so nothing is produced from inspection {id}: "
                 "{first}").format(id=inspection_id, first=first)
        if more:
            text += _("; and {n} further problems").format(n=more)
        super().__init__(text + _("; run check-store"))


def check_store(engine: Engine, inspection_id: int | None = None, progress: Progress | None = None) -> StoreCheck:
    """Recompute the digests of every snapshot (of one inspection) and the event chain (`progress`:
    one step a table, cancellable)."""
    from inspector.events import verify_log
    from inspector.snapshot import table_digest

    mismatches: list[Mismatch] = []
    with engine.connect() as conn:
        # a pending snapshot (a sync still copying, or one killed while copying) is no one's data yet
        q = (select(Snapshot.id, Snapshot.inspection_id, Snapshot.version, Snapshot.digests)
             .where(Snapshot.inspection_id.is_not(None)).order_by(Snapshot.id))
        if inspection_id is not None:
            q = q.where(Snapshot.inspection_id == inspection_id)
        snaps = conn.execute(q).all()
        cur = conn.connection.driver_connection.cursor()
        tables = 0
        total = len(snaps) * len(SNAPSHOT_MODELS)
        for sid, insp, version, digests in snaps:
            recorded = dict(digests or {})
            for table in SNAPSHOT_MODELS:
                if progress is not None:
                    progress.set_progress(_("checking the snapshots against their digests"), tables, total)
                    progress.check()
                tables += 1
                now = table_digest(cur, table, sid)
                if recorded.get(table) != now:
                    mismatches.append(Mismatch("snapshot", insp, sid, version, table, recorded.get(table), now))
        cur.close()
    if progress is not None:
        progress.set_progress(_("checking the event log"), tables, tables or None)
    log = verify_log(engine)
    if not log.ok:
        mismatches.append(Mismatch("event_log", seq=log.broken_seq, reason=log.reason))
    else:   # the chains hold on their own: do they still hold what their signed heads say?
        from inspector.anchors import check_log
        from inspector.events import inspection_uid as uid_of

        with engine.connect() as conn:
            uid = uid_of(conn, inspection_id) if inspection_id is not None else None
            for p in check_log(conn, uid):
                if p.kind != "unsigned":          # a session still open has unsigned events: no damage
                    mismatches.append(Mismatch("event_log", inspection=inspection_id, reason=p.message))
    return StoreCheck(not mismatches, len(snaps), tables, log.count, mismatches)


def require_intact(engine: Engine, inspection_id: int) -> StoreCheck:
    """`check_store` for one inspection; raises `StoreDamaged` when anything differs."""
    check = check_store(engine, inspection_id)
    if not check.ok:
        raise StoreDamaged(check, inspection_id)
    return check


@dataclass
class IntegrityReport:
    """Everything this laptop can check of itself: `check_store` (snapshots, chains, damage against
    signed heads), events no one has signed yet, and the notes `verify-log` gives."""

    store: StoreCheck
    unsigned: list = field(default_factory=list)     # inspector.anchors.LogProblem, kind "unsigned"
    notes: list = field(default_factory=list)        # kind "adopted"
    signed_heads: int = 0
    latest: dict[str, Any] | None = None             # the latest signed head record's body
    pdfs: list[str] = field(default_factory=list)    # the signed reports the log was also checked against
    pdf_problems: list = field(default_factory=list)  # the log against the heads they carry

    def lines(self) -> list[tuple[str, str]]:
        """(level, text), in the words of `check-store` and `verify-log`; level is "ok", "damage",
        "warning" (signed by no one yet), "note" or "info"."""
        s = self.store
        out: list[tuple[str, str]] = []
        damage = [m.describe() for m in s.mismatches] + [p.message for p in self.pdf_problems]
        if not damage:
            out.append(("ok", _("ok: {snapshots} snapshots ({tables} tables) match their digests, {events} events "
                                "chained").format(snapshots=s.snapshots, tables=s.tables, events=s.events)))
        else:
            out.append(("damage", _("NOT OK: {n} differences").format(n=len(damage))))
            out += [("damage", text) for text in damage]
        out += [("warning", p.message) for p in self.unsigned]
        out += [("note", _("note: {what}").format(what=p.message)) for p in self.notes]
        if self.latest is not None:
            from inspector.anchors import signed_heads_line

            out.append(("info", signed_heads_line(self.signed_heads, self.latest, len(self.pdfs))))
        else:
            out.append(("info", _("no account has signed the event log's heads yet: the chains are checked against "
                                  "themselves only")))
            if self.pdfs:
                out.append(("info", _("checked against the heads of {n} signed reports").format(n=len(self.pdfs))))
        return out


def integrity_report(engine: Engine, progress: Progress | None = None,
                     pdfs: list[tuple[str, bytes]] = ()) -> IntegrityReport:
    """`check_store` of the whole store, then the event log against its signed heads and against the
    heads the signed reports `pdfs` [(file name, bytes)] carry, as `verify-log --pdf` (see
    IntegrityReport). A report that carries no heads is a UserError naming it."""
    from inspector.anchors import adopted_events, check_against_pdf, check_log, valid_anchors

    store = check_store(engine, progress=progress)
    with engine.connect() as conn:
        checked = valid_anchors(conn)         # every signed record's signature, checked once here
        anchors = checked[0]
        unsigned = [p for p in check_log(conn, anchors=checked) if p.kind == "unsigned"]
        notes = adopted_events(conn, bodies=anchors)
        against_pdfs = [p for label, data in pdfs for p in check_against_pdf(conn, data, label)]
    return IntegrityReport(store, unsigned, notes, len(anchors), anchors[-1] if anchors else None,
                           [label for label, _data in pdfs], against_pdfs)


def inspection_of_pdf(engine: Engine, pdf: bytes) -> int | None:
    """The inspection whose rendered report `pdf` is (or extends, when signed), or None."""
    import hashlib
    import json

    with engine.connect() as conn:
        found = conn.exec_driver_sql(
            "SELECT inspection_id, payload FROM event WHERE kind = 'documents.rendered' ORDER BY seq DESC").fetchall()
    for inspection_id, payload in found:
        p = json.loads(payload)
        size = int(p["size"])
        if len(pdf) >= size and hashlib.sha256(pdf[:size]).hexdigest() == p["sha256"]:
            return int(inspection_id)
    return None
