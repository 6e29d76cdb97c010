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


pytestmark = pytest.mark.usefixtures("english")   # messages are matched in English


TEAM = [("张伟", "医保执字 3201-0012"), ("李娜", "医保执字 3201-0047"), ("王建国", "医保执字 3201-0003")]


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
    assert run(["keys", "create-demo-ca", "--out", str(root / "ca"), "--passphrase-file", str(pw), "--db", str(db)]) == 0
    assert run(["trust", "add", str(root / "ca" / "ca.pem"), "--db", str(db)]) == 0
    keys = {}
    for name, cert_no in TEAM:
        out = root / f"{cert_no[-4:]}.p12"
        assert run(["keys", "issue", "--ca", str(root / "ca"), "--ca-passphrase-file", str(pw), "--name", name,
                    "--cert-no", cert_no, "--out", str(out), "--passphrase-file", str(pw)]) == 0
        keys[name] = out
    unsigned = root / "report.pdf"
    render_report(sample_report_data(findings=12, census=10, photos=2), unsigned)
    nss = root / "nss"
    nss.mkdir()
    subprocess.run(["certutil", "-N", "-d", f"sql:{nss}", "--empty-password"], check=True, capture_output=True)
    subprocess.run(["certutil", "-A", "-d", f"sql:{nss}", "-n", "demo-ca", "-t", "CT,C,C", "-i",
                    str(root / "ca" / "ca.pem")], check=True, capture_output=True)
    return {"root": root, "pw": pw, "db": db, "keys": keys, "unsigned": unsigned, "nss": nss,
            "ca": root / "ca" / "ca.pem"}


@pytest.fixture(scope="module")
def signed(world):
    """The report signed by both inspectors, then the lead."""
    out = world["root"] / "signed.pdf"
    src = world["unsigned"]
    for name, _no in TEAM:
        assert run(["sign", str(src), "--key", str(world["keys"][name]), "--passphrase-file", str(world["pw"]),
                    "--out", str(out)]) == 0
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
    code, _out, err = cli(capsys, "sign", world["unsigned"], "--key", world["keys"]["王建国"],
                          "--passphrase-file", world["pw"], "--out", tmp_path / "x.pdf")
    assert code == 2 and "张伟 (inspector_1)" in err and "李娜 (inspector_2)" in err
    assert not (tmp_path / "x.pdf").exists()


def test_wrong_passphrase_is_refused(world, capsys, tmp_path):
    bad = tmp_path / "bad.txt"
    bad.write_text("wrong", encoding="utf-8")
    code, _out, err = cli(capsys, "sign", world["unsigned"], "--key", world["keys"]["张伟"],
                          "--passphrase-file", bad, "--out", tmp_path / "x.pdf")
    assert code == 2 and "PKCS#12" in err and "Traceback" not in err


def test_signer_signs_only_their_own_line_once(world, capsys, tmp_path):
    once = tmp_path / "once.pdf"
    assert run(["sign", str(world["unsigned"]), "--key", str(world["keys"]["张伟"]),
                "--passphrase-file", str(world["pw"]), "--out", str(once)]) == 0
    code, _out, err = cli(capsys, "sign", once, "--key", world["keys"]["张伟"], "--passphrase-file", world["pw"])
    assert code == 2 and "张伟" in err and "inspector_1" in err


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


def test_verify_without_trust_uses_the_stores_anchors(world, signed, capsys):
    code, out, _err = cli(capsys, "verify", signed, "--db", world["db"], "--format", "json")
    assert code == 0 and all(s["trusted"] for s in json.loads(out)["signatures"])
    code, out, err = cli(capsys, "verify", signed, "--db", world["root"] / "other.db", "--format", "json")
    assert code == 2 and out == "" and "trust add" in err          # nothing is trusted implicitly


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
    assert {"code": "broken", "field": "inspector_1"}.items() <= report["problems"][0].items()
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
    assert ("changed_after_last", "lead") in {(p["code"], p["field"]) for p in report["problems"]}
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
    assert "pages_removed" in {p["code"] for p in report["problems"]}
    blocks = pdfsig(world, bad)
    assert all("Not total document signed" in b for b in blocks)


def report_pages(pdf: Path) -> int:
    return int(PdfFileReader(io.BytesIO(pdf.read_bytes())).root["/Pages"]["/Count"])


def test_unsigned_document_is_not_ok(world, capsys):
    code, report = verify_json(capsys, world, world["unsigned"])
    assert code == 1 and report["ok"] is False and report["signatures"] == []


def test_import_key_then_sign_by_name(world, capsys, tmp_path):
    db = tmp_path / "s.db"
    code, out, _err = cli(capsys, "keys", "import", world["keys"]["张伟"], "--passphrase-file", world["pw"],
                          "--db", db)
    assert code == 0 and "张伟" in out
    assert run(["trust", "add", str(world["ca"]), "--db", str(db)]) == 0
    imported = list((tmp_path / "s.db.keys").glob("*.p12"))
    assert len(imported) == 1
    target = tmp_path / "by-name.pdf"
    shutil.copyfile(world["unsigned"], target)
    code, _out, err = cli(capsys, "sign", target, "--key", imported[0].stem, "--passphrase-file", world["pw"],
                          "--db", db)
    assert code == 0, err
    code, out, _err = cli(capsys, "verify", target, "--db", db, "--format", "json")
    report = json.loads(out)
    assert [(s["field"], s["signer"], s["trusted"], s["covers_whole_file"]) for s in report["signatures"]] == [
        ("inspector_1", "张伟", True, True)]
    assert code == 1 and {p["code"] for p in report["problems"]} == {"unsigned_line"}   # two lines still open


def test_foreign_pdf_is_not_signed(world, capsys, tmp_path):
    from reportlab.pdfgen.canvas import Canvas

    from inspector.reports.fonts import register_font

    plain = tmp_path / "plain.pdf"
    c = Canvas(str(plain), initialFontName=register_font())
    c.drawString(72, 720, "其他文书")
    c.save()
    before = plain.read_bytes()
    code, _out, err = cli(capsys, "sign", plain, "--key", world["keys"]["王建国"], "--passphrase-file", world["pw"])
    assert code == 2 and "plain.pdf" in err and plain.read_bytes() == before


def test_stamp_fonts_are_embedded_too(signed):
    out = subprocess.run(["pdffonts", str(signed)], check=True, capture_output=True, text=True).stdout
    rows = [line.split() for line in out.splitlines()[2:] if line.strip()]
    assert len(rows) >= 4                                    # the document's subsets plus one per stamp
    assert all(r[-5:-3] == ["yes", "yes"] and "WenQuanYiMicroHei" in r[0] for r in rows), out
