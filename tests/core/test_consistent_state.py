"""Issue 12: one consistent state (leads confirmed with their finding everywhere, changes under a finding
refused, the stage, the final report waiting for the checks, one upload package per report, the demo on
an existing folder) and the on-site record complete and in plain Chinese, read back from the PDF with
pdftotext and from the workbook with openpyxl."""
from __future__ import annotations

import os

import json
import re
import subprocess
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import load_workbook

from inspector.checks import records, stock
from inspector.checks.census import record_outcome, undo_last
from inspector.cli import run
from inspector.db import open_store
from inspector.errors import UserError
from inspector.findings import create_finding, review_finding, submit_finding
from inspector.state import current_findings, inspection_stage
from tests.support.accounts import team_of
from tests.core.audit_fixtures import Hospital
from tests.core.test_record_review import review_slice
from tests.core.test_stock_count import A, ledger_slice


def pdf_text(pdf: Path, *flags: str) -> str:
    return subprocess.run(["pdftotext", *flags, str(pdf), "-"], check=True, capture_output=True, text=True).stdout


def count_events(engine) -> int:
    with engine.connect() as c:
        return c.exec_driver_sql("SELECT count(*) FROM event").scalar()


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    work = tmp_path_factory.mktemp("demo")
    assert run(["demo", "--workdir", str(work)]) == 0
    return work, open_store(work / "inspector.db")


# --- one consistent state -------------------------------------------------------------------

