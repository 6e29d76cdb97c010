"""Rows of the findings list and the appendices, read through the findings, census, stock-count,
record-review and screening modules (each module's own folding of its events)."""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, Engine

from inspector.coltypes import TIMESTAMP_FORMAT
from inspector.i18n import N_, _
from inspector.reports.model import CensusRow, FindingRow, LeadRow, RecordReviewRow, StockRow


def _time(text: Any) -> datetime | None:
    try:
        return datetime.strptime(str(text)[:19], TIMESTAMP_FORMAT)
    except (TypeError, ValueError):
        return None


def _dec(v: Any) -> Decimal | None:
    return None if v is None else Decimal(str(v))


def _pct(v: Any) -> str:
    return "—" if v is None else f"{Decimal(str(v)) * 100:.1f}%"


SOURCE_WORDS = {
    "lead": N_("screening lead {rule}"),
    "census": N_("ward census, visit {ref}"),
    "stock": N_("drug stock count, drug {ref}"),
    "record": N_("record review, visit {ref}"),
    "manual": N_("entered by hand"),
}


def source_text(source_type: str, ref: str) -> str:
    """Where a finding comes from, in words (no raw reference syntax)."""
    rule = ref.partition(":")[0] if source_type == "lead" else ""
    return _(SOURCE_WORDS.get(source_type, source_type)).format(rule=rule, ref=ref)


def findings_rows(conn: Connection, inspection_id: int) -> tuple[list[FindingRow], bool]:
    """The current (not superseded) findings as list rows, and whether every one is approved."""
    from inspector.findings import fold_findings

    current = [f for f in fold_findings(conn, inspection_id) if not f.superseded]
    rows = []
    for f in current:
        d = f.as_dict()
        source = source_text(d["source_type"], d["ref"])
        if d.get("amends"):
            source += " · " + _("amends an earlier finding")
        rows.append(FindingRow(
            category=f"{d['category']} {d['category_name']}", basis=d["basis"], description=d["description"],
            amount=Decimal(d["amount"]), recovery=Decimal(d["recovery"]), fine_range=d["fine_range"],
            multiplier=_dec(d["multiplier"]), fine=Decimal(d["fine"]), handling=d["handling"],
            status=d["status"], source=source, reviews=tuple(review_lines(f.reviews))))
    return rows, bool(current) and all(f.status == "approved" for f in current)


def review_lines(reviews: list[dict[str, Any]]) -> list[str]:
    """A finding's review history for people: when, who (the reviewer's account name), decision, comment."""
    out = []
    for r in reviews:
        decision = _("approved it") if r["decision"] == "approve" else _("returned it")
        who = r.get("reviewer_name") or r.get("reviewer", "")
        if r.get("as") == "deputy":
            who = _("{name} (deputy reviewer)").format(name=who)
        at = str(r.get("at", ""))[:16]
        comment = (r.get("comment") or "").strip()
        out.append(_("{at} {who} {decision}: {comment}").format(at=at, who=who, decision=decision, comment=comment)
                   if comment else _("{at} {who} {decision}").format(at=at, who=who, decision=decision))
    return out


def census_rows(conn: Connection, inspection_id: int) -> tuple[list[CensusRow], list[str]]:
    """Every roster bed with its outcome (and unregistered occupants), plus the census figures."""
    from inspector.checks.census import census_state, census_summary, roster, roster_as_dicts
    from inspector.reports.data import census_period_text
    from inspector.reports.wording import percent

    st = census_state(conn, inspection_id)
    if not st.ticks:
        return [], []
    summary = census_summary(conn, inspection_id)
    amounts = {f["mdtrt_id"]: Decimal(f["amount"]) for f in summary["flagged"]}
    phantom = {f["mdtrt_id"] for f in summary["flagged"] if f.get("phantom_by_ward_rule")}
    ward_names = {w["ward_codg"]: w["ward_name"] or w["ward_codg"] for w in summary["wards"]}
    rows = []
    for d in roster_as_dicts(roster(conn, inspection_id), st):
        note = "；".join(x for x in (d.get("note") or "",
                                    _("staff on duty: {s}").format(s=d["staff_on_duty"]) if d.get("staff_on_duty") else "",
                                    _("phantom inpatient by the ward rule") if d["mdtrt_id"] in phantom else "") if x)
        rows.append(CensusRow(ward=d["ward_name"], bed=d["bed"], patient=d["psn_name"], days=d["days"],
                              outcome=d["outcome"] or "not_checked", checked_at=_time(d.get("checked_at")),
                              amount=amounts.get(d["mdtrt_id"]), note=note))
    for ev in st.unregistered:
        p = ev.payload
        rows.append(CensusRow(ward=ward_names.get(p["ward_codg"], p["ward_codg"]), bed=p["bed"], patient="", days=None,
                              outcome="unregistered", checked_at=_time(p.get("checked_at")), note=p.get("note") or ""))
    o = summary["overall"]
    lines = [_("Registered {registered}, checked {checked}, unregistered occupants {unregistered}; absent rate {absent}, "
               "occupancy {occupancy}; amount involved {amount}.").format(
        registered=o["registered"], checked=o["checked"], unregistered=o["unregistered"], absent=percent(o["absent_rate"]),
        occupancy=percent(o["occupancy"]), amount=f"{Decimal(o['amount_involved']):,.2f}")]
    rule = summary["ward_rule"]
    if rule.get("applied_wards"):
        lines.append(_("Ward absence rule applied (tier {tier}, threshold {t}) to wards: {wards}.").format(
            tier=rule["tier"], t=percent(rule["threshold"]),
            wards="、".join(ward_names.get(w, w) for w in rule["applied_wards"])))
    first, last = _time(summary["first_checked_at"]), _time(summary["last_checked_at"])
    if first and last:
        lines.append(_("Census taken {when} ({period}).").format(
            when=census_period_text(first, last), period=_("night") if summary["period"] == "night" else _("day")))
    return rows, lines


