"""From an inspection's approved findings to deductions, scores and grades.

Each current (not superseded) approved finding is matched against the deduction table's rules
in order (`inspector.credit.table`); its facts are `fraud`, `category`, `source` (lead, census,
stock, record, manual) and, for a lead, its `rule`. The institution loses the rule's points
(graded by the amount involved where the rule has bands); the 2nd and later findings under the
same rule weigh `repeat.multiplier` times. A finding that rests on fee lines or a stay also
costs the doctor: the billing doctors (`bilg_dr_codg`) of its fee lines (S3, S5), or the
attending doctor (`atddr_codg`) of its stay (S1: the readmission, S9: the later stay, S4, S8,
a census entry, a reviewed record: the medical record's attending doctor first). Score =
max(0, base - deductions); the grade is read from the table's thresholds.
"""
from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy import Engine

from inspector.credit.table import DeductionTable, Subject, load_table
from inspector.findings.lifecycle import Finding, fold_findings

STAY_RULES = {"S1": 1, "S4": 0, "S8": 0, "S9": 1}      # lead rule -> index of the stay in its key
LINE_RULES = ("S3", "S5")


@dataclass
class Deduction:
    finding_no: int
    rule: str
    rule_name: str
    amount: Decimal
    points: Decimal
    repeat: int                       # 1 for the first finding under this rule, 2 for the second, ...


@dataclass
class Account:
    """One subject's deductions, score and grade."""

    code: str
    name: str
    base: Decimal
    deductions: list[Deduction] = field(default_factory=list)

    @property
    def deducted(self) -> Decimal:
        return sum((d.points for d in self.deductions), Decimal(0))

    @property
    def score(self) -> Decimal:
        return max(Decimal(0), self.base - self.deducted)


@dataclass
class CreditResult:
    table: DeductionTable
    institution: Account
    doctors: list[Account]
    unmatched: list[int]              # finding numbers no rule matched (none with the default table)


def finding_facts(f: Finding) -> dict[str, Any]:
    facts: dict[str, Any] = {"fraud": bool(f.fraud), "category": f.category, "source": f.source_type}
    if f.source_type == "lead" and ":" in (f.ref or ""):
        facts["rule"] = f.ref.split(":", 1)[0]
    return facts


def score_findings(findings: list[Finding], table: DeductionTable, fixmedins_code: str, institution_name: str = "",
                   doctors_of: Any = None) -> CreditResult:
    """Deductions for the institution and doctors from `findings` (only current approved ones count).

    `doctors_of(finding) -> [(code, name), ...]` names the doctors a finding rests on."""
    inst = Account(fixmedins_code, institution_name, table.institution.base)
    docs: dict[str, Account] = {}
    count: dict[str, int] = defaultdict(int)
    unmatched = []
    for f in sorted(findings, key=lambda f: f.no):
        if f.superseded or f.status != "approved":
            continue
        rule = table.rule_for(finding_facts(f))
        if rule is None:
            unmatched.append(f.no)
            continue
        count[rule.id] += 1
        n = count[rule.id]

        def points(p, subject: Subject) -> Decimal:
            value = p.for_amount(f.amount, subject.base)
            return table.repeated(value) if n > 1 and not p.is_max else value

        inst.deductions.append(Deduction(f.no, rule.id, rule.name, f.amount, points(rule.institution, table.institution), n))
        doctor_points = points(rule.doctor, table.doctor)
        if doctor_points and doctors_of is not None:
            for code, name in doctors_of(f):
                acc = docs.setdefault(code, Account(code, name or "", table.doctor.base))
                acc.deductions.append(Deduction(f.no, rule.id, rule.name, f.amount, doctor_points, n))
    return CreditResult(table, inst, [docs[k] for k in sorted(docs)], unmatched)


def _key(ref: str) -> list[str]:
    try:
        return [str(x) for x in json.loads(ref.split(":", 1)[1])]
    except (ValueError, IndexError):
        return []


