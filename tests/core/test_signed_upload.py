"""The upload is what was signed: the report embeds the findings JSON before the first signature,
`upload queue` sends that JSON and refuses a store whose findings now say something else."""
from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from inspector.db import open_store
from inspector.errors import UserError
from inspector.reports.embedded import FINDINGS_FILE, HEADS_FILE, current_files, signed_files
from inspector.upload import findings_json_bytes, list_packages, queue_package
from tests.support.accounts import password_of
from tests.support.signed_store import signed_store
from tests.support.tamper import edit_and_rehash

ROOT = Path(__file__).resolve().parents[2]


pytestmark = pytest.mark.usefixtures("english")   # messages are matched in English


@pytest.fixture
def world(tmp_path):
    return signed_store(tmp_path / "w")


def _cli(tmp_path: Path, *args: str, login: str = "zhang", lang: str = "en") -> subprocess.CompletedProcess:
    pw = tmp_path / f"pw-{login}"
    pw.write_text(password_of(login), encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(ROOT), "INSPECTOR_USER": login, "INSPECTOR_PASSWORD_FILE": str(pw),
           "INSPECTOR_LANG": lang, "INSPECTOR_TEST_ARGON2": "fast"}
    return subprocess.run([sys.executable, "main.py", *args], cwd=ROOT, capture_output=True, text=True, env=env,
                          timeout=300)


def _pdfdetach(pdf: Path, tmp_path: Path) -> tuple[list[str], dict[str, bytes]]:
    listing = subprocess.run(["pdfdetach", "-list", str(pdf)], capture_output=True, text=True, check=True).stdout
    names = [line.split(":", 1)[1].strip() for line in listing.splitlines()[1:] if ":" in line]
    out = tmp_path / "detached"
    out.mkdir(exist_ok=True)
    subprocess.run(["pdfdetach", "-saveall", "-o", str(out), str(pdf)], check=True, capture_output=True)
    return names, {p.name: p.read_bytes() for p in out.iterdir()}


def test_signed_report_embeds_the_findings_json_and_the_log_heads_before_the_first_signature(world, tmp_path):
    names, files = _pdfdetach(world.signed, tmp_path)
    assert sorted(names) == [FINDINGS_FILE, HEADS_FILE]
    assert files[FINDINGS_FILE] == findings_json_bytes(world.engine, world.inspection)
    doc = json.loads(files[FINDINGS_FILE])
    assert doc["totals"]["total"] == "1734.57" or doc["totals"]["amount"] == "1734.57"
    # the same bytes are in the revision the first signature signed, and already in the unsigned report
    assert signed_files(world.signed.read_bytes())[FINDINGS_FILE] == files[FINDINGS_FILE]
    assert current_files(world.pdf.read_bytes())[FINDINGS_FILE] == files[FINDINGS_FILE]
    heads = json.loads(files[HEADS_FILE])
    con = sqlite3.connect(world.db)
    uid = con.execute("SELECT uid FROM inspection WHERE id = ?", (world.inspection,)).fetchone()[0]
    head = heads["heads"][0]
    assert heads["inspection"] == uid
    assert con.execute("SELECT hash FROM event WHERE inspection_uid = ? AND chain = ? AND dseq = ?",
                       (uid, head["chain"], head["dseq"])).fetchone()[0] == head["hash"]
    with pytest.raises(UserError, match="no signature"):
        signed_files(world.pdf.read_bytes())


def test_queue_sends_the_json_of_the_signed_pdf(world, tmp_path):
    r = _cli(tmp_path, "upload", "queue", "--inspection", str(world.inspection), "--pdf", str(world.signed),
             "--db", str(world.db))
    assert r.returncode == 0, r.stderr
    engine = open_store(world.db)
    with engine.connect() as c:
        (pkg,) = list_packages(c)
        sent = c.exec_driver_sql("SELECT content FROM attachment WHERE sha256 = ?",
                                 (pkg.package.findings_sha256,)).scalar()
    assert bytes(sent) == signed_files(world.signed.read_bytes())[FINDINGS_FILE]


def test_an_edit_rehashed_after_signing_makes_upload_queue_refuse_naming_the_totals(world, tmp_path):
    engine = world.engine
    before = json.loads(findings_json_bytes(engine, world.inspection))
    engine.dispose()
    edit_and_rehash(world.db, world.inspection, "finding.created", lambda p: {**p, "amount": "54.26"}, nth=1)
    after = json.loads(findings_json_bytes(open_store(world.db), world.inspection))
    assert after["totals"]["total"] != before["totals"]["total"]
    # the store's own signed heads catch the re-hashed edit first (check-store)
    r = _cli(tmp_path, "upload", "queue", "--inspection", str(world.inspection), "--pdf", str(world.signed),
             "--db", str(world.db))
    assert r.returncode == 2 and "re-hashed" in r.stderr and "check-store" in r.stderr, r.stderr
    # with the signed heads gone too, the findings JSON the PDF signed still catches it, naming the totals
    con = sqlite3.connect(world.db)
    con.execute("DROP TRIGGER log_anchor_no_delete")
    con.execute("DELETE FROM log_anchor")
    con.commit()
    con.close()
    for lang, words in (("en", ("signed", "store", "total")), ("zh_CN", ("签名", "本机"))):
        r = _cli(tmp_path, "upload", "queue", "--inspection", str(world.inspection), "--pdf", str(world.signed),
                 "--db", str(world.db), lang=lang)
        assert r.returncode == 2, (r.stdout, r.stderr)
        assert "Traceback" not in r.stderr and "{" not in r.stderr
        assert _fmt(before["totals"]["total"]) in r.stderr and _fmt(after["totals"]["total"]) in r.stderr, r.stderr
        assert all(w in r.stderr for w in words), r.stderr
    with pytest.raises(UserError, match="differ"):
        queue_package(open_store(world.db), world.inspection, world.signed)
    with open_store(world.db).connect() as c:
        assert list_packages(c) == []


def _fmt(amount: str) -> str:
    from decimal import Decimal

    return format(Decimal(amount), ",f")
