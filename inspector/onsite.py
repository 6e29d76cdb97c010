"""What the on-site record (现场检查笔录) needs beyond the checks, entered on site as events.

Event kinds (payloads):
- 'onsite.details'    {legal_rep, place}: the inspected unit's legal representative (法定代表人) and the
                      place of inspection (检查地点); the latest non-empty value of each counts;
- 'onsite.started'    {at}: the team begins on site (the first one counts);
- 'onsite.closed'     {at}: the record is closed for signing (the latest counts);
  'onsite.reopened'   {reason}: work goes on after a close (a later close counts again);
- 'onsite.statement'  {kind: text|no_objection|refused, text}: the inspected party's statement
                      (陈述、申辩意见), the latest counts;
- 'onsite.witness'    {check: census|stock|records, name, title}: the staff member who witnessed a check
                      and signs its appendix (head nurse, pharmacist, records officer);
- 'onsite.check_waived' {check, reason, by}: the team lead waives an unfinished required check.

When no 'onsite.started' was recorded, the first on-site event (a census tick, a count, an answer,
a finding...) is the start.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Engine

from inspector.coltypes import TIMESTAMP_FORMAT
from inspector.db import write_transaction
from inspector.errors import UserError
from inspector.events import Event, append_event, read_events
from inspector.i18n import N_, _
from inspector.state import CHECKS, CHECK_LABELS

if TYPE_CHECKING:
    from inspector.accounts import Actor

STATEMENT_KINDS = ("text", "no_objection", "refused")
WITNESS_TITLES = {
    "census": N_("head nurse"),
    "stock": N_("pharmacist"),
    "records": N_("medical records officer"),
}
FIRST_ON_SITE = ("census.outcome", "census.unregistered", "stock.sample_drawn", "stock.counted", "records.sample_drawn",
                 "records.answer", "lead.decided", "evidence.added", "finding.created")


@dataclass
class OnSite:
    """The on-site record's own facts, folded from the events."""

    legal_rep: str = ""
    place: str = ""
    started_at: datetime | None = None
    started_explicitly: bool = False
    closed_at: datetime | None = None
    statement_kind: str | None = None
    statement_text: str = ""
    statement_at: datetime | None = None
    witnesses: dict[str, dict[str, str]] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        t = (lambda d: d.strftime(TIMESTAMP_FORMAT) if d else None)
        return {"legal_rep": self.legal_rep, "place": self.place, "started_at": t(self.started_at),
                "closed_at": t(self.closed_at), "statement": {"kind": self.statement_kind, "text": self.statement_text},
                "witnesses": self.witnesses}


def _parse(text: Any) -> datetime | None:
    try:
        return datetime.strptime(str(text)[:19], TIMESTAMP_FORMAT)
    except (TypeError, ValueError):
        return None


def _time(at: str | None) -> str:
    if at is None:
        return datetime.now().strftime(TIMESTAMP_FORMAT)
    if _parse(at) is None or len(at.strip()) != 19:
        raise UserError(_("time '{t}' is not a time 'YYYY-MM-DD HH:MM:SS'").format(t=at))
    return at.strip()


def _check_inspection(conn: Connection, inspection_id: int) -> None:
    if conn.exec_driver_sql("SELECT 1 FROM inspection WHERE id = ?", (inspection_id,)).fetchone() is None:
        raise UserError(_("no inspection with id {id} in this store").format(id=inspection_id))


def read_onsite(conn: Connection, inspection_id: int) -> OnSite:
    """Fold the inspection's 'onsite.*' events (and the first on-site event as the start when none was recorded)."""
    o = OnSite()
    first_other: datetime | None = None
    for ev in read_events(conn, inspection_id, ["onsite.*", *FIRST_ON_SITE]):
        p = ev.payload
        if not ev.kind.startswith("onsite."):
            at = _parse(p.get("checked_at")) if ev.kind.startswith("census.") else None
            at = at or _parse(ev.at)
            if at and (first_other is None or at < first_other):
                first_other = at
        elif ev.kind == "onsite.details":
            o.legal_rep = p.get("legal_rep") or o.legal_rep
            o.place = p.get("place") or o.place
        elif ev.kind == "onsite.started":
            if not o.started_explicitly:
                o.started_at, o.started_explicitly = _parse(p["at"]), True
        elif ev.kind == "onsite.closed":
            o.closed_at = _parse(p["at"])
        elif ev.kind == "onsite.reopened":
            o.closed_at = None
        elif ev.kind == "onsite.statement":
            o.statement_kind, o.statement_text, o.statement_at = p["kind"], p.get("text") or "", _parse(ev.at)
        elif ev.kind == "onsite.witness":
            o.witnesses[p["check"]] = {"name": p["name"], "title": p.get("title") or _(WITNESS_TITLES[p["check"]])}
    if not o.started_explicitly:
        o.started_at = first_other
    return o


