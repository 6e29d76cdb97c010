"""Credit scoring: every rule of the default deduction table at its edges, repeats, the maximum
deduction for fraud, grades at their thresholds, doctors from fee lines and stays, the CLI."""
from __future__ import annotations

import json
from decimal import Decimal

import pytest

from inspector.credit import load_table, score_findings
from inspector.credit.scoring import snapshot_doctors
from inspector.findings.lifecycle import Finding

TABLE = load_table()
SOURCE_OF_RULE = {"S1", "S2", "S3", "S4", "S5", "S6", "S7", "S8", "S9"}


def finding(no: int, *, amount: str = "100.00", category: str = "V03", source: str = "manual", ref: str = "",
            fraud: bool = False, status: str = "approved", amended_by: str | None = None) -> Finding:
    return Finding(no=no, id=f"f{no}", source_type=source, ref=ref, category=category, amount=Decimal(amount),
                   multiplier=None, fixed_fine=None, refused=False, fraud=fraud, band=None, allowed=None,
                   description="", handling="", evidence=[], status=status, created_by="t", created_at="",
                   amended_by=amended_by)


def matching(rule) -> dict:
    """Finding arguments that the rule's `when` fits (and no earlier rule does)."""
    w = rule.when
    if w.get("fraud"):
        return {"fraud": True}
    if "rule" in w:
        return {"source": "lead", "ref": f'{w["rule"]}:["x"]', "category": "V07"}
    if "source" in w:
        return {"source": w["source"], "ref": "M1", "category": "V01" if w["source"] != "stock" else "V04"}
    return {"category": w["category"]}


def points_of(f: Finding) -> Decimal:
    return score_findings([f], TABLE, "H61010000001").institution.deductions[0].points


def test_the_default_table_has_about_25_rules_from_fraud_down():
    assert TABLE.version == "deductions-v1" and 24 <= len(TABLE.rules) <= 27
    assert TABLE.rules[0].when == {"fraud": True} and TABLE.rules[0].institution.is_max
    assert {r.when.get("rule") for r in TABLE.rules if "rule" in r.when} == SOURCE_OF_RULE
    assert {r.when.get("source") for r in TABLE.rules if "source" in r.when and "rule" not in r.when} == \
        {"census", "stock", "record"}


@pytest.mark.parametrize("rule", TABLE.rules, ids=lambda r: r.id)
def test_each_rule_at_its_edges(rule):
    args = matching(rule)
    assert TABLE.rule_for({"fraud": args.get("fraud", False), "category": args.get("category", "V03"),
                           "source": args.get("source", "manual"),
                           **({"rule": args["ref"].split(":")[0]} if args.get("source") == "lead" else {})}) is rule
    p = rule.institution
    if p.is_max:
        assert points_of(finding(1, amount="0.01", **args)) == TABLE.institution.base
        assert points_of(finding(1, amount="9999999.99", **args)) == TABLE.institution.base
    elif p.fixed is not None:
        for amount in ("0.00", "0.01", "4999.99", "5000.00", "1000000.00"):
            assert points_of(finding(1, amount=amount, **args)) == p.fixed
    else:
        for i, (below, pts) in enumerate(p.bands):
            if below is None:
                assert points_of(finding(1, amount=str(p.bands[i - 1][0]), **args)) == pts
                assert points_of(finding(1, amount="99999999.99", **args)) == pts
                continue
            assert points_of(finding(1, amount=str(below - Decimal("0.01")), **args)) == pts      # inside
            assert points_of(finding(1, amount=str(below), **args)) == p.bands[i + 1][1]        # the edge: next band
            # a negative amount (reversals) is graded by its size
            assert points_of(finding(1, amount=str(-(below - Decimal("0.01"))), **args)) == pts


def test_the_published_figures_of_the_default_bands():
    s1 = {"source": "lead", "ref": 'S1:["A","B"]', "category": "V01"}
    assert [points_of(finding(1, amount=a, **s1)) for a in ("4999.99", "5000.00", "49999.99", "50000.00")] == \
        [Decimal(3), Decimal(6), Decimal(6), Decimal(10)]
    assert points_of(finding(1, category="F01")) == 40           # impersonation
    assert points_of(finding(1, category="V03", fraud=True)) == 100   # fraud: the maximum, whatever the category


def test_repeats_weigh_more_and_only_under_the_same_rule():
    s5 = lambda no, amount="10.00": finding(no, source="lead", ref=f'S5:["L{no}"]', amount=amount)  # noqa: E731
    r = score_findings([s5(1), s5(2), s5(3), finding(4, category="V06")], TABLE, "H1")
    assert [(d.rule, d.points, d.repeat) for d in r.institution.deductions] == [
        ("R11", Decimal(2), 1), ("R11", Decimal("3.0"), 2), ("R11", Decimal("3.0"), 3), ("R24", Decimal(2), 1)]
    assert r.institution.deducted == Decimal("10.0") and r.institution.score == Decimal("90.0")
    # 1.5 x 3 = 4.5; a table's multiplier of 1.25 x 3 = 3.75 -> 3.8 (half up, one place)
    s1 = [finding(n, source="lead", ref=f'S1:["A{n}","B{n}"]') for n in (1, 2)]
    assert [d.points for d in score_findings(s1, TABLE, "H1").institution.deductions] == [Decimal(3), Decimal("4.5")]
    from dataclasses import replace

    t = replace(TABLE, repeat_multiplier=Decimal("1.25"))
    assert [d.points for d in score_findings(s1, t, "H1").institution.deductions] == [Decimal(3), Decimal("3.8")]


