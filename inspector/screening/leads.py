"""Stored leads and their status: open, confirmed (becomes a finding) or dismissed (with a reason).

Lead rows are computed (re-screening replaces them); a lead's status is the latest
'lead.decided' event for its (rule, key), so decisions survive a re-screen.
"""
from __future__ import annotations

import json
from collections.abc import Collection, Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, select

from inspector.coltypes import from_scaled
from inspector.errors import UserError
from inspector.i18n import _
from inspector.events import append_event, read_events
from inspector.models import Snapshot
from inspector.screening.base import canonical_key
from inspector.screening.rules import RULES, SCREENING_SETTINGS
from inspector.settings import effective_settings

if TYPE_CHECKING:
    from inspector.accounts import Actor

LEAD_STATUSES = ("open", "confirmed", "dismissed")


@dataclass
class StoredLead:
    id: int
    rule: str
    key: list[str]
    severity: str | None
    amount: Decimal
    figures: dict[str, Any]
    summary: str
    status: str = "open"
    reason: str | None = None
    decided_by: str | None = None
    decided_at: str | None = None
    finding_no: int | None = None    # the current finding resting on this lead (it is then confirmed)

    def status_text(self) -> str:
        """The status in words; a confirmed lead names the finding resting on it."""
        return status_text(self.status, self.finding_no)

    def as_json(self) -> dict[str, Any]:
        """The lead as the CLI prints it: rule, key, amount, the rule's figures, summary, status."""
        out: dict[str, Any] = {"id": self.id, "rule": self.rule, "key": self.key, "severity": self.severity,
                               "amount": f"{self.amount:.2f}"}
        for k, v in self.figures.items():
            out.setdefault(k, v)
        out.update({"summary": self.summary, "status": self.status, "reason": self.reason, "finding": self.finding_no})
        return out


def status_text(status: str, finding_no: int | None = None) -> str:
    """A lead's status for people: 'confirmed (finding 2)', 'open', 'dismissed' in the current language."""
    from inspector.i18n import _

    if status == "confirmed" and finding_no is not None:
        return _("confirmed (finding {n})").format(n=finding_no)
    return _(status)


def _current_snapshot_id(conn, inspection_id: int) -> int:
    sid = conn.execute(
        select(Snapshot.id).where(Snapshot.inspection_id == inspection_id).order_by(Snapshot.version.desc()).limit(1)
    ).scalar_one_or_none()
    if sid is None:
        effective_settings(conn, inspection_id)  # names a missing inspection
        raise UserError(_('inspection {inspection_id} has no synced data').format(inspection_id=inspection_id))
    return sid


def lead_decisions(conn, inspection_id: int) -> dict[tuple[str, str], dict[str, Any]]:
    """(rule, canonical key) -> the latest decision {status, reason, author, at}."""
    out: dict[tuple[str, str], dict[str, Any]] = {}
    for ev in read_events(conn, inspection_id, ["lead.decided"]):
        p = ev.payload
        out[(p["rule"], canonical_key(p["key"]))] = {"status": p["status"], "reason": p.get("reason"),
                                                      "author": ev.author, "at": ev.at}
    return out


def last_run(conn, inspection_id: int, snapshot_id: int) -> dict[str, Any] | None:
    """The payload of the latest 'screening.run' of this snapshot (settings used, counts)."""
    runs = [e.payload for e in read_events(conn, inspection_id, ["screening.run"])
            if e.payload.get("snapshot_id") == snapshot_id]
    return runs[-1] if runs else None


def list_leads(engine: Engine, inspection_id: int, rule: str | None = None, status: str | None = None) -> list[StoredLead]:
    """The current snapshot's leads in (rule, key) order, with their status; optionally filtered."""
    return list(iter_leads(engine, inspection_id, rule, status))


def iter_leads(engine: Engine, inspection_id: int, rule: str | None = None, status: str | None = None,
               batch: int = 2000) -> Iterator[StoredLead]:
    """`list_leads` one lead at a time, read from the store in batches: a caller that prints or
    writes each lead never holds all of them (tens of thousands on a big hospital)."""
    if rule is not None and rule.upper() not in RULES:
        raise UserError(_('unknown rule {rule}; rules are S1..S9').format(rule=rule))
    if status is not None and status not in LEAD_STATUSES:
        raise UserError(_('unknown status {status}; statuses are {value}').format(status=status, value=', '.join(LEAD_STATUSES)))
    with engine.connect() as conn:
        sid = _current_snapshot_id(conn, inspection_id)
        decisions = lead_decisions(conn, inspection_id)
        from inspector.state import lead_findings

        resting = lead_findings(conn, inspection_id)
        sql = "SELECT id, rule, key, severity, amount, figures, summary FROM lead WHERE snapshot_id = ?"
        params: list[Any] = [sid]
        if rule is not None:
            sql += " AND rule = ?"
            params.append(rule.upper())
        sql += " ORDER BY rule, key"
        result = conn.exec_driver_sql(sql, tuple(params))
        while rows := result.fetchmany(batch):
            for lid, r, key, severity, amount, figures, summary in rows:
                lead = StoredLead(lid, r, json.loads(key), severity, from_scaled(amount, 2), json.loads(figures),
                                  summary)
                d = decisions.get((r, key))
                if d:
                    lead.status, lead.reason, lead.decided_by, lead.decided_at = (d["status"], d["reason"], d["author"],
                                                                                  d["at"])
                no = resting.get(f"{r}:{key}")
                if no is not None:      # a finding rests on it: confirmed, whatever was decided before
                    lead.status, lead.finding_no = "confirmed", no
                    if d is None or d["status"] != "confirmed":
                        lead.reason = None
                if status is None or lead.status == status:
                    yield lead


