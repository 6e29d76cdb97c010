"""Digital signatures through the CLI: demo CA, issued keys, inspectors then lead, verified by
pyHanko and by poppler's pdfsig; tampering (byte flip, appended update, removed page) detected."""
from __future__ import annotations

import io
import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature

from inspector.cli import run
from inspector.reports.pdf import render_report
from inspector.reports.sample import sample_report_data
from inspector.signing.verify import validation_context

TEAM = [("张伟", "医保执字 3201-0012"), ("李娜", "医保执字 3201-0047"), ("王建国", "医保执字 3201-0003")]
LOGINS = {"张伟": "zhangw", "李娜": "lin", "王建国": "wangjg"}
ROLES = {"张伟": "inspector", "李娜": "inspector", "王建国": "lead"}
PASSWORD = "account-password-1"


def sign_as(world, name: str, *argv) -> int:
    """`sign ...` run as the account of `name` (INSPECTOR_USER and INSPECTOR_PASSWORD_FILE)."""
    import os

    saved = {k: os.environ.get(k) for k in ("INSPECTOR_USER", "INSPECTOR_PASSWORD_FILE")}
    os.environ["INSPECTOR_USER"] = LOGINS[name]
    os.environ["INSPECTOR_PASSWORD_FILE"] = str(world["account_pw"])
    try:
        return run(["sign", *[str(a) for a in argv], "--db", str(world["db"])])
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def cli(capsys, *argv: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = run([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """A demo CA, three issued keys, an unsigned report, and the NSS db pdfsig trusts the CA with."""
    root = tmp_path_factory.mktemp("sign")
    pw = root / "pass.txt"
    pw.write_text("correct horse\n", encoding="utf-8")
    db = root / "store.db"
    assert run(["keys", "create-demo-ca", "--out", str(root / "ca"), "--db", str(db)]) == 0
    keys = {}
    for name, cert_no in TEAM:
        out = root / f"{cert_no[-4:]}.p12"
        assert run(["keys", "issue", "--ca", str(root / "ca"), "--name", name, "--cert-no", cert_no,
                    "--out", str(out), "--passphrase-file", str(pw)]) == 0
        keys[name] = out
    # each person's key lives in the store, in their account, encrypted with their password
    from inspector.accounts import authenticate, create_account, set_account_key
    from inspector.db import open_store

    account_pw = root / "account-pw.txt"
    account_pw.write_text(PASSWORD + "\n", encoding="utf-8")
    engine = open_store(db)
    lead = None
    for name, cert_no in sorted(TEAM, key=lambda m: ROLES[m[0]] != "lead"):
        actor = create_account(engine, LOGINS[name], PASSWORD, ROLES[name], cert_no, name, actor=lead)
        lead = lead or actor
        set_account_key(engine, actor, PASSWORD, keys[name].read_bytes(), b"correct horse")
    assert authenticate(engine, LOGINS["张伟"], PASSWORD, with_key=True).key is not None
    engine.dispose()
    unsigned = root / "report.pdf"
    render_report(sample_report_data(findings=12, census=10, photos=2), unsigned)
    nss = root / "nss"
    nss.mkdir()
    subprocess.run(["certutil", "-N", "-d", f"sql:{nss}", "--empty-password"], check=True, capture_output=True)
    subprocess.run(["certutil", "-A", "-d", f"sql:{nss}", "-n", "demo-ca", "-t", "CT,C,C", "-i",
                    str(root / "ca" / "ca.pem")], check=True, capture_output=True)
    return {"root": root, "pw": pw, "db": db, "keys": keys, "unsigned": unsigned, "nss": nss, "account_pw": account_pw,
            "ca": root / "ca" / "ca.pem"}


@pytest.fixture(scope="module")
def signed(world):
    """The report signed by both inspectors, then the lead."""
    out = world["root"] / "signed.pdf"
    src = world["unsigned"]
    for name, _no in TEAM:
        assert sign_as(world, name, src, "--out", out) == 0
        src = out
    return out


def pdfsig(world, pdf: Path) -> list[str]:
    """pdfsig's report split per signature (it exits 0 even on a digest mismatch: read the text)."""
    text = subprocess.run(["pdfsig", "-nssdir", f"sql:{world['nss']}", str(pdf)], capture_output=True,
                          text=True).stdout
    return re.split(r"^Signature #\d+:", text, flags=re.M)[1:]


def verify_json(capsys, world, pdf: Path) -> tuple[int, dict]:
    code, out, _err = cli(capsys, "verify", pdf, "--trust", world["ca"], "--format", "json")
    return code, json.loads(out)


def test_lead_cannot_sign_before_the_inspectors(world, capsys, tmp_path):
    capsys.readouterr()
    code = sign_as(world, "王建国", world["unsigned"], "--out", tmp_path / "x.pdf")
    err = capsys.readouterr().err
    assert code == 2 and "team lead signs last" in err and "张伟" in err and "李娜" in err
    assert not (tmp_path / "x.pdf").exists()


def test_wrong_password_is_refused_and_no_key_flag_exists(world, capsys, tmp_path, monkeypatch):
    bad = tmp_path / "bad.txt"
    bad.write_text("wrong password", encoding="utf-8")
    monkeypatch.setenv("INSPECTOR_USER", "zhangw")
    monkeypatch.setenv("INSPECTOR_PASSWORD_FILE", str(bad))
    code, _out, err = cli(capsys, "sign", world["unsigned"], "--out", tmp_path / "x.pdf", "--db", world["db"])
    assert code == 2 and ("wrong login or password" in err or "登录名或密码错误" in err)
    assert not (tmp_path / "x.pdf").exists()
    with pytest.raises(SystemExit):          # no flag picks another key or another person's line
        run(["sign", str(world["unsigned"]), "--key", str(world["keys"]["王建国"]), "--db", str(world["db"])])
    with pytest.raises(SystemExit):
        run(["sign", str(world["unsigned"]), "--field", "lead", "--db", str(world["db"])])


def test_signer_signs_only_their_own_line_once(world, capsys, tmp_path):
    once = tmp_path / "once.pdf"
    assert sign_as(world, "张伟", world["unsigned"], "--out", once) == 0
    capsys.readouterr()
    code = sign_as(world, "张伟", once)
    assert code == 2 and "already signed" in capsys.readouterr().err


def test_signed_in_order_is_valid_by_pyhanko(world, signed, capsys):
    code, report = verify_json(capsys, world, signed)
    assert code == 0 and report["ok"] is True and report["problems"] == []
    sigs = report["signatures"]
    assert [s["field"] for s in sigs] == ["inspector_1", "inspector_2", "lead"]
    assert [s["signer"] for s in sigs] == [n for n, _ in TEAM]
    assert all(s["intact"] and s["trusted"] and s["signed_at"] for s in sigs)
    assert [s["covers_whole_file"] for s in sigs] == [False, False, True]
    reader = PdfFileReader(io.BytesIO(signed.read_bytes()))
    for sig in reader.embedded_signatures:          # pyHanko directly, not through our wrapper
        status = validate_pdf_signature(sig, validation_context([world["ca"]]))
        assert status.intact and status.valid and status.trusted and status.bottom_line


def test_signed_in_order_is_valid_by_pdfsig(world, signed):
    blocks = pdfsig(world, signed)
    assert len(blocks) == 3
    for block, (name, cert_no) in zip(blocks, TEAM):
        assert "Signature is Valid." in block and "Certificate is Trusted." in block
        assert name in block and cert_no in block
        assert "ETSI.CAdES.detached" in block           # PAdES
    assert "- Total document signed" in blocks[-1]


def test_stamps_are_visible_on_the_signature_lines(signed):
    text = subprocess.run(["pdftotext", "-f", "2", "-l", "2", str(signed), "-"], capture_output=True,
                          text=True, check=True).stdout
    for name, cert_no in TEAM:
        assert text.count(name) >= 2                     # on the line and in the stamp
    assert text.count("执法证号：医保执字 3201-0012") >= 2


def test_verify_without_trust_uses_the_configured_ca(world, signed, capsys):
    code, out, _err = cli(capsys, "verify", signed, "--db", world["db"], "--format", "json")
    assert code == 0 and all(s["trusted"] for s in json.loads(out)["signatures"])
    code, out, _err = cli(capsys, "verify", signed, "--db", world["root"] / "other.db", "--format", "json")
    report = json.loads(out)
    assert code == 0 and report["ok"] and not any(s["trusted"] for s in report["signatures"])


def test_byte_flip_inside_the_signed_range_is_detected(world, signed, capsys, tmp_path):
    data = bytearray(signed.read_bytes())
    start, length = 0, int(re.search(rb"/ByteRange\s*\[\s*0\s+(\d+)", bytes(data)).group(1))
    offset = start + length // 2
    data[offset] ^= 0x01
    bad = tmp_path / "flipped.pdf"
    bad.write_bytes(bytes(data))
    code, report = verify_json(capsys, world, bad)
    assert code == 1 and report["ok"] is False
    assert not report["signatures"][0]["intact"]
    assert any("inspector_1" in p and "changed" in p for p in report["problems"])
    blocks = pdfsig(world, bad)
    assert "Digest Mismatch" in blocks[0]


def test_appended_update_after_the_last_signature_is_detected(world, signed, capsys, tmp_path):
    writer = IncrementalPdfFileWriter(io.BytesIO(signed.read_bytes()))
    page = writer.root["/Pages"]["/Kids"][0].get_object()
    page[generic.NameObject("/Rotate")] = generic.NumberObject(90)
    writer.update_container(page)
    out = io.BytesIO()
    writer.write(out)
    bad = tmp_path / "appended.pdf"
    bad.write_bytes(out.getvalue())
    code, report = verify_json(capsys, world, bad)
    assert code == 1 and report["ok"] is False
    assert report["signatures"][-1]["covers_whole_file"] is False
    assert report["signatures"][-1]["intact"] is True           # the signed bytes themselves are untouched
    assert any("after the last signature (lead)" in p for p in report["problems"])
    blocks = pdfsig(world, bad)
    assert "Not total document signed" in blocks[-1]


def test_removed_page_is_detected(world, signed, capsys, tmp_path):
    writer = IncrementalPdfFileWriter(io.BytesIO(signed.read_bytes()))
    pages = writer.root["/Pages"]
    kids = pages["/Kids"]
    del kids[len(kids) - 1]
    pages[generic.NameObject("/Count")] = generic.NumberObject(int(pages["/Count"]) - 1)
    writer.update_container(kids)
    writer.update_container(pages)
    out = io.BytesIO()
    writer.write(out)
    bad = tmp_path / "removed.pdf"
    bad.write_bytes(out.getvalue())
    assert int(PdfFileReader(io.BytesIO(bad.read_bytes())).root["/Pages"]["/Count"]) == report_pages(signed) - 1
    code, report = verify_json(capsys, world, bad)
    assert code == 1 and report["ok"] is False
    assert any("page(s) removed" in p for p in report["problems"])
    blocks = pdfsig(world, bad)
    assert all("Not total document signed" in b for b in blocks)


def report_pages(pdf: Path) -> int:
    return int(PdfFileReader(io.BytesIO(pdf.read_bytes())).root["/Pages"]["/Count"])


def test_unsigned_document_is_not_ok(world, capsys):
    code, report = verify_json(capsys, world, world["unsigned"])
    assert code == 1 and report["ok"] is False and report["signatures"] == []


def test_account_set_key_then_sign_as_the_logged_in_account(world, capsys, tmp_path, monkeypatch):
    db = tmp_path / "s.db"
    pw = tmp_path / "pw.txt"
    pw.write_text("lead-password-9\n", encoding="utf-8")
    assert run(["account", "create", "zhangw", "--role", "lead", "--cert-no", "医保执字 3201-0012",
                "--display-name", "张伟", "--password-file", str(pw), "--db", str(db)]) == 0
    monkeypatch.setenv("INSPECTOR_USER", "zhangw")
    monkeypatch.setenv("INSPECTOR_PASSWORD_FILE", str(pw))
    code, _out, err = cli(capsys, "account", "set-key", world["keys"]["李娜"], "--passphrase-file", world["pw"],
                          "--db", db)
    assert code == 2 and "李娜" in err                        # someone else's certificate is refused
    code, out, err = cli(capsys, "account", "set-key", world["keys"]["张伟"], "--passphrase-file", world["pw"],
                         "--db", db)
    assert code == 0 and "张伟" in out, err
    target = tmp_path / "by-account.pdf"
    shutil.copyfile(world["unsigned"], target)
    code, _out, err = cli(capsys, "sign", target, "--db", db)
    assert code == 0, err
    code, out, _err = cli(capsys, "verify", target, "--trust", world["ca"], "--format", "json")
    sigs = json.loads(out)["signatures"]
    assert [(s["field"], s["signer"], s["trusted"], s["covers_whole_file"]) for s in sigs] == [
        ("inspector_1", "张伟", True, True)]


def test_foreign_pdf_gets_a_new_visible_field(world, capsys, tmp_path):
    from reportlab.pdfgen.canvas import Canvas

    from inspector.reports.fonts import register_font

    plain = tmp_path / "plain.pdf"
    c = Canvas(str(plain), initialFontName=register_font())
    c.drawString(72, 720, "其他文书")
    c.save()
    assert sign_as(world, "王建国", plain) == 0
    code, report = verify_json(capsys, world, plain)
    assert code == 0 and report["signatures"][0]["field"] == "Signature1"
    assert "Signature is Valid." in pdfsig(world, plain)[0]


def test_stamp_fonts_are_embedded_too(signed):
    out = subprocess.run(["pdffonts", str(signed)], check=True, capture_output=True, text=True).stdout
    rows = [line.split() for line in out.splitlines()[2:] if line.strip()]
    assert len(rows) >= 4                                    # the document's subsets plus one per stamp
    assert all(r[-5:-3] == ["yes", "yes"] and "WenQuanYiMicroHei" in r[0] for r in rows), out