def snapshot_doctors(conn, snapshot_id: int):
    """`doctors_of` over the inspection's snapshot (see the module text)."""
    def attending(mdtrt_id: str, record_first: bool = False) -> list[tuple[str, str]]:
        if record_first:
            row = conn.exec_driver_sql(
                "SELECT r.atddr_codg, m.atddr_name FROM snap_medrcd r LEFT JOIN snap_mdtrt m ON m.snapshot_id = r.snapshot_id "
                "AND m.mdtrt_id = r.mdtrt_id WHERE r.snapshot_id = ? AND r.mdtrt_id = ? AND r.atddr_codg IS NOT NULL",
                (snapshot_id, mdtrt_id)).fetchone()
            if row and row[0]:
                return [(row[0], row[1] or "")]
        row = conn.exec_driver_sql("SELECT atddr_codg, atddr_name FROM snap_mdtrt WHERE snapshot_id = ? AND mdtrt_id = ?",
                                   (snapshot_id, mdtrt_id)).fetchone()
        return [(row[0], row[1] or "")] if row and row[0] else []

    def billing(where: str, params: tuple) -> list[tuple[str, str]]:
        rows = conn.exec_driver_sql(
            f"SELECT DISTINCT bilg_dr_codg FROM snap_feedetl WHERE snapshot_id = ? AND bilg_dr_codg IS NOT NULL AND {where} "
            "ORDER BY bilg_dr_codg", (snapshot_id, *params)).fetchall()
        return [(r[0], "") for r in rows]

    def doctors_of(f: Finding) -> list[tuple[str, str]]:
        if f.source_type in ("census", "record"):
            return attending(f.ref, record_first=f.source_type == "record")
        if f.source_type != "lead":
            return []
        rule, key = f.ref.split(":", 1)[0], _key(f.ref)
        if rule in STAY_RULES and len(key) > STAY_RULES[rule]:
            return attending(key[STAY_RULES[rule]])
        if rule == "S5" and key:
            return billing("feedetl_sn = ?", (key[0],))
        if rule == "S3" and len(key) == 3:
            return billing("mdtrt_id = ? AND med_list_codg = ? AND substr(fee_ocur_time, 1, 10) = ?", tuple(key))
        return []

    return doctors_of


def credit_for_inspection(engine: Engine, inspection_id: int, table: DeductionTable | None = None) -> CreditResult:
    """The credit result of an inspection's current approved findings."""
    from inspector.db import session_factory
    from inspector.inspections import current_snapshot, get_inspection

    table = table or load_table()
    with session_factory(engine)() as session:
        insp = get_inspection(session, inspection_id)
        snap = current_snapshot(session, inspection_id)
        conn = session.connection()
        name = conn.exec_driver_sql("SELECT fixmedins_name FROM snap_fixmedins WHERE snapshot_id = ? AND fixmedins_code = ?",
                                    (snap.id, insp.fixmedins_code)).scalar() or ""
        findings = fold_findings(conn, inspection_id)
        return score_findings(findings, table, insp.fixmedins_code, name, snapshot_doctors(conn, snap.id))


def _account(a: Account, subject: Subject) -> dict[str, Any]:
    g = subject.grade(a.score)
    return {"code": a.code, "name": a.name, "base": str(a.base),
            "deductions": [{"finding_no": d.finding_no, "rule": d.rule, "rule_name": d.rule_name, "amount": str(d.amount),
                            "points": str(d.points), "repeat": d.repeat} for d in a.deductions],
            "deducted": str(a.deducted), "score": str(a.score), "grade": g.grade, "grade_name": g.name}


def credit_json(result: CreditResult) -> dict[str, Any]:
    """The credit result as JSON (`credit --format json`, and the `credit` key of the upload's findings JSON)."""
    t = result.table
    return {"table": {"version": t.version, "sha256": t.sha256},
            "institution": _account(result.institution, t.institution),
            "doctors": [_account(d, t.doctor) for d in result.doctors],
            "unmatched_findings": list(result.unmatched)}
