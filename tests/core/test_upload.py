"""Upload of signed packages to the central's insp_upload: idempotent by upload_id on PostgreSQL and
SQLite, a connection killed mid-transaction and retried leaves exactly one row, conflicts are never
overwritten, tampered PDFs and unapproved findings are refused at queue time."""
from __future__ import annotations

import hashlib
import json
import sqlite3
import threading
import time

import psycopg
import pytest

from inspector.cli import run
from inspector.db import open_store
from inspector.errors import UserError
from inspector.progress import Progress
from inspector.findings import create_finding
from inspector.resources import central_schema_sql
from inspector.upload import APPLICATION_NAME, list_packages, queue_package, upload_packages

PASS = b"upload-test-passphrase"
LEAD = "张伟"




@pytest.fixture
def world(tmp_path, monkeypatch):
    """A store with one inspection whose two findings are approved, the CA trusted, and the report
    produced from it and signed by li, wang and the lead zhang (the CLI acts as zhang): (engine, iid, pdf)."""
    from tests.support.accounts import use_account
    from tests.support.signed_store import signed_store

    s = signed_store(tmp_path / "w")
    use_account(monkeypatch, tmp_path, "zhang")
    engine = s.engine
    engine.people = s.people
    return engine, s.inspection, s.signed


def _pg_central(url: str) -> str:
    with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://"), autocommit=True) as con:
        con.execute(central_schema_sql())
    return url


def _pg_rows(url: str) -> list[tuple]:
    with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://")) as con:
        return con.execute("SELECT upload_id, report_sha256, report_pdf, findings_json, insp_id FROM insp_upload").fetchall()


def _kinds(engine, upload_id: str) -> list[str]:
    with engine.connect() as c:
        st = {s.package.upload_id: s for s in list_packages(c)}[upload_id]
    return [h["kind"] for h in st.history]


def test_upload_twice_to_postgres_leaves_one_row_verified_by_sha256(world, postgres_db):
    engine, iid, pdf = world
    central = _pg_central(postgres_db)
    pkg = queue_package(engine, iid, pdf)
    progress = Progress()
    assert [s.status for s in upload_packages(engine, central, progress=progress)] == ["verified"]
    assert (progress.done, progress.total) == (1, 1)
    assert upload_packages(engine, central) == []                   # nothing pending any more
    again = upload_packages(engine, central, recheck=True)           # the same package sent again
    assert [s.status for s in again] == ["verified"]
    rows = _pg_rows(central)
    assert len(rows) == 1
    uid, sha, blob, fj, insp_id = rows[0]
    data = pdf.read_bytes()
    assert uid == pkg.upload_id and sha == hashlib.sha256(data).hexdigest() == hashlib.sha256(blob).hexdigest()
    doc = json.loads(fj)
    assert doc["inspection"] == insp_id and [f["no"] for f in doc["findings"]] == [1, 2]
    assert doc["totals"]["fund_recovery"] == "1734.57" and set(doc["snapshot"]["digests"]) >= {"mdtrt", "feedetl"}
    # the credit key: V01 500.00 (3 points) and V02 1234.57 (2 points) under the default table
    credit = doc["credit"]
    assert credit["table"]["version"] == "deductions-v1"
    assert [(d["finding_no"], d["rule"], d["points"]) for d in credit["institution"]["deductions"]] == \
        [(1, "R19", "3"), (2, "R20", "2")]
    assert credit["institution"]["score"] == "95" and credit["institution"]["grade"] == "A"
    assert _kinds(engine, pkg.upload_id) == ["upload.sent", "upload.verified", "upload.sent", "upload.verified"]


def test_connection_killed_mid_transaction_is_retried_to_exactly_one_row(world, postgres_db):
    engine, iid, pdf = world
    central = _pg_central(postgres_db)
    pkg = queue_package(engine, iid, pdf)
    holder = psycopg.connect(central.replace("postgresql+psycopg://", "postgresql://"))
    holder.execute("LOCK TABLE insp_upload IN ACCESS EXCLUSIVE MODE")   # our INSERT will wait on it
    result: list = []
    t = threading.Thread(target=lambda: result.append(
        upload_packages(engine, central, backoff=(0.05,), sleep=time.sleep)))
    t.start()
    try:
        killed = False
        for _ in range(200):
            with psycopg.connect(central.replace("postgresql+psycopg://", "postgresql://"), autocommit=True) as k:
                pids = [r[0] for r in k.execute(
                    "SELECT pid FROM pg_stat_activity WHERE application_name = %s AND wait_event_type = 'Lock'",
                    (APPLICATION_NAME,))]
                if pids:
                    assert k.execute("SELECT pg_terminate_backend(%s)", (pids[0],)).fetchone()[0] is True
                    killed = True
                    break
            time.sleep(0.05)
        assert killed, "the upload never reached the locked INSERT"
    finally:
        holder.rollback()
        holder.close()
    t.join(60)
    assert [s.status for s in result[0]] == ["verified"]
    assert result[0][0].attempts == 2
    assert len(_pg_rows(central)) == 1
    assert _kinds(engine, pkg.upload_id) == ["upload.attempt_failed", "upload.sent", "upload.verified"]


