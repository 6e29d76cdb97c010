"""Running the screening rules over an inspection's current snapshot and storing the leads."""
from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, select

from inspector.coltypes import TIMESTAMP_FORMAT, to_scaled
from inspector.db import OPERATIONAL_ERRORS
from inspector.errors import UserError
from inspector.events import append_event
from inspector.i18n import _
from inspector.models import Inspection, Snapshot
from inspector.progress import Cancelled, Progress
from inspector.screening.base import LeadResult, ScreeningContext, context_for
from inspector.screening.rules import RULES, SCREENING_SETTINGS, select_rules
from inspector.settings import effective_settings

if TYPE_CHECKING:
    from inspector.accounts import Actor


PENDING = "screening_pending_lead"   # the temporary table of a run's leads (see run_screening)


@dataclass
class ScreeningResult:
    """The leads of one screening run, with the settings it used and the time per rule."""

    inspection_id: int
    snapshot_id: int
    settings: dict[str, Any]
    rules: list[str]
    leads: list[LeadResult]          # empty when the run was asked not to keep them (see run_screening)
    seconds: dict[str, float] = field(default_factory=dict)
    computed_at: str = ""
    lead_counts: dict[str, int] = field(default_factory=dict)

    def counts(self) -> dict[str, int]:
        """Leads per rule (every selected rule, 0 when it found none)."""
        return {r: self.lead_counts.get(r, 0) for r in self.rules}

    @property
    def total(self) -> int:
        return sum(self.lead_counts.values())


def screening_settings(settings: dict[str, Any]) -> dict[str, Any]:
    """The settings the rules read, checked: a bad stored value is a UserError before any work."""
    out = {k: settings[k] for k in SCREENING_SETTINGS}
    try:
        days = int(out["readmission_days"])
        bed = int(out["bed_only_days"])
        tol = Decimal(str(out["count_tolerance"]))
    except (TypeError, ValueError, ArithmeticError):
        raise UserError(f"screening settings are not valid: {out}") from None
    if days < 0 or bed < 1 or not (0 <= tol < 1):
        raise UserError(f"screening settings are out of range: {out}")
    return out


def screen_snapshot(conn, ctx: ScreeningContext, rules: Iterable[str] | None = None,
                    sink: Callable[[LeadResult], None] | None = None) -> tuple[list[LeadResult], dict[str, float]]:
    """Compute the leads of `rules` (default all) without storing them; seconds per rule.
    With `sink`, each lead is handed to it as it comes and not kept (the list returned is empty)."""
    selected = select_rules(rules)
    leads: list[LeadResult] = []
    keep = leads.append if sink is None else sink
    seconds: dict[str, float] = {}
    label = _("Screening rules")
    for i, rule in enumerate(selected):
        ctx.progress.check()
        ctx.progress.set_progress(label, i, len(selected))
        # The rule's id and its translated name, e.g. "S1 分解住院 (1/9)".
        ctx.progress.set_status(_("{rule} {title} ({n}/{of})").format(rule=rule, title=_(RULES[rule].TITLE), n=i + 1,
                                                                    of=len(selected)))
        t = time.perf_counter()
        for n, lead in enumerate(RULES[rule].screen(conn, ctx)):
            keep(lead)
            if n % 1000 == 999:
                ctx.progress.check()
        seconds[rule] = time.perf_counter() - t
    ctx.progress.set_progress(label, len(selected), len(selected))
    return leads, seconds