def screening_json(engine: Engine, inspection_id: int, rule: str | None = None, status: str | None = None, *,
                   rules: Collection[str] | None = None, stream: bool = False) -> dict[str, Any]:
    """{"inspection": id, "settings": {...the settings the leads were computed with}, "leads": [...]}.

    `rules`: only the leads of these rules. `stream`: "leads" is an iterator that reads the leads
    as it is consumed (`inspector.cli.common.print_json` writes them one by one), not a list."""
    if stream:
        wanted = {r.upper() for r in rules} if rules else None
        gen = iter_leads(engine, inspection_id, rule, status)
        leads: Any = (lead.as_json() for lead in gen if wanted is None or lead.rule in wanted)
    else:
        leads = [lead.as_json() for lead in list_leads(engine, inspection_id, rule, status)
                 if not rules or lead.rule in {r.upper() for r in rules}]
    with engine.connect() as conn:
        sid = _current_snapshot_id(conn, inspection_id)
        run = last_run(conn, inspection_id, sid)
        settings = run["settings"] if run else {k: effective_settings(conn, inspection_id)[k] for k in SCREENING_SETTINGS}
    return {"inspection": inspection_id, "settings": settings, "leads": leads}


def is_screened(engine: Engine, inspection_id: int) -> bool:
    """Whether the inspection's current snapshot has been screened."""
    with engine.connect() as conn:
        return last_run(conn, inspection_id, _current_snapshot_id(conn, inspection_id)) is not None


def decide_lead(engine: Engine, inspection_id: int, *, status: str, rule: str | None = None,
                key: list[str] | str | None = None, lead_id: int | None = None, reason: str | None = None,
                actor: Actor | None = None) -> StoredLead:
    """Record a decision on one lead of the current snapshot (by id, or by rule and key)."""
    if status not in LEAD_STATUSES:
        raise UserError(_('unknown status {status!r}; statuses are {value}').format(status=status, value=', '.join(LEAD_STATUSES)))
    reason = (reason or "").strip() or None
    if status == "dismissed" and not reason:
        raise UserError(_('dismissing a lead needs a reason'))
    if isinstance(key, str):
        try:
            key = json.loads(key)
        except ValueError:
            raise UserError(_('a lead key must be a JSON array such as \'["M1","M2"]\', not {key!r}').format(key=key)) from None
    if key is not None and (not isinstance(key, list) or not all(isinstance(k, (str, int)) for k in key)):
        raise UserError(_('a lead key is a JSON array of strings, not {key!r}').format(key=key))
    if lead_id is None and (rule is None or key is None):
        raise UserError(_('name the lead by its number, or by its rule and key'))
    with engine.connect() as conn:
        sid = _current_snapshot_id(conn, inspection_id)
        if lead_id is not None:
            row = conn.exec_driver_sql("SELECT rule, key FROM lead WHERE id = ? AND snapshot_id = ?",
                                       (int(lead_id), sid)).first()
            if row is None:
                raise UserError(_('no lead {lead_id} in the current screening of inspection {inspection_id}').format(lead_id=lead_id, inspection_id=inspection_id))
            if (rule is not None and rule.upper() != row[0]) or (key is not None and canonical_key(key) != row[1]):
                raise UserError(_('lead {lead_id} is {value} {value2}, not {value3} {value4}').format(lead_id=lead_id, value=row[0], value2=row[1], value3=rule or row[0], value4=key or row[1]))
            rule, key_text = row[0], row[1]
        else:
            rule = rule.upper()
            key_text = canonical_key(key)
            found = conn.exec_driver_sql("SELECT 1 FROM lead WHERE snapshot_id = ? AND rule = ? AND key = ?",
                                         (sid, rule, key_text)).first()
            if found is None:
                raise UserError(_('no lead {rule} {key_text} in the current screening of inspection {inspection_id}').format(rule=rule, key_text=key_text, inspection_id=inspection_id))
        if status != "confirmed":
            from inspector.state import guard_source

            guard_source(conn, inspection_id, "lead", f"{rule}:{key_text}",
                         _("setting lead {rule} {key} to {status}").format(rule=rule, key=key_text, status=_(status)))
    append_event(engine, inspection_id, "lead.decided",
                 {"rule": rule, "key": json.loads(key_text), "status": status, "reason": reason}, actor=actor)
    return next(lead for lead in list_leads(engine, inspection_id, rule) if canonical_key(lead.key) == key_text)