def test_only_current_approved_findings_count_and_the_score_stops_at_zero():
    fs = [finding(1, category="F01"), finding(2, category="F02", status="submitted"),
          finding(3, category="F03", amended_by="f4"), finding(4, category="F03"), finding(5, category="F04")]
    r = score_findings(fs, TABLE, "H1")
    assert [d.finding_no for d in r.institution.deductions] == [1, 4, 5]
    assert r.institution.deducted == Decimal(110) and r.institution.score == 0
    assert TABLE.institution.grade(r.institution.score).grade == "D"


@pytest.mark.parametrize("score,grade", [("100", "A"), ("90", "A"), ("89.9", "B"), ("75", "B"), ("74.5", "C"),
                                         ("60", "C"), ("59.9", "D"), ("0", "D")])
def test_institution_grades_at_their_thresholds(score, grade):
    assert TABLE.institution.grade(Decimal(score)).grade == grade


@pytest.mark.parametrize("score,grade", [("12", "A"), ("11.5", "B"), ("9", "B"), ("8.5", "C"), ("6", "C"),
                                         ("5.5", "D"), ("0", "D")])
def test_doctor_grades_at_their_thresholds(score, grade):
    assert TABLE.doctor.grade(Decimal(score)).grade == grade


def test_doctors_from_fee_lines_and_stays(tmp_path):
    from inspector.db import open_store
    from tests.core.slice_builder import SliceBuilder

    b = SliceBuilder()
    b.item("C001", limit="1")
    b.stay("A1", "2026-10-01 08:00:00", "2026-10-05 09:00:00", psn="P1")
    b.stay("A2", "2026-10-08 08:00:00", "2026-10-12 09:00:00", psn="P1")
    for row, dr in zip(b.rows["mdtrt"], ("DR-A1", "DR-A2")):
        row["atddr_codg"], row["atddr_name"] = dr, f"医生{dr[-2:]}"
    sn1 = b.fee("A2", "2026-10-09 10:00:00", "1", item="C001")
    sn2 = b.fee("A2", "2026-10-09 11:00:00", "1", item="C001")
    b.rows["feedetl"][0]["bilg_dr_codg"] = "DR-B1"
    b.rows["feedetl"][1]["bilg_dr_codg"] = "DR-B2"
    b.medrcd("A1", "I10")
    b.rows["medrcd"][0]["atddr_codg"] = "DR-R1"
    engine = open_store(tmp_path / "s.db")
    iid = b.write(engine)
    fs = [finding(1, source="lead", ref='S1:["A1","A2"]', category="V01"),             # the readmission's doctor
          finding(2, source="lead", ref=f'S5:["{sn1}"]'),                              # the line's billing doctor
          finding(3, source="lead", ref='S3:["A2","C001","2026-10-09"]'),              # both lines' billing doctors
          finding(4, source="record", ref="A1", category="V02"),                       # the record's attending doctor
          finding(5, source="census", ref="A2", category="V01"),
          finding(6, source="lead", ref='S2:["2026-10-09"]'),                          # no single doctor
          finding(7, category="V03")]                                                  # manual: none
    with engine.connect() as conn:
        sid = conn.exec_driver_sql("SELECT max(id) FROM snapshot WHERE inspection_id = ?", (iid,)).scalar()
        r = score_findings(fs, TABLE, "H61010000001", "甲医院", snapshot_doctors(conn, sid))
    got = {d.code: [(x.finding_no, x.points) for x in d.deductions] for d in r.doctors}
    assert got == {"DR-A2": [(1, Decimal(2)), (5, Decimal(3))], "DR-B1": [(2, Decimal(1)), (3, Decimal(1))],
                   "DR-B2": [(3, Decimal(1))], "DR-R1": [(4, Decimal(2))]}
    assert {d.code: d.name for d in r.doctors}["DR-A2"] == "医生A2"
    assert {d.code: d.score for d in r.doctors}["DR-A2"] == Decimal(7)
    assert sn2


def test_a_bad_table_is_one_message(tmp_path, capsys):
    from inspector.cli import run

    bad = tmp_path / "t.toml"
    text = (load_table().path).read_text(encoding="utf-8")
    bad.write_text(text.replace('when = { category = "V07" }', 'when = { colour = "red" }'), encoding="utf-8")
    assert run(["credit", "--inspection", "1", "--table", str(bad), "--db", str(tmp_path / "x.db")]) == 2
    err = capsys.readouterr().err
    assert "t.toml" in err and "R25" in err and "Traceback" not in err