def test_a_lead_under_a_finding_is_confirmed_with_its_number_in_cli_pdf_and_workbook(demo, capsys):
    from inspector.screening.leads import list_leads

    work, engine = demo
    confirmed = [lead for lead in list_leads(engine, 1) if lead.status == "confirmed"]
    assert [(lead.rule, lead.finding_no) for lead in confirmed] == [("S1", 1)]
    db = ["--db", str(work / "inspector.db"), "--inspection", "1"]
    capsys.readouterr()
    assert run(["leads", *db, "--format", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    s1 = [d for d in doc["leads"] if d["finding"] is not None]
    assert [(d["rule"], d["status"], d["finding"]) for d in s1] == [("S1", "confirmed", 1)]
    assert run(["leads", *db, "--status", "confirmed"]) == 0
    assert "已核实（问题 1）" in capsys.readouterr().out
    flat = re.sub(r"\s+", "", pdf_text(work / "inspection-1-signed.pdf"))
    assert "现场核实属实（问题1）" in flat
    out = work / "book.xlsx"
    assert run(["export-xlsx", *db, "--out", str(out)]) == 0
    ws = load_workbook(out)["附件4：疑点及核实结果"]
    outcomes = [row[4] for row in ws.iter_rows(min_row=2, values_only=True)]
    assert outcomes.count("现场核实属实（问题 1）") == 1 and "待核实" in outcomes


def test_changes_under_a_finding_are_refused_naming_it(demo):
    from inspector.screening.leads import decide_lead, list_leads

    work, engine = demo
    with engine.connect() as c:
        absent = next(f.ref for f in current_findings(c, 1)
                      if f.source_type == "census")
    n = count_events(engine)
    with pytest.raises(UserError, match="问题 2"):
        record_outcome(engine, 1, absent, "present", note="回来了")
    s1 = next(lead for lead in list_leads(engine, 1) if lead.finding_no == 1)
    with pytest.raises(UserError, match="问题 1"):
        decide_lead(engine, 1, status="dismissed", lead_id=s1.id, reason="误报")
    env = {**os.environ, "INSPECTOR_USER": "wangjg",           # the demo inspector, logged in
           "INSPECTOR_PASSWORD_FILE": str(work / "passwords" / "wangjg.txt")}
    r = subprocess.run([".venv/bin/python", "main.py", "census", "--db", str(work / "inspector.db"), "--inspection",
                        "1", "--mdtrt", absent, "--outcome", "present", "--note", "x"],
                       capture_output=True, text=True, cwd=Path(__file__).resolve().parents[2], env=env)
    assert r.returncode == 2 and "问题 2" in r.stderr and "Traceback" not in r.stderr
    assert count_events(engine) == n


def test_census_undo_count_and_record_answer_under_a_finding_are_refused(tmp_path):
    engine = open_store(tmp_path / "c.db")
    h = Hospital().ward("W1")
    for i in (1, 2):
        h.stay(f"M{i}", f"P{i}", "2026-10-20 08:00:00", None, ward="W1", bed=str(i))
        h.fee(f"M{i}", "2026-10-21 09:00:00", "1247.49")
    iid = h.write(engine)
    who = team_of(engine, iid, [("张伟", "61000001", "inspector"), ("王建国", "61000003", "lead")])["张伟"]
    record_outcome(engine, iid, "M1", "absent", note="不在床", checked_at="2026-11-02 10:05:00")
    create_finding(engine, iid, "census", "M1", handling="追回", actor=who)
    n = count_events(engine)
    with pytest.raises(UserError, match="问题 1"):
        undo_last(engine, iid)                       # the last tick is the one finding 1 rests on
    assert count_events(engine) == n
    record_outcome(engine, iid, "M2", "present", note="腕带", checked_at="2026-11-02 10:07:00")
    undo_last(engine, iid)                           # a tick nothing rests on can be undone

    engine = open_store(tmp_path / "s.db")
    iid = ledger_slice().write(engine)
    stock.draw_sample(engine, iid)
    stock.record_count(engine, iid, A, "40")
    who = team_of(engine, iid, [("张伟", "61000001", "inspector"), ("王建国", "61000003", "lead")])["张伟"]
    create_finding(engine, iid, "stock", A, handling="追回", actor=who)
    with pytest.raises(UserError, match="问题 1"):
        stock.record_count(engine, iid, A, "52")

    engine = open_store(tmp_path / "r.db")
    iid = review_slice().write(engine)
    first = records.draw_sample(engine, iid, n=3, seed=3).ids[0]
    records.answer(engine, iid, first, "charges_ordered", "fail", amount="88.80", note="无医嘱收费")
    who = team_of(engine, iid, [("张伟", "61000001", "inspector"), ("王建国", "61000003", "lead")])["张伟"]
    create_finding(engine, iid, "record", first, handling="追回", actor=who)
    with pytest.raises(UserError, match="问题 1"):
        records.answer(engine, iid, first, "charges_ordered", "pass")


def test_stage_follows_the_work_from_synced_to_uploaded(tmp_path, demo):
    engine = open_store(tmp_path / "st.db")
    h = Hospital().ward("W1")
    h.stay("M1", "P1", "2026-10-20 08:00:00", None, ward="W1", bed="1").fee("M1", "2026-10-21 09:00:00", "10.00")
    iid = h.write(engine)

    def stage() -> str:
        with engine.connect() as c:
            return inspection_stage(c, iid).code

    assert stage() == "synced"
    people = team_of(engine, iid, [("张伟", "61000001", "inspector"), ("王建国", "61000003", "lead")])
    record_outcome(engine, iid, "M1", "absent", note="不在床", checked_at="2026-11-02 10:05:00")
    assert stage() == "on_site"
    create_finding(engine, iid, "census", "M1", handling="追回并罚款", actor=people["张伟"])
    submit_finding(engine, iid, 1, actor=people["张伟"])
    assert stage() == "in_review"
    review_finding(engine, iid, 1, "approve", "", actor=people["王建国"])
    assert stage() == "approved"
    _work, demo_engine = demo
    with demo_engine.connect() as c:
        from inspector.reports.signoff import signatures_state

        assert signatures_state(c, 1) == (3, 3)          # the three signatures were followed to the store
        assert inspection_stage(c, 1).code == "uploaded"


def test_the_overview_shows_the_stage_from_the_core(demo):
    from ui.overview import gather

    from inspector.db import session_factory
    from inspector.inspections import list_inspections
    from ui.models.inspections import status_label

    _work, engine = demo
    assert gather(engine, 1)["stage"].code == "uploaded"
    with session_factory(engine)() as s:                    # the home list: the same stage
        row = next(r for r in list_inspections(s) if r["id"] == 1)
    assert row["status"] == "uploaded" and status_label(row["status"]) == "已上传"


# --- the record and its commands ------------------------------------------------------------

def test_record_commands_round_trip_and_refuse_bad_input(tmp_path, capsys, cli_account):
    db = tmp_path / "rec.db"
    engine = open_store(db)
    cli_account(db, "zhang")
    h = Hospital().ward("W1")
    h.stay("M1", "P1", "2026-10-20 08:00:00", None, ward="W1", bed="1")
    iid = h.write(engine)
    base = ["--db", str(db), "--inspection", str(iid)]
    assert run(["record", "close", *base]) == 2                                   # nothing started
    assert run(["record", "set", *base, "--legal-rep", "赵国华", "--place", "住院部三楼"]) == 0
    assert run(["record", "start", *base, "--at", "2026-11-02 09:00:00"]) == 0
    assert run(["record", "start", *base]) == 2                                    # once
    assert run(["record", "close", *base, "--at", "2026-11-02 08:00:00"]) == 2     # before the start
    assert run(["record", "statement", *base, "--refused", "--note", "院方负责人拒绝陈述"]) == 0
    assert run(["record", "witness", *base, "--check", "census", "--name", "张丽"]) == 0
    assert run(["record", "close", *base, "--at", "2026-11-02 16:30:00"]) == 0
    capsys.readouterr()
    assert run(["record", "show", *base, "--format", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert (doc["legal_rep"], doc["place"], doc["started_at"], doc["closed_at"]) == \
        ("赵国华", "住院部三楼", "2026-11-02 09:00:00", "2026-11-02 16:30:00")
    assert doc["statement"] == {"kind": "refused", "text": "院方负责人拒绝陈述"}
    assert doc["witnesses"]["census"]["name"] == "张丽" and doc["stage"] == "in_review"
    assert [c["check"] for c in doc["checks"] if not c["finished"]] == ["census"]
    assert run(["record", "show", *base]) == 0
    out = capsys.readouterr().out
    assert "赵国华" in out and "正式文书暂不能生成" in out
    assert run(["settings", *base, "--set", "required_checks=stock"]) == 0
    assert run(["settings", *base, "--set", "required_checks=census,nonsense"]) == 2
    capsys.readouterr()
    assert run(["record", "show", *base, "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["report_blockers"] == []


def test_demo_record_is_complete_and_in_plain_chinese(demo):
    work, _engine = demo
    pdf = work / "inspection-1-signed.pdf"
    text = pdf_text(pdf)
    flat = re.sub(r"\s+", "", text)
    record = flat[:flat.index("问题清单被检查单位")]
    # who, where, when: the recorded start and close, not the wall clock
    assert "法定代表人赵国华" in record and "检查地点西安曲江新区人民医院住院部各病区" in record
    assert "检查时间2026年10月8日10:00至15:00" in record
    # what was checked, each with its size
    assert "在院核查：2026年10月8日10:05至10:43，逐床核查登记在院患者20人中的20人" in record
    assert "药品盘点：对照进、销、存台账，盘点抽取的20种药品中的20种" in record
    assert "病历抽查：以随机种子42从检查期间出院的205份病历（按就诊编号排序）中简单随机抽取10份" in record
    # facts as sentences, handling, statement, dates in Chinese form on the signers' lines
    assert "经数据筛查发现并现场核实（分解住院）" in record and "2026年10月8日10:13在院核查时" in record
    assert "三、处理意见（1）问题1：追回违规金额至医保基金" in record
    assert "四、被检查单位陈述、申辩意见对检查认定的事实无异议" in record
    assert record.count("日期：2026年10月8日") == 4
    # no raw keys, JSON, tags, pseudo-code or English anywhere in the document
    for bad in ("[lead", "[census", '["', "random.Random", "sorted(", "readmission_days", "{", "DRAFT",
                "Ward", "census", "Screening"):
        assert bad not in text, bad
    assert "阈值3%" in flat and "0.03" not in flat
    assert "再入院间隔（S1）7天" in flat and "盘点允差1%" in flat
    # witnesses sign their appendix; names and departments instead of codes in the record review
    for title, name in (("护士长", "张丽"), ("药剂科主管药师", "王芳"), ("病案室主任", "李静")):
        assert re.search(f"被检查单位{title}（签名）：.{{0,20}}{name}", flat), title
    appendix3 = flat[flat.index("附件3：病历评审表"):flat.index("附件4")]
    assert "心血管内科" in appendix3 or "神经内科" in appendix3
    assert not re.search(r"610100000000\d{4}", appendix3)          # no psn_no
    # one census time across the record, the finding and the appendix
    assert "核查时间：2026年10月8日10:05至10:43（日间）" in flat
    assert "2026-10-0810:13" in flat                                 # the absent bed's row, same minute
    # no line break inside an ID number or a timestamp (raw text keeps the PDF's lines)
    raw = pdf_text(pdf, "-raw")
    assert not re.search(r"\d{4}-\d{2}-\d{2}\n\d{2}:\d{2}", raw)
    for ident in re.findall(r"6101130000126\d{8}|X[A-Z0-9]{22}", flat):
        assert ident in raw, ident


def test_workbook_cells_are_typed_formatted_and_wrapped(demo, tmp_path):
    work, _engine = demo
    out = tmp_path / "w.xlsx"
    assert run(["export-xlsx", "--db", str(work / "inspector.db"), "--inspection", "1", "--out", str(out)]) == 0
    wb = load_workbook(out)
    f = wb["问题清单"]
    row = [c for c in f[2]]
    assert row[4].data_type == "n" and row[4].number_format == "#,##0.00" and row[4].value == 2697.55
    assert row[7].data_type == "n" and row[7].number_format == "0.0#" and row[7].value == 1
    assert row[3].alignment.wrap_text and "经数据筛查发现并现场核实" in row[3].value
    assert row[10].value == "筛查疑点 S1"
    census = wb["附件1：在院核查表"]
    cell = census.cell(row=2, column=6)
    assert cell.data_type == "d" and cell.number_format == "yyyy-mm-dd hh:mm"
    assert cell.value == datetime(2026, 10, 8, 10, 5)
    assert census.cell(row=2, column=4).data_type == "n"
    st = wb["附件2：药品盘点表"]
    for col, fmt in ((4, "#,##0.##"), (5, "#,##0.##"), (6, "#,##0.##"), (7, "0.0%")):
        c = st.cell(row=2, column=col)
        assert c.data_type == "n" and c.number_format == fmt, (col, c.value, c.number_format)
    assert Decimal(str(st.cell(row=2, column=5).value)) == Decimal(str(st.cell(row=2, column=4).value))
    settings = {r[0]: r[1] for r in wb["本清单使用的设置"].iter_rows(min_row=2, values_only=True)}
    assert settings["再入院间隔（S1）"] == "7 天" and settings["病区不在床比例阈值（按医院等级）"] == "一级 20%，二级 5%，三级 3%"


def test_demo_again_says_what_it_keeps(demo, capsys):
    work, _engine = demo
    capsys.readouterr()
    assert run(["demo", "--workdir", str(work)]) == 0
    first = capsys.readouterr().out.splitlines()[0]
    assert "已有演示数据" in first and "演示中心库" in first and "已有的 1 次检查" in first and "删除该文件夹" in first