def set_details(engine: Engine, inspection_id: int, *, legal_rep: str | None = None, place: str | None = None,
                actor: Actor | None = None) -> Event:
    """Record the legal representative and/or the place of inspection."""
    legal_rep, place = (legal_rep or "").strip(), (place or "").strip()
    if not legal_rep and not place:
        raise UserError(_("give the legal representative, the place of inspection, or both"))
    with write_transaction(engine) as conn:
        _check_inspection(conn, inspection_id)
        return append_event(engine, inspection_id, "onsite.details", {"legal_rep": legal_rep, "place": place},
                            actor=actor, conn=conn)


def start(engine: Engine, inspection_id: int, at: str | None = None, *, actor: Actor | None = None) -> Event:
    """The team begins on site (once; a second start is refused naming the first)."""
    at = _time(at)
    with write_transaction(engine) as conn:
        _check_inspection(conn, inspection_id)
        before = read_events(conn, inspection_id, ["onsite.started"])
        if before:
            raise UserError(_("the on-site work of inspection {id} already started at {at}").format(
                id=inspection_id, at=before[0].payload["at"]))
        return append_event(engine, inspection_id, "onsite.started", {"at": at}, actor=actor, conn=conn)


def close(engine: Engine, inspection_id: int, at: str | None = None, *, actor: Actor | None = None) -> Event:
    """Close the record for signing: its end time (not before its start)."""
    at = _time(at)
    with write_transaction(engine) as conn:
        _check_inspection(conn, inspection_id)
        o = read_onsite(conn, inspection_id)
        if o.started_at is None:
            raise UserError(_("nothing was recorded on site yet: start first (record start)"))
        if _parse(at) < o.started_at:
            raise UserError(_("the end {end} is before the start {start}").format(
                end=at, start=o.started_at.strftime(TIMESTAMP_FORMAT)))
        return append_event(engine, inspection_id, "onsite.closed", {"at": at}, actor=actor, conn=conn)


def reopen(engine: Engine, inspection_id: int, reason: str, *, actor: Actor | None = None) -> Event:
    """Reopen a closed record (with a reason) to go on working; close it again afterwards."""
    if not (reason or "").strip():
        raise UserError(_("reopening the record needs a reason"))
    with write_transaction(engine) as conn:
        _check_inspection(conn, inspection_id)
        if read_onsite(conn, inspection_id).closed_at is None:
            raise UserError(_("the record of inspection {id} is not closed").format(id=inspection_id))
        return append_event(engine, inspection_id, "onsite.reopened", {"reason": reason.strip()}, actor=actor,
                            conn=conn)


def set_statement(engine: Engine, inspection_id: int, kind: str, text: str = "", *, actor: Actor | None = None) -> Event:
    """The inspected party's statement: typed text, no objection, or a refusal (with the inspectors' note)."""
    if kind not in STATEMENT_KINDS:
        raise UserError(_("statement: expected text, no objection or refused"))
    text = (text or "").strip()
    if kind == "text" and not text:
        raise UserError(_("statement: type what the inspected party said"))
    with write_transaction(engine) as conn:
        _check_inspection(conn, inspection_id)
        return append_event(engine, inspection_id, "onsite.statement", {"kind": kind, "text": text},
                            actor=actor, conn=conn)


def set_witness(engine: Engine, inspection_id: int, check: str, name: str, title: str | None = None, *,
                actor: Actor | None = None) -> Event:
    """Name the staff member who witnessed a check and signs its appendix."""
    if check not in CHECKS:
        raise UserError(_("unknown check '{c}'; checks are: census, stock, records").format(c=check))
    if not (name or "").strip():
        raise UserError(_("the witness of the {check} needs a name").format(check=_(CHECK_LABELS[check])))
    with write_transaction(engine) as conn:
        _check_inspection(conn, inspection_id)
        return append_event(engine, inspection_id, "onsite.witness",
                            {"check": check, "name": name.strip(), "title": (title or "").strip()},
                            actor=actor, conn=conn)


def waive_check(engine: Engine, inspection_id: int, check: str, reason: str, *, actor: Actor | None) -> Event:
    """The team lead waives an unfinished required check with a recorded reason (only the lead may)."""
    from inspector.team import team_lead

    if check not in CHECKS:
        raise UserError(_("unknown check '{c}'; checks are: census, stock, records").format(c=check))
    if not (reason or "").strip():
        raise UserError(_("waiving the {check} needs a reason").format(check=_(CHECK_LABELS[check])))
    with write_transaction(engine) as conn:
        _check_inspection(conn, inspection_id)
        tl = team_lead(conn, inspection_id)
        if tl is None:
            raise UserError(_("inspection {id} has no team lead to waive a check").format(id=inspection_id))
        if actor is None or tl.login != actor.login:
            raise UserError(_("only the team lead ({lead}) waives a check, not {who}").format(
                lead=tl.name, who=actor.display_name if actor else "-"))
        return append_event(engine, inspection_id, "onsite.check_waived",
                            {"check": check, "reason": reason.strip(), "by": tl.name}, actor=actor,
                            conn=conn)
