"""The CLI side of the event log: acknowledged ticks survive SIGKILL, tampering is named, bad input changes nothing."""
from __future__ import annotations

import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from audit_fixtures import Hospital, id_number

from inspector.cli import run
from inspector.db import open_store
from inspector.events import read_events, verify_log
from tests.support.accounts import make_accounts, make_team, use_account

ROOT = Path(__file__).resolve().parents[2]
V = "2026-11-02 10:00:00"
CERT = id_number("61010219800101001")


@dataclass
class Result:
    returncode: int
    stdout: str
    stderr: str


pytestmark = pytest.mark.usefixtures("english")   # messages are matched in English


@pytest.fixture
def cli(capsys, monkeypatch, tmp_path):
    """The real CLI (argument parsing, commands, exit codes) run in this process: a subprocess
    costs seconds of imports here; the two tests about processes use real ones. It acts as the
    inspector 'li' unless `as_=` names another account."""
    use_account(monkeypatch, tmp_path, "li")

    def invoke(*args: str, db: Path, as_: str = "li") -> Result:
        use_account(monkeypatch, tmp_path, as_)
        capsys.readouterr()
        code = run([*args, "--db", str(db)])
        out = capsys.readouterr()
        return Result(code, out.out, out.err)

    return invoke


@pytest.fixture
def db(tmp_path):
    p = tmp_path / "store.db"
    engine = open_store(p)
    h = Hospital(visit_time=V).ward("W1").patient("P1", "王五", CERT)
    h.stay("M1", "P1", "2026-10-30 08:00:00").stay("M2", "P2", "2026-10-30 08:00:00", bed="2")
    h.fee("M1", "2026-10-31 08:00:00", "1000.01").fee("M2", "2026-10-31 08:00:00", "0.03")
    assert h.write(engine) == 1
    make_team(engine, 1, make_accounts(engine))
    engine.dispose()
    return p


