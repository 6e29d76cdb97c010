"""`python main.py demo`: the main job on the demo data, end to end, checked in the store."""
from __future__ import annotations

import json

from inspector.checks.census import census_state
from inspector.cli import run
from inspector.db import open_store
from inspector.findings.lifecycle import fold_findings
from inspector.models import Lead
from sqlalchemy import select


def test_demo_command_syncs_screens_records_and_signs_an_inspection(tmp_path, capsys):
    """Planted leads found, decoys not; census, findings, approval; the PDF signed in order, valid for pdfsig."""
    import subprocess

    assert run(["demo", "--workdir", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "V01" in out
    manifest = json.loads((tmp_path / "demo-central.db.manifest.json").read_text(encoding="utf-8"))
    engine = open_store(tmp_path / "inspector.db")
    with engine.connect() as conn:
        rules = set(conn.execute(select(Lead.rule).where(Lead.inspection_id == 1)).scalars())
        findings = fold_findings(conn, 1)
        state = census_state(conn, 1)
    # every rule's planted case is there to demonstrate
    assert rules == {f"S{i}" for i in range(1, 10)}
    planted = {(p["rule"], json.dumps(p["key"])) for p in manifest["planted"] if p["institution"] == manifest["main_institution"]}
    with engine.connect() as conn:
        found = {(r, k) for r, k in conn.execute(select(Lead.rule, Lead.key).where(Lead.inspection_id == 1))}
    found = {(r, json.dumps(json.loads(k))) for r, k in found}
    assert found >= planted
    decoys = {(d["rule"], json.dumps(d["key"])) for d in manifest["decoys"]
              if d["institution"] == manifest["main_institution"]}
    assert decoys and not (found & decoys)
    assert [f.status for f in findings] == ["approved", "approved"]
    assert all(f.category == "V01" for f in findings)
    # the verified ID is recorded as a match, never the number itself
    raw = engine.connect().exec_driver_sql("SELECT group_concat(payload) FROM event").scalar()
    assert all(c["certno"] not in raw for c in manifest["census_ids"])
    outcomes = [e.payload for e in state.outcomes.values()]
    assert len(outcomes) == 20                                        # every registered bed checked
    assert {p["outcome"] for p in outcomes} == {"present", "absent", "on_leave"}
    assert sum(1 for p in outcomes if p["id_match"] is True) == 1     # one ID card typed and matched
    # the end product: both inspectors then the lead signed, and poppler agrees it is valid
    signed = tmp_path / "inspection-1-signed.pdf"
    out = subprocess.run(["pdfsig", str(signed)], capture_output=True, text=True).stdout
    assert out.count("Signature is Valid.") == 3 and "Digest Mismatch" not in out
    names = [line.split(":", 1)[1].strip() for line in out.splitlines() if "Signer Certificate Common Name" in line]
    assert names == ["王建国", "李晓梅", "陈志强"]
    text = subprocess.run(["pdftotext", str(signed), "-"], capture_output=True, text=True).stdout
    assert "现场检查笔录" in text and "DRAFT" not in text
    # and the signed package reached the central's insp_upload, byte for byte
    import hashlib
    import sqlite3

    rows = sqlite3.connect(tmp_path / "demo-central.db").execute(
        "SELECT report_sha256, report_pdf FROM insp_upload").fetchall()
    assert len(rows) == 1
    assert rows[0][0] == hashlib.sha256(rows[0][1]).hexdigest() == hashlib.sha256(signed.read_bytes()).hexdigest()
    # every step was done as the right person's account; demo passwords and the CA where the README says
    from inspector.demo.walkthrough import DEMO_LOGINS

    assert (tmp_path / "demo-ca" / "ca.pem").is_file()
    for login in DEMO_LOGINS.values():
        assert (tmp_path / "passwords" / f"{login}.txt").read_text(encoding="utf-8").strip()
    assert "DEMO ONLY" in (tmp_path / "passwords" / "README.txt").read_text(encoding="utf-8")
    authors = dict(engine.connect().exec_driver_sql(
        "SELECT kind, group_concat(DISTINCT author) FROM event GROUP BY kind").fetchall())
    assert authors["census.outcome"] == "wangjg" and authors["finding.reviewed"] == "chenzq"
    assert set(authors["finding.submitted"].split(",")) == {"wangjg", "lixm"}
    assert all(a in ("wangjg", "lixm", "chenzq") for v in authors.values() for a in v.split(","))
    returned = [r for f in findings for r in f.reviews if r["decision"] == "return"]
    assert len(returned) == 1 and returned[0]["reviewer"] == "chenzq" and returned[0]["comment"]
    assert not list(tmp_path.glob("keys/*.p12"))                   # the keys live in the store only
