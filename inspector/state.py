"""One consistent state of an inspection, derived in one place and read by the CLI, the GUI, the
PDF and the workbook alike.

- Which finding rests on which source (a lead, a census entry, a counted drug, a reviewed record):
  a lead a current finding rests on is *confirmed* with that finding's number, whatever was
  decided on it before (`lead_findings`).
- Changing what a finding rests on is refused with a message naming the finding
  (`guard_source`): undoing or changing a census tick, re-counting a drug, re-answering a
  reviewed record, or re-deciding a lead. Correct the finding first (a draft or returned one
  by editing its source away is not possible, so: amend or leave it); the check stays as the
  finding shows it. This is the choice issue 12 offers ("refused with a message naming the
  finding"), documented in the README.
- The stage of the inspection: synced, on site, in review, approved, signed, uploaded
  (`inspection_stage`).
- The required checks and whether each is finished or waived by the lead with a reason
  (`check_progress`, `report_blockers`); the final (approved) report is not produced while one
  is neither.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection

from inspector.errors import UserError
from inspector.events import read_events
from inspector.i18n import N_, _

SOURCE_WHAT = {
    "lead": N_("the lead {ref}"),
    "census": N_("the census outcome of visit {ref}"),
    "stock": N_("the count of drug {ref}"),
    "record": N_("the review of record {ref}"),
}

STAGES = ("synced", "on_site", "in_review", "approved", "signed", "uploaded")
STAGE_LABELS = {
    "synced": N_("Synced, not yet on site"),
    "on_site": N_("On site"),
    "in_review": N_("In review by the team lead"),
    "approved": N_("Approved by the team lead"),
    "signed": N_("Signed"),
    "uploaded": N_("Uploaded to the central"),
}
CHECKS = ("census", "stock", "records")
CHECK_LABELS = {
    "census": N_("ward census"),
    "stock": N_("drug stock count"),
    "records": N_("record review"),
}


# --- findings and what they rest on ---------------------------------------------------------

def current_findings(conn: Connection, inspection_id: int) -> list[Any]:
    """The findings that count now (amended originals left out), in creation order."""
    from inspector.findings.lifecycle import fold_findings

    return [f for f in fold_findings(conn, inspection_id) if not f.superseded]


def _lead_ref(rule: str, key: Any) -> str:
    if isinstance(key, str):
        key = json.loads(key)
    return f"{rule}:{json.dumps([str(k) for k in key], ensure_ascii=False, separators=(',', ':'))}"


def lead_findings(conn: Connection, inspection_id: int) -> dict[str, int]:
    """Lead reference 'RULE:[key]' -> the number of the current finding resting on it."""
    out: dict[str, int] = {}
    for f in current_findings(conn, inspection_id):
        if f.source_type == "lead" and f.ref not in out:
            out[f.ref] = f.no
    return out


def finding_resting_on(conn: Connection, inspection_id: int, source_type: str, ref: str) -> Any | None:
    """The current finding created from (source_type, ref), or None."""
    if source_type == "lead" and ":" in ref:
        rule, _sep, key = ref.partition(":")
        ref = _lead_ref(rule, key)
    return next((f for f in current_findings(conn, inspection_id)
                 if f.source_type == source_type and f.ref == ref), None)


def guard_source(conn: Connection, inspection_id: int, source_type: str, ref: str | None, action: str) -> None:
    """Refuse `action` (already translated) on a source a current finding rests on, naming the finding."""
    if not ref:
        return
    f = finding_resting_on(conn, inspection_id, source_type, ref)
    if f is None:
        return
    raise UserError(_("{action} refused: finding {n} ({status}) rests on {what}. Correct or amend finding {n} "
                      "first; the check stays as the finding shows it.").format(
        action=action, n=f.no, status=_(f.status), what=_(SOURCE_WHAT[source_type]).format(ref=ref)))


# --- checks: performed, finished, waived ----------------------------------------------------

@dataclass(frozen=True)
class CheckProgress:
    """One on-site check: whether it was begun, its size, how much is done, and any waiver."""

    check: str                 # census | stock | records
    required: bool
    performed: bool            # anything recorded for it
    total: int                 # beds on the roster / drugs in the sample / records in the sample
    done: int                  # beds checked / drugs counted / records fully reviewed
    population: int | None = None   # records: discharged in the window; stock: drugs in the ledgers
    seed: int | None = None
    waived_reason: str | None = None
    waived_by: str | None = None
    empty: bool = False        # nothing to check at this institution (no inpatients, drugs, records)

    @property
    def finished(self) -> bool:
        return self.empty or (self.performed and self.done >= self.total)

    @property
    def label(self) -> str:
        return _(CHECK_LABELS[self.check])


def required_checks(settings: dict[str, Any]) -> list[str]:
    raw = settings.get("required_checks", ",".join(CHECKS))
    items = raw if isinstance(raw, list) else str(raw).split(",")
    return [c.strip() for c in items if c.strip() in CHECKS]


def waivers(conn: Connection, inspection_id: int) -> dict[str, dict[str, Any]]:
    """check -> the latest waiver {reason, by, at} (a later 'onsite.waiver_withdrawn' removes it)."""
    out: dict[str, dict[str, Any]] = {}
    for ev in read_events(conn, inspection_id, ["onsite.check_waived", "onsite.waiver_withdrawn"]):
        if ev.kind == "onsite.check_waived":
            out[ev.payload["check"]] = {"reason": ev.payload["reason"], "by": ev.payload["by"], "at": ev.at}
        else:
            out.pop(ev.payload["check"], None)
    return out


def check_progress(conn: Connection, inspection_id: int) -> list[CheckProgress]:
    """Census, stock count and record review: performed, size, done, finished, waived."""
    from inspector.checks import records as rec
    from inspector.checks import stock
    from inspector.checks.census import census_context, census_state, roster
    from inspector.checks.context import check_context
    from inspector.settings import effective_settings

    settings = effective_settings(conn, inspection_id)
    required = set(required_checks(settings))
    waived = waivers(conn, inspection_id)
    out: list[CheckProgress] = []

    def add(check: str, **kw: Any) -> None:
        w = waived.get(check) or {}
        out.append(CheckProgress(check, check in required, waived_reason=w.get("reason"), waived_by=w.get("by"), **kw))

    ctx = census_context(conn, inspection_id)
    beds = roster(conn, inspection_id, ctx=ctx)
    st = census_state(conn, inspection_id)
    on_roster = {e.mdtrt_id for e in beds}
    checked = sum(1 for m in st.outcomes if m in on_roster)
    add("census", performed=bool(st.ticks), total=len(beds), done=checked, empty=not beds and not st.ticks)

    cctx = check_context(conn, inspection_id)
    sample = stock.current_sample(conn, inspection_id)
    if sample is None:
        n_drugs = len(stock.ledger_drugs(conn, cctx.snapshot_id))
        add("stock", performed=False, total=0, done=0, population=n_drugs, empty=n_drugs == 0)
    else:
        counted = {p.payload["med_list_codg"] for p in read_events(conn, inspection_id, ["stock.counted"])}
        drugs = sample.drugs
        add("stock", performed=bool(counted & set(drugs)), total=len(drugs),
            done=sum(1 for d in drugs if d in counted), seed=sample.seed)

    rsample = rec.current_sample(conn, inspection_id)
    if rsample is None:
        pop = len(rec.population(conn, cctx))
        add("records", performed=False, total=0, done=0, population=pop, empty=pop == 0)
    else:
        summary = rec.records_summary(conn, inspection_id)
        reviewed = sum(1 for r in summary.records if r.status in ("pass", "fail"))
        answered = any(r.status != "not_reviewed" for r in summary.records)
        add("records", performed=answered, total=len(summary.records), done=reviewed,
            population=rsample.population, seed=rsample.seed)
    return out


def report_blockers(conn: Connection, inspection_id: int) -> list[str]:
    """Why the final report cannot be produced yet: each required check neither finished nor waived."""
    out = []
    for p in check_progress(conn, inspection_id):
        if p.required and not p.finished and not p.waived_reason:
            out.append(_("the {check} is unfinished ({done} of {total} done)").format(
                check=p.label, done=p.done, total=p.total) if p.performed or p.total
                else _("the {check} was not done").format(check=p.label))
    from inspector.exchange.conflicts import list_conflicts

    conflicts = len(list_conflicts(conn, inspection_id))
    if conflicts:
        out.append(_("{n} items were recorded differently on two laptops and are not yet resolved")
                   .format(n=conflicts))
    return out


# --- the stage ------------------------------------------------------------------------------

@dataclass(frozen=True)
class Stage:
    code: str                  # one of STAGES
    detail: str = ""           # e.g. "2 of 3 signatures"

    @property
    def label(self) -> str:
        return _(STAGE_LABELS[self.code])

    def text(self) -> str:
        return self.label + (f"（{self.detail}）" if self.detail else "")


ON_SITE_KINDS = ("census.*", "stock.*", "records.*", "lead.decided", "evidence.*", "finding.*", "onsite.*",
                 "documents.*")


def inspection_stage(conn: Connection, inspection_id: int) -> Stage:
    """Where the inspection stands, from its events: synced, on site, in review, approved, signed, uploaded."""
    from inspector.reports.signoff import signatures_state
    from inspector.upload import list_packages

    packages = list_packages(conn, inspection_id)
    if any(p.status == "verified" for p in packages):
        return Stage("uploaded")
    signed, declared = signatures_state(conn, inspection_id)
    if packages or (declared and signed >= declared):
        return Stage("signed")
    events = read_events(conn, inspection_id, list(ON_SITE_KINDS))
    if not events:
        return Stage("synced")
    findings = current_findings(conn, inspection_id)
    approved_docs = any(e.kind == "documents.approved" for e in events)
    if findings and all(f.status == "approved" for f in findings) or (not findings and approved_docs):
        detail = _("{n} of {m} signatures").format(n=signed, m=declared) if signed else ""
        return Stage("approved", detail)
    closed = any(e.kind == "onsite.closed" for e in events) and not any(
        e.kind == "onsite.reopened" and e.seq > max(x.seq for x in events if x.kind == "onsite.closed")
        for e in events)
    if closed or any(f.status in ("submitted", "returned") for f in findings):
        waiting = sum(1 for f in findings if f.status == "submitted")
        return Stage("in_review", _("{n} findings waiting").format(n=waiting) if waiting else "")
    return Stage("on_site")
