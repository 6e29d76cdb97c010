"""The documents from real on-site work: findings (category, basis, separate totals), census
rows with outcomes and figures, stock count and record review rows; DRAFT until every finding
is approved."""
from __future__ import annotations

import re
import subprocess
from decimal import Decimal

import pytest

from tests.core.audit_fixtures import Hospital
from tests.core.test_record_review import review_slice
from tests.core.test_stock_count import A, B, ledger_slice
from inspector.checks.census import record_outcome
from inspector.cli import run
from inspector.db import open_store, session_factory
from inspector.findings import create_finding, review_finding, submit_finding
from inspector.reports.data import build_report_data
from inspector.reports.sample import sample_photo
from inspector.checks import records, stock
from tests.support.accounts import team_of, use_account


@pytest.fixture
def inspected(tmp_path, monkeypatch):
    db = tmp_path / "s.db"
    engine = open_store(db)
    h = Hospital().ward("W1").ward("W2")
    for i in range(1, 7):
        h.stay(f"M{i}", f"P{i}", "2026-10-20 08:00:00", None, ward="W1" if i < 4 else "W2", bed=str(i))
        h.fee(f"M{i}", "2026-10-21 09:00:00", f"{100 * i}.50")
    iid = h.write(engine)
    # accounts m1 张伟, m2 李娜 (inspectors), m3 王建国 (lead); the CLI acts as 张伟 unless told otherwise
    people = team_of(engine, iid, [("张伟", "61010012", "inspector"), ("李娜", "61010047", "inspector"),
                                   ("王建国", "61010003", "lead")])
    zw = people["张伟"]
    record_outcome(engine, iid, "M1", "present", note="床头卡一致", checked_at="2026-11-02 10:05:00", actor=zw)
    record_outcome(engine, iid, "M2", "absent", note="外出未请假", checked_at="2026-11-02 10:07:00", photo=sample_photo(1),
                   actor=zw)
    record_outcome(engine, iid, "M5", "identity_mismatch", note="床上为家属", checked_at="2026-11-02 10:12:00", actor=zw)
    create_finding(engine, iid, "census", "M2", description="患者不在床且无请假记录，属挂床住院",
                   handling="追回违规金额并处一倍罚款", actor=zw)
    create_finding(engine, iid, "census", "M5", description="他人冒名住院", handling="追回违规金额并处二倍罚款，移交公安",
                   actor=zw)
    INSPECTED_PEOPLE.clear()
    INSPECTED_PEOPLE.update(people)
    use_account(monkeypatch, tmp_path, "m1")
    return db, engine, iid


INSPECTED_PEOPLE: dict = {}


def test_findings_census_and_leads_reach_the_documents(inspected, tmp_path):
    db, engine, iid = inspected
    with session_factory(engine)() as s:
        data = build_report_data(s, iid)
    assert [f.category.split()[0] for f in data.findings] == ["V01", "F01"]
    assert data.findings[0].amount == Decimal("200.50") == data.findings[0].recovery
    assert data.findings[1].fine == Decimal("1001.00")                       # F01: 2x by default
    assert data.recovery_total == Decimal("701.00") and data.fine_total == Decimal("1201.50")
    assert not data.approved
    outcomes = {r.patient: r.outcome for r in data.census_rows}
    assert outcomes["病人P2"] == "absent" and outcomes["病人P5"] == "identity_mismatch" and outcomes["病人P4"] == "not_checked"
    assert any("登记在院 6 人" in line for line in data.census_summary)
    assert len(data.photos) == 1 and data.photos[0].captured_at is not None
    out = tmp_path / "r.pdf"
    assert run(["report", "--db", str(db), "--inspection", str(iid), "--out", str(out)]) == 0
    text = re.sub(r"\s+", "", subprocess.run(["pdftotext", "-raw", str(out), "-"], capture_output=True, text=True).stdout)
    assert "追回金额合计（退回医保基金）701.00" in text and "罚款合计（上缴国库）1,201.50" in text
    assert "不在床且无有效请假（挂床）" in text and "草稿" in text