def test_a_different_row_under_the_same_upload_id_fails_and_stays_untouched(world, postgres_db, english):
    engine, iid, pdf = world
    central = _pg_central(postgres_db)
    pkg = queue_package(engine, iid, pdf)
    with psycopg.connect(central.replace("postgresql+psycopg://", "postgresql://"), autocommit=True) as con:
        con.execute("INSERT INTO insp_upload VALUES (%s, 'X', 'other', now(), 'someone', %s, %s, '{}')",
                    (pkg.upload_id, hashlib.sha256(b"other").hexdigest(), b"other"))
    (st,) = upload_packages(engine, central)
    assert st.status == "failed" and "different package" in st.reason and "report_sha256" in st.reason
    rows = _pg_rows(central)
    assert len(rows) == 1 and bytes(rows[0][2]) == b"other" and rows[0][4] == "other"


def test_sqlite_central_via_cli_is_idempotent(world, tmp_path, capsys):
    engine, iid, pdf = world
    db = engine.url.database
    central = tmp_path / "central.db"
    con = sqlite3.connect(central)
    con.executescript(central_schema_sql())
    con.close()
    assert run(["upload", "queue", "--inspection", str(iid), "--pdf", str(pdf), "--db", db]) == 0
    assert run(["upload", "--central", str(central), "--db", db]) == 0
    assert run(["upload", "--central", f"sqlite:///{central}", "--db", db]) == 0
    capsys.readouterr()
    assert run(["upload", "status", "--format", "json", "--db", db]) == 0
    (st,) = json.loads(capsys.readouterr().out)
    assert st["status"] == "verified" and st["attempts"] == 1
    con = sqlite3.connect(central)
    rows = con.execute("SELECT upload_id, report_sha256, report_pdf FROM insp_upload").fetchall()
    con.close()
    assert len(rows) == 1 and rows[0][0] == st["upload_id"]
    assert rows[0][1] == hashlib.sha256(rows[0][2]).hexdigest() == hashlib.sha256(pdf.read_bytes()).hexdigest()
    # the same signed PDF queued again adds nothing: one package per report SHA-256
    with engine.connect() as c:
        n_events = c.exec_driver_sql("SELECT count(*) FROM event").scalar()
    assert run(["upload", "queue", "--inspection", str(iid), "--pdf", str(pdf), "--db", db]) == 0
    out = capsys.readouterr().out
    assert st["upload_id"] in out and "未重复添加" in out
    with engine.connect() as c:
        assert c.exec_driver_sql("SELECT count(*) FROM event").scalar() == n_events
    assert run(["upload", "--central", str(central), "--db", db]) == 0
    assert "无需上传" in capsys.readouterr().out
    assert queue_package(engine, iid, pdf).already_queued


def test_unreachable_central_fails_with_the_reason_and_no_password(world, capsys):
    engine, iid, pdf = world
    db = engine.url.database
    assert run(["upload", "queue", "--inspection", str(iid), "--pdf", str(pdf), "--db", db]) == 0
    capsys.readouterr()
    assert run(["upload", "--central", "postgresql://u:secretpw@127.0.0.1:1/none", "--max-attempts", "2",
                "--db", db]) == 1
    out = capsys.readouterr().out
    assert "failed" in out and "secretpw" not in out


def test_tampered_pdf_and_unapproved_findings_are_refused_at_queue_time(world, tmp_path, english):
    engine, iid, pdf = world
    bad = tmp_path / "tampered.pdf"
    data = bytearray(pdf.read_bytes())
    i = data.index(b"/Contents") if b"/Contents" in data else len(data) // 3
    data[i - 200] ^= 0x01
    bad.write_bytes(bytes(data))
    with pytest.raises(UserError, match="signatures do not verify"):
        queue_package(engine, iid, bad)
    create_finding(engine, iid, "manual", category_code="V01", amount="1.00", description="待审",
                   actor=engine.people["li"])
    with pytest.raises(UserError, match="not approved"):
        queue_package(engine, iid, pdf)
    with engine.connect() as c:
        assert list_packages(c) == []


