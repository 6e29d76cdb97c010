"""A store that checks itself: a flipped bit in a snapshot row is caught by check-store,
report, sign and upload queue."""
from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from audit_fixtures import Hospital

from inspector.db import open_store
from inspector.integrity import StoreDamaged, check_store
from inspector.reports.produce import produce_report
from inspector.signing.ca import create_demo_ca, issue_key
from inspector.upload import queue_package

ROOT = Path(__file__).resolve().parents[2]
PASS = b"pass-phrase-1"


pytestmark = pytest.mark.usefixtures("english")   # messages are matched in English


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "main.py", *args], cwd=ROOT, capture_output=True, text=True)


@pytest.fixture
def store(tmp_path, cli_account):
    db = tmp_path / "store.db"
    cli_account(db, "li")                     # state-changing commands act as a logged-in account
    engine = open_store(db)
    h = Hospital().ward("W1")
    h.stay("M1", "P1", "2026-10-30 08:00:00").fee("M1", "2026-10-31 08:00:00", "20.00")   # pric 200000 (1/10000)
    h.stay("M2", "P2", "2026-10-29 08:00:00").fee("M2", "2026-10-31 09:00:00", "35.50")
    iid = h.write(engine)
    return db, engine, iid


def _flip_bit(db: Path) -> None:
    """One bit of one price, changed with plain SQL (snapshot tables have no guard): 200000 -> 197952."""
    con = sqlite3.connect(db)
    con.execute("UPDATE snap_feedetl SET pric = pric - 2048 WHERE feedetl_sn = 'F1'")
    assert con.execute("SELECT pric FROM snap_feedetl WHERE feedetl_sn = 'F1'").fetchone()[0] == 197952
    con.commit()
    con.close()


def test_intact_store_is_ok(store):
    db, engine, iid = store
    check = check_store(engine)
    assert check.ok and check.snapshots == 1 and check.tables >= 13
    out = _cli("check-store", "--db", str(db))
    assert out.returncode == 0, out.stderr
    assert "1" in out.stdout and "Traceback" not in out.stderr


def test_flipped_bit_is_caught_by_check_store_and_report(store, tmp_path):
    db, engine, iid = store
    pdf = tmp_path / "before.pdf"
    produce_report(engine, iid, pdf)          # fine before the damage
    engine.dispose()
    _flip_bit(db)

    check = check_store(open_store(db), iid)
    assert not check.ok
    assert [(m.table, m.snapshot, m.inspection) for m in check.mismatches] == [("feedetl", 1, iid)]

    out = _cli("check-store", "--db", str(db))
    assert out.returncode == 1
    assert "feedetl" in out.stdout and ("snapshot 1" in out.stdout or "快照 1" in out.stdout)
    out = _cli("check-store", "--db", str(db), "--inspection", str(iid), "--format", "json")
    assert out.returncode == 1
    doc = json.loads(out.stdout)
    assert doc["ok"] is False
    assert [(m["table"], m["snapshot"], m["inspection"]) for m in doc["mismatches"]] == [("feedetl", 1, iid)]

    out_pdf = tmp_path / "after.pdf"
    out = _cli("report", "--db", str(db), "--inspection", str(iid), "--out", str(out_pdf))
    assert out.returncode == 2, out.stderr
    assert "feedetl" in out.stderr and "check-store" in out.stderr and "Traceback" not in out.stderr
    assert not out_pdf.exists()
    with pytest.raises(StoreDamaged, match="feedetl"):
        produce_report(open_store(db), iid, out_pdf)

    with pytest.raises(StoreDamaged, match="feedetl"):   # upload queue refuses before looking at the PDF
        queue_package(open_store(db), iid, pdf)

    ca = create_demo_ca(tmp_path / "ca", PASS)
    issue_key(tmp_path / "ca", "张伟", tmp_path / "k.p12", PASS, cert_no="61010012", ca_passphrase=PASS)
    (tmp_path / "pass").write_bytes(PASS)
    out = _cli("sign", str(pdf), "--key", str(tmp_path / "k.p12"), "--passphrase-file", str(tmp_path / "pass"),
               "--out", str(tmp_path / "signed.pdf"), "--db", str(db))   # refused before any key or line matters
    assert out.returncode == 2, (out.stdout, out.stderr)
    assert "feedetl" in out.stderr and not (tmp_path / "signed.pdf").exists()
    assert ca.exists()