STOCK_VERDICT = {"ok": "within", "shortage": "shortage", "surplus": "surplus", "not_counted": "not_counted"}


def stock_rows(conn: Connection, inspection_id: int) -> tuple[list[StockRow], list[str]]:
    """The sampled drugs with expected, counted, variance and verdict, plus the method and stocking ratios."""
    from inspector.checks.context import check_context
    from inspector.checks.stock import current_sample, ledger_drugs, stock_summary
    from inspector.reports.wording import percent, stock_method

    sample = current_sample(conn, inspection_id)
    if sample is None:
        return [], []
    s = stock_summary(conn, inspection_id)
    others = len(ledger_drugs(conn, check_context(conn, inspection_id).snapshot_id)) - len(sample.top)
    rows = [StockRow(code=r.med_list_codg, name=r.name or "", unit=r.unit or "", expected=r.expected,
                     counted=r.counted, variance=r.variance, variance_rate=r.rate, amount=r.amount,
                     verdict=STOCK_VERDICT.get(r.status, r.status), note=r.note or "") for r in s.rows]
    lines = [_("Sample: {method}").format(method=stock_method(sample.seed, len(sample.top), len(sample.random),
                                                             others, len(sample.added))),
             _("Count tolerance {t}; amount beyond tolerance {amount}.").format(
                 t=percent(s.count_tolerance), amount=f"{s.total_amount:,.2f}")]
    names = {"X": _("western drugs"), "Z": _("patent drugs")}
    for ratio in s.stocking:
        lines.append(_("Formulary stocking ratio ({cat}): {ratio} of {den} varieties, minimum {min}.").format(
            cat=names.get(ratio.category, ratio.category), ratio=percent(ratio.ratio), den=ratio.denominator,
            min=percent(ratio.minimum)))
    if s.repeated_trace_codes:
        lines.append(_("Traceability codes sold more than once: {n}.").format(n=len(s.repeated_trace_codes)))
    return rows, lines


def record_rows(conn: Connection, inspection_id: int) -> tuple[list[RecordReviewRow], list[str]]:
    """The reviewed records with patient and department names, result, failing items and amount, plus the
    sampling method in words."""
    from inspector.checks.context import check_context
    from inspector.checks.records import current_sample, records_summary
    from inspector.reports.wording import records_method

    sample = current_sample(conn, inspection_id)
    if sample is None:
        return [], []
    s = records_summary(conn, inspection_id)
    sid = check_context(conn, inspection_id).snapshot_id
    depts, people = names_of(conn, sid, [r.psn_no for r in s.records if r.psn_no])
    result = {"pass": "pass", "fail": "fail"}
    rows = [RecordReviewRow(
        mdtrt_id=r.mdtrt_id, dept=depts.get(r.dept_codg or "", r.dept_codg or ""),
        patient=people.get(r.psn_no or "", r.psn_no or ""),
        result=result.get(r.status, "pending"),
        failed_items="；".join(i.label for i in r.items if i.outcome == "fail"),
        amount=r.amount if r.status == "fail" else None,
        note="；".join(i.note for i in r.items if i.outcome == "fail" and i.note)) for r in s.records]
    lines = [_("Sample: {method}").format(method=records_method(s.seed, s.n, s.population, s.stratified, s.strata,
                                                               depts)),
             _("Checklist {name}, version {version}; amount of failed records {amount}.").format(
                 name=_("default") if s.template.get("name") == "default" else s.template.get("name", ""),
                 version=s.template.get("version", ""),
                 amount=f"{s.total_amount:,.2f}")]
    return rows, lines


def names_of(conn: Connection, snapshot_id: int, psn_nos: list[str]) -> tuple[dict[str, str], dict[str, str]]:
    """(department code -> name, person number -> name) from the snapshot."""
    depts = {c: n for c, n in conn.exec_driver_sql(
        "SELECT DISTINCT dept_codg, dept_name FROM snap_wards WHERE snapshot_id = ? AND dept_name IS NOT NULL",
        (snapshot_id,)) if c}
    people: dict[str, str] = {}
    for i in range(0, len(psn_nos), 500):
        chunk = psn_nos[i:i + 500]
        people.update({p: n for p, n in conn.exec_driver_sql(
            f"SELECT psn_no, psn_name FROM snap_psn_info WHERE snapshot_id = ? AND psn_no IN ({', '.join('?' * len(chunk))})",
            (snapshot_id, *chunk)) if n})
    return depts, people


def lead_rows(engine: Engine, inspection_id: int) -> list[LeadRow]:
    """Every lead of the current snapshot with its outcome: confirmed with the finding's number when a finding
    rests on it, dismissed with the reason, or not yet verified."""
    from inspector.screening.leads import list_leads

    return [LeadRow(rule=lead.rule, key=" / ".join(str(k) for k in lead.key), amount=lead.amount,
                    outcome=lead.status, severity=lead.severity or "",
                    note=(lead.reason or "") if lead.status == "dismissed" else lead.summary,
                    finding_no=lead.finding_no)
            for lead in list_leads(engine, inspection_id)]