def test_export_xlsx_reads_back_the_same_numbers_with_formula_totals(world, tmp_path, capsys):
    from decimal import Decimal

    from openpyxl import load_workbook

    from inspector.checks.census import record_outcome
    from inspector.findings import findings_totals, fold_findings

    engine, iid, _pdf = world
    record_outcome(engine, iid, "M1", "absent")
    out = tmp_path / "findings.xlsx"
    assert run(["export-xlsx", "--inspection", str(iid), "--out", str(out), "--db", engine.url.database]) == 0
    with engine.connect() as c:
        findings = [f for f in fold_findings(c, iid) if not f.superseded]
    t = findings_totals(findings)
    wb = load_workbook(out)                                            # data_only=False: formulas as written
    ws = wb["问题清单"]
    assert ws.freeze_panes == "A2"
    assert [c.value for c in ws[1]][:6] == ["序号", "问题类别", "法律依据", "问题描述", "违规金额", "追回金额"]
    body = [[c.value for c in r] for r in ws.iter_rows(min_row=2, max_row=1 + len(findings))]
    assert [Decimal(str(r[4])) for r in body] == [f.amount for f in findings]
    assert [Decimal(str(r[5])) for r in body] == [f.penalty.recovery for f in findings]
    assert [Decimal(str(r[8])) for r in body] == [f.penalty.fine for f in findings]
    assert ws.cell(2, 5).number_format == "#,##0.00"
    n = len(findings) + 1
    totals = {r[1].value: r for r in ws.iter_rows(min_row=n + 1) if r[1].value}
    assert totals["违规金额合计"][4].value == f"=SUM(E2:E{n})"
    assert totals["追回金额合计（退回医保基金）"][5].value == f"=SUM(F2:F{n})"
    assert totals["罚款合计（上缴国库）"][8].value == f"=SUM(I2:I{n})"
    assert sum(Decimal(str(r[5])) for r in body) == t.fund_recovery and sum(Decimal(str(r[8])) for r in body) == t.fines
    census = wb["附件1：在院核查表"]
    assert census.freeze_panes == "A2" and census.column_dimensions["A"].width == 16
    last = [c.value for c in census[census.max_row]]
    assert last[0] == "合计" and last[6] == f"=SUM(G2:G{census.max_row - 1})"


def test_db_option_is_kept_before_or_after_the_subcommand(tmp_path, capsys):
    """`upload --db X status` and `upload status --db X` read the same store."""
    from inspector.cli import run


    db = tmp_path / "elsewhere.db"
    # a store that does not exist is refused (a read command creates nothing) in both places
    assert run(["upload", "--db", str(db), "status", "--format", "json"]) == 2
    assert run(["upload", "status", "--db", str(db), "--format", "json"]) == 2
    assert not db.exists()
    open_store(db).dispose()
    assert run(["upload", "--db", str(db), "status", "--format", "json"]) == 0
    assert run(["upload", "status", "--db", str(db), "--format", "json"]) == 0


def test_credit_command_prints_the_uploads_credit(world, capsys):
    """`credit --inspection ID --format json` is the upload's `credit` key; the text form is Chinese."""
    from inspector.credit import credit_for_inspection, credit_json

    engine, iid, _pdf = world
    db = engine.url.database
    assert run(["credit", "--inspection", str(iid), "--db", db, "--format", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc == json.loads(json.dumps(credit_json(credit_for_inspection(engine, iid)), default=str))
    assert [(d["finding_no"], d["rule"], d["points"]) for d in doc["institution"]["deductions"]] == \
        [(1, "R19", "3"), (2, "R20", "2")]
    assert doc["institution"]["score"] == "95" and doc["institution"]["grade"] == "A"
    assert run(["credit", "--inspection", str(iid), "--db", db]) == 0
    text = capsys.readouterr().out
    assert f"扣分标准表 deductions-v1（SHA-256 {doc['table']['sha256']}）" in text
    assert "基础分 100，扣分 5，得分 95，信用等级 A（优秀）" in text
    assert "R19 分解住院、挂床住院" in text and "1234.57" in text
    assert not any(w in text for w in ("Institution", "Doctors", "grade", "score", "None."))