def run_screening(engine: Engine, inspection_id: int, progress: Progress | None = None,
                  rules: Iterable[str] | None = None, *, actor: Actor | None = None,
                  keep_leads: bool = True) -> ScreeningResult:
    """Screen the inspection's current snapshot and replace that snapshot's leads of `rules`
    in one transaction; a cancel (progress.cancel()) before the commit changes nothing.

    Each lead is turned into its row (JSON texts, scaled amount) as the rule yields it and stored in
    batches in a temporary table, so a run holds no list of leads; `keep_leads=False` keeps no
    LeadResult at all (the result then has counts only: the CLI and the GUI read the stored leads
    back)."""
    progress = progress or Progress()
    selected = select_rules(rules)
    with engine.connect() as conn:
        insp = conn.execute(select(Inspection.__table__).where(Inspection.id == inspection_id)).first()
        if insp is None:
            raise UserError(f"no inspection with id {inspection_id} in this store")
        snapshot_id = conn.execute(
            select(Snapshot.id).where(Snapshot.inspection_id == inspection_id).order_by(Snapshot.version.desc()).limit(1)
        ).scalar_one_or_none()
        if snapshot_id is None:
            raise UserError(f"inspection {inspection_id} has no synced data")
        settings = screening_settings(effective_settings(conn, inspection_id))
        ctx = context_for(snapshot_id, insp.fixmedins_code, _day(insp.date_from), _day(insp.date_to),
                          _time(insp.visit_time), settings, progress)
        # The connection has auto-begun one read transaction: every rule sees the same store.
        # A cancel also interrupts a long statement (SQLite's progress handler), not only
        # the loops between them.
        dbapi = conn.connection.driver_connection
        dbapi.set_progress_handler(lambda: 1 if progress.is_cancelled() else 0, 200_000)
        # The leads go, a batch at a time, into a temporary table of this connection (in memory:
        # temp_store=MEMORY; SQLite pages, not Python objects), and from there into `lead` with one
        # INSERT ... SELECT once the write transaction begins: the store's writers are only kept
        # waiting for that, not for the rules.
        tcur = dbapi.cursor()
        tcur.execute(f"DROP TABLE IF EXISTS temp.{PENDING}")
        tcur.execute(f"CREATE TEMP TABLE {PENDING} (rule TEXT, key TEXT, severity TEXT, amount INTEGER, figures TEXT, "
                     "summary TEXT)")
        batch: list[tuple] = []
        kept: list[LeadResult] = []
        counts: dict[str, int] = {}
        dumps = json.JSONEncoder(ensure_ascii=False).encode
        insert = f"INSERT INTO temp.{PENDING} VALUES (?, ?, ?, ?, ?, ?)"

        def sink(lead: LeadResult) -> None:
            counts[lead.rule] = counts.get(lead.rule, 0) + 1
            batch.append((lead.rule, lead.key_json, lead.severity, to_scaled(lead.amount, 2), dumps(lead.figures),
                          lead.summary))
            if len(batch) >= 1000:
                tcur.executemany(insert, batch)
                batch.clear()
            if keep_leads:
                kept.append(lead)

        try:
            try:
                _none, seconds = screen_snapshot(conn, ctx, selected, sink)
                tcur.executemany(insert, batch)
                batch.clear()
            except OPERATIONAL_ERRORS as exc:
                if progress.is_cancelled() and "interrupt" in str(exc):
                    raise Cancelled() from None
                raise
            finally:
                dbapi.set_progress_handler(None, 0)
            conn.commit()       # the end of the read transaction (the temporary table is the connection's)
            computed_at = datetime.now().strftime(TIMESTAMP_FORMAT)
            result = ScreeningResult(inspection_id, snapshot_id, settings, selected, kept, seconds, computed_at, counts)
            progress.check()
            progress.set_status(_("Saving the leads"))
            # the write transaction, on this connection: BEGIN IMMEDIATE (see inspector.db.write_transaction)
            with conn.execution_options(begin="IMMEDIATE").begin():
                cur = dbapi.cursor()
                marks = ",".join("?" * len(selected))
                cur.execute(f"DELETE FROM lead WHERE snapshot_id = ? AND rule IN ({marks})", (snapshot_id, *selected))
                cur.execute(
                    "INSERT INTO lead (inspection_id, snapshot_id, rule, key, severity, amount, figures, summary, "
                    f"computed_at) SELECT ?, ?, rule, key, severity, amount, figures, summary, ? FROM temp.{PENDING} "
                    "ORDER BY rowid", (inspection_id, snapshot_id, computed_at))
                append_event(engine, inspection_id, "screening.run",
                             {"snapshot_id": snapshot_id, "rules": selected, "settings": settings,
                              "counts": result.counts(), "computed_at": computed_at}, actor=actor, conn=conn)
                progress.check()  # last chance to cancel before the commit
        finally:
            if conn.in_transaction():
                conn.rollback()
            tcur.execute(f"DROP TABLE IF EXISTS temp.{PENDING}")
    return result


def _day(value):
    from inspector.coltypes import DATE_FORMAT

    return datetime.strptime(value, DATE_FORMAT).date() if isinstance(value, str) else value


def _time(value):
    return datetime.strptime(value, TIMESTAMP_FORMAT) if isinstance(value, str) else value