def test_draft_until_every_finding_is_approved(inspected, tmp_path, monkeypatch):
    db, engine, iid = inspected
    zw, lead = INSPECTED_PEOPLE["张伟"], INSPECTED_PEOPLE["王建国"]
    for n in (1, 2):
        submit_finding(engine, iid, n, actor=zw)
    review_finding(engine, iid, 1, "return", "请补充护士长证言", actor=lead)
    submit_finding(engine, iid, 1, actor=zw)
    review_finding(engine, iid, 1, "approve", "同意", actor=lead)
    with session_factory(engine)() as s:
        assert not build_report_data(s, iid).approved
    review_finding(engine, iid, 2, "approve", "同意", actor=lead)
    with session_factory(engine)() as s:
        assert build_report_data(s, iid).approved
    out = tmp_path / "r.pdf"
    # the census is unfinished (3 of 6 beds): the final report is refused, nothing written
    assert run(["report", "--db", str(db), "--inspection", str(iid), "--out", str(out)]) == 2
    assert not out.exists()
    assert run(["record", "waive", "--db", str(db), "--inspection", str(iid), "--check", "census",
                "--reason", "其余 3 床为隔离病房，经组长决定不入内核查"]) == 2   # only the lead waives
    use_account(monkeypatch, tmp_path, "m3")                               # logged in as the lead 王建国
    assert run(["record", "waive", "--db", str(db), "--inspection", str(iid), "--check", "census",
                "--reason", "其余 3 床为隔离病房，经组长决定不入内核查"]) == 0
    assert run(["report", "--db", str(db), "--inspection", str(iid), "--out", str(out)]) == 0
    text = subprocess.run(["pdftotext", str(out), "-"], capture_output=True, text=True).stdout
    assert "草稿" not in text
    flat = re.sub(r"\s+", "", text)
    assert "其余部分经检查组组长王建国免除，理由：其余3床为隔离病房" in flat
    # each finding's review history: who, when, what they said
    assert "王建国退回" in flat and "请补充护士长证言" in flat and "王建国通过" in flat, flat[:2000]
    xlsx = tmp_path / "r.xlsx"
    assert run(["report", "--db", str(db), "--inspection", str(iid), "--out", str(xlsx)]) == 0
    from openpyxl import load_workbook

    cells = [str(c.value) for ws in load_workbook(xlsx).worksheets for row in ws.iter_rows() for c in row
             if c.value is not None]
    assert any("请补充护士长证言" in c and "王建国" in c for c in cells)


def test_stock_count_and_record_review_reach_the_appendices(tmp_path):
    engine = open_store(tmp_path / "stock.db")
    iid = ledger_slice().write(engine)
    stock.draw_sample(engine, iid)
    stock.record_count(engine, iid, A, "40", note="货架与库房合计")
    stock.record_count(engine, iid, B, "17")
    with session_factory(engine)() as s:
        data = build_report_data(s, iid)
    rows = {r.code: r for r in data.stock_rows}
    assert rows[A].expected == Decimal("52.00") and rows[A].counted == Decimal("40")
    assert rows[A].variance == Decimal("-12.00") and rows[A].verdict == "shortage" and rows[A].note == "货架与库房合计"
    assert rows[B].verdict == "within" and data.stock_summary
    assert any(c.startswith("药品盘点") for c in data.checked)

    engine = open_store(tmp_path / "records.db")
    iid = review_slice().write(engine)
    sample = records.draw_sample(engine, iid, n=5, seed=3)
    first = sample.ids[0]
    records.answer(engine, iid, first, "charges_ordered", "fail", amount="88.80", note="无医嘱收费")
    with session_factory(engine)() as s:
        data = build_report_data(s, iid)
    assert len(data.record_rows) == 5
    failed = next(r for r in data.record_rows if r.mdtrt_id == first)
    assert failed.result == "fail" and failed.amount == Decimal("88.80") and "无医嘱收费" in failed.note
    assert any("3" in line for line in data.record_summary)                  # the seed is stated
    out = tmp_path / "r.pdf"
    from inspector.reports.pdf import render_report

    render_report(data, out)
    text = re.sub(r"\s+", "", subprocess.run(["pdftotext", "-raw", str(out), "-"], capture_output=True, text=True).stdout)
    assert first in text and "不合格" in text and "88.80" in text


def test_leads_appendix_shows_each_lead_with_its_outcome(tmp_path):
    from inspector.screening.leads import decide_lead, list_leads
    from inspector.screening.runner import run_screening

    engine = open_store(tmp_path / "leads.db")
    h = Hospital().ward("W1")
    h.stay("M1", "P1", "2026-09-01 08:00:00", "2026-09-10 08:00:00", ward="W1", bed="1")
    h.stay("M2", "P1", "2026-09-14 08:00:00", "2026-09-20 08:00:00", ward="W1", bed="1")   # S1: 4 days later
    h.fee("M2", "2026-09-15 09:00:00", "321.00")
    iid = h.write(engine)
    run_screening(engine, iid)
    leads = list_leads(engine, iid)
    s1 = next(lead for lead in leads if lead.rule == "S1")
    decide_lead(engine, iid, status="dismissed", lead_id=s1.id, reason="转科后再入院，有病历记录")
    with session_factory(engine)() as s:
        data = build_report_data(s, iid)
    assert len(data.leads) == len(leads)
    row = next(r for r in data.leads if r.rule == "S1")
    assert row.outcome == "dismissed" and row.note == "转科后再入院，有病历记录" and row.amount == Decimal("321.00")
    assert any("疑点" in c for c in data.checked)
    out = tmp_path / "r.pdf"
    from inspector.reports.pdf import render_report

    render_report(data, out)
    text = re.sub(r"\s+", "", subprocess.run(["pdftotext", "-raw", str(out), "-"], capture_output=True, text=True).stdout)
    assert "附件4：疑点及核实结果" in text and "M1/M2" in text and "排除" in text and "转科后再入院" in text