def test_acknowledged_tick_survives_sigkill(db, monkeypatch, tmp_path):
    use_account(monkeypatch, tmp_path, "li")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen([sys.executable, "main.py", "census", "--inspection", "1", "--mdtrt", "M1",
                             "--outcome", "absent", "--note", "床上无人", "--db", str(db)],
                            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    line = proc.stdout.readline()
    proc.send_signal(signal.SIGKILL)              # right after the acknowledgement, before any clean exit
    proc.wait(timeout=30)
    m = re.search(r"\(([0-9a-f-]{36})\)", line)
    assert m, line + proc.stderr.read()
    engine = open_store(db)
    with engine.connect() as c:
        events = read_events(c, 1, ["census.outcome"])
    assert [e.id for e in events] == [m.group(1)]
    assert events[0].payload["outcome"] == "absent" and events[0].payload["note"] == "床上无人"
    assert verify_log(engine).ok


def test_census_cli_outcomes_summary_and_bad_input(db, cli):
    r = cli("census", "--inspection", "1", "--mdtrt", "M1", "--outcome", "present", "--id-number", f" {CERT} ", db=db)
    assert r.returncode == 0, r.stderr
    r = cli("census", "--inspection", "1", "--mdtrt", "M2", "--outcome", "absent", db=db)
    assert r.returncode == 0, r.stderr
    before = cli("verify-log", db=db).stdout
    assert before.strip() == "ok, 9 events"          # 4 accounts created, 3 team members, 2 ticks
    for bad in (["--mdtrt", "M2", "--outcome", "gone"], ["--mdtrt", "NOPE", "--outcome", "absent"],
                ["--mdtrt", "M1", "--outcome", "present", "--id-number", "12345"],
                ["--mdtrt", "M1", "--outcome", "present", "--id-number", CERT[:17] + "Y"]):
        r = cli("census", "--inspection", "1", *bad, db=db)
        assert r.returncode == 2 and r.stderr.startswith("error:"), (bad, r.stderr)
    r = cli("census", "--inspection", "9", "--summary", "--format", "json", db=db)
    assert r.returncode == 2 and "9" in r.stderr
    assert cli("verify-log", db=db).stdout == before            # nothing was recorded
    r = cli("census", "--inspection", "1", "--summary", "--format", "json", db=db)
    s = json.loads(r.stdout)
    assert (s["overall"]["registered"], s["overall"]["present"], s["overall"]["absent"]) == (2, 1, 1)
    assert s["flagged"] == [{**s["flagged"][0], "mdtrt_id": "M2", "amount": "0.03", "category": "V01"}]
    rows = json.loads(cli("census", "--inspection", "1", "--roster", "--ward", "W1", "--format", "json", db=db).stdout)
    assert [(r["mdtrt_id"], r["outcome"], r["id_match"], r["checked_by"]) for r in rows] == [
        ("M1", "present", True, "li"), ("M2", "absent", None, "li")]
    r = cli("census", "--inspection", "1", "--undo", db=db)
    assert r.returncode == 0 and "undid absent of ward W1 bed 2" in r.stdout and "census.undone" not in r.stdout
    s = json.loads(cli("census", "--inspection", "1", "--summary", "--format", "json", db=db).stdout)
    assert s["overall"]["absent"] == 0 and s["overall"]["checked"] == 1


def test_findings_cli_round_trip(db, cli):
    assert cli("census", "--inspection", "1", "--mdtrt", "M1", "--outcome", "absent", db=db).returncode == 0
    r = cli("findings", "add", "--inspection", "1", "--source", "census", "--ref", "M1", "--multiplier", "2.5", db=db)
    assert r.returncode == 2 and "outside" in r.stderr
    r = cli("findings", "add", "--inspection", "1", "--source", "census", "--ref", "M1", "--multiplier", "1.5",
            "--handling", "追回违规金额并处罚款", db=db)
    assert r.returncode == 0, r.stderr
    r = cli("findings", "add", "--inspection", "1", "--category", "M01", "--amount", "0", "--refused",
             "--description", "拒绝整改", db=db)
    assert r.returncode == 0, r.stderr
    assert cli("findings", "submit", "--inspection", "1", "1", db=db).returncode == 0
    r = cli("findings", "review", "--inspection", "1", "1", "--approve", db=db)       # its author, an inspector
    assert r.returncode == 2 and "李检查" in r.stderr
    r = cli("findings", "review", "--inspection", "1", "1", "--approve", db=db, as_="wang")   # another inspector
    assert r.returncode == 2 and "张组长" in r.stderr
    with pytest.raises(SystemExit):                   # no free-text approver any more
        cli("findings", "review", "--inspection", "1", "1", "--approve", "--as", "张组长", db=db, as_="zhang")
    assert cli("findings", "review", "--inspection", "1", "1", "--approve", db=db, as_="zhang").returncode == 0
    out = json.loads(cli("findings", "list", "--inspection", "1", "--format", "json", db=db).stdout)
    f1, f2 = out["findings"]
    # 1000.01 x 1.5 = 1500.015 -> 1500.02
    assert (f1["status"], f1["amount"], f1["fine"], f1["total"]) == ("approved", "1000.01", "1500.02", "2500.03")
    assert (f2["category"], f2["fine"]) == ("M01", "10000.00")
    assert out["totals"] == {"count": 2, "amount": "1000.01", "fund_recovery": "1000.01", "fines": "11500.02",
                             "total": "12500.03"}
    shown = json.loads(cli("findings", "show", "--inspection", "1", "1", "--format", "json", db=db).stdout)
    assert shown["reviews"][0]["reviewer"] == "zhang" and shown["reviews"][0]["reviewer_name"] == "张组长"
    assert shown["created_by"] == "li"


def test_tampered_event_makes_verify_log_fail_and_name_it(db, cli):
    for m in ("M1", "M2"):
        assert cli("census", "--inspection", "1", "--mdtrt", m, "--outcome", "absent", db=db).returncode == 0
    con = sqlite3.connect(db)
    seq, eid = con.execute("SELECT seq, id FROM event WHERE kind = 'census.outcome' ORDER BY seq LIMIT 1").fetchone()
    con.execute("DROP TRIGGER event_no_update")
    con.execute("UPDATE event SET payload = replace(payload, '\"absent\"', '\"present\"') WHERE seq = ?", (seq,))
    con.commit()
    con.close()
    r = subprocess.run([sys.executable, "main.py", "verify-log", "--db", str(db)], cwd=ROOT, capture_output=True,
                       text=True, timeout=60, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert r.returncode != 0
    assert f"seq {seq}" in r.stdout and eid in r.stdout
