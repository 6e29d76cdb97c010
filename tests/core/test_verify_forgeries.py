"""Forged signed reports are refused by `verify` and by `upload queue`.

A report declares its signature lines (person, 执法证号, role, order) in its first revision, and each
line's field carries seed values and a FieldMDP lock; the forgeries below are made the way an
attacker would: by cutting the file, or with pyHanko directly (bypassing our order and identity
checks and pyHanko's own seed-value enforcement, as another PAdES tool would).
"""
from __future__ import annotations

import dataclasses
import io
import json
import re
import subprocess
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import signers
from pyhanko.sign.fields import MDPPerm, SigFieldSpec, SigSeedSubFilter
from pyhanko.sign.signers.pdf_signer import PdfSignatureMetadata, PdfSigner

from inspector.cli import run
from inspector.errors import UserError
from inspector.reports.model import TeamMember
from inspector.reports.pdf import render_report
from inspector.reports.sample import sample_report_data
from inspector.signing.ca import create_demo_ca, issue_key
from inspector.signing.sign import SignerIdentity, load_signer, sign_as

PASS = "a-key-passphrase"
CA_PASS = "a-ca-passphrase"
TEAM = [TeamMember("王建国", "61010020260001", "inspector"), TeamMember("李晓梅", "61010020260002", "inspector"),
        TeamMember("陈志强", "61010020260003", "lead")]
CA_NAME = "Demo Medical Security Bureau CA"


def cli(capsys, *argv) -> tuple[int, str, str]:
    capsys.readouterr()
    code = run([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """The bureau CA (a trust anchor of the store), a CA of the same name that is not, keys from both
    for the team, and the unsigned report whose lines name the team."""
    root = tmp_path_factory.mktemp("forge")
    (root / "pass.txt").write_text(PASS + "\n", encoding="utf-8")
    (root / "ca-pass.txt").write_text(CA_PASS + "\n", encoding="utf-8")
    db = root / "store.db"
    assert run(["keys", "create-demo-ca", "--out", str(root / "ca"), "--passphrase-file", str(root / "ca-pass.txt"),
                "--db", str(db)]) == 0
    assert run(["trust", "add", str(root / "ca" / "ca.pem"), "--db", str(db)]) == 0
    create_demo_ca(root / "evil-ca", CA_PASS.encode(), name=CA_NAME)     # same name, other key
    good, evil = {}, {}
    for m in TEAM:
        good[m.name] = root / f"good-{m.cert_no}.p12"
        assert run(["keys", "issue", "--ca", str(root / "ca"), "--ca-passphrase-file", str(root / "ca-pass.txt"),
                    "--name", m.name, "--cert-no", m.cert_no, "--out", str(good[m.name]),
                    "--passphrase-file", str(root / "pass.txt")]) == 0
        evil[m.name] = issue_key(root / "evil-ca", m.name, root / f"evil-{m.cert_no}.p12", PASS.encode(),
                                 cert_no=m.cert_no, ca_passphrase=CA_PASS.encode()).path
    ca_der = x509.load_pem_x509_certificate((root / "ca" / "ca.pem").read_bytes()).public_bytes(
        serialization.Encoding.DER)
    data = dataclasses.replace(sample_report_data(findings=3, census=3, photos=0), team=list(TEAM),
                               trust_anchors=(ca_der,))
    unsigned = root / "report.pdf"
    render_report(data, unsigned)
    return {"root": root, "db": db, "good": good, "evil": evil, "unsigned": unsigned, "pass": root / "pass.txt",
            "ca": root / "ca" / "ca.pem", "evil_ca": root / "evil-ca" / "ca.pem"}


@pytest.fixture(scope="module")
def signed(world) -> Path:
    """Inspectors, then the lead, through the `sign` command."""
    out = world["root"] / "signed.pdf"
    src = world["unsigned"]
    for m in TEAM:
        assert run(["sign", str(src), "--key", str(world["good"][m.name]), "--passphrase-file", str(world["pass"]),
                    "--out", str(out)]) == 0
        src = out
    return out


def pyhanko_sign(pdf: bytes, p12: Path, field: str, *, certify: bool = False, new_field: bool = False) -> bytes:
    """Sign `field` with pyHanko alone: no order or identity check, seed values ignored (another tool)."""
    signer = signers.SimpleSigner.load_pkcs12(str(p12), passphrase=PASS.encode())
    meta = PdfSignatureMetadata(field_name=field, subfilter=SigSeedSubFilter.PADES, md_algorithm="sha256",
                                certify=certify, docmdp_permissions=MDPPerm.FILL_FORMS)
    spec = SigFieldSpec(field, on_page=0, box=(20, 20, 200, 70)) if new_field else None
    pdf_signer = PdfSigner(meta, signer=signer, new_field_spec=spec)
    pdf_signer._ignore_sv = True
    out = io.BytesIO()
    pdf_signer.sign_pdf(IncrementalPdfFileWriter(io.BytesIO(pdf), strict=False), output=out)
    return out.getvalue()


def verify(capsys, world, pdf: Path, *extra) -> tuple[int, dict, str]:
    code, out, err = cli(capsys, "verify", pdf, "--db", world["db"], "--format", "json", *extra)
    return code, json.loads(out), err


def codes(report: dict) -> set[tuple[str, str | None]]:
    return {(p["code"], p["field"]) for p in report["problems"]}


def assert_refused(capsys, world, pdf: Path, expected: set[tuple[str, str | None]]) -> dict:
    """`verify` exits 1 naming every expected problem, and `upload queue` refuses the file."""
    code, report, err = verify(capsys, world, pdf)
    assert code == 1 and report["ok"] is False, report
    assert expected <= codes(report), codes(report)
    assert "Traceback" not in err and err == ""
    code, _out, err = _as_lead(world, lambda: cli(capsys, "upload", "queue", "--inspection", "1", "--pdf", pdf,
                                                  "--db", world["db"]))
    assert code == 2 and "Traceback" not in err
    first = report["problems"][0]["message"]
    assert first in err                                 # the same reason, in the user's language
    return report


def _as_lead(world, fn):
    """Run `fn` with the CLI logged in as a lead account of the world's store (created once)."""
    import os

    from inspector.db import open_store
    from tests.support.accounts import make_accounts, password_of

    pw = world["root"] / "lead-password.txt"
    if not pw.exists():
        engine = open_store(world["db"])
        make_accounts(engine)
        engine.dispose()
        pw.write_text(password_of("zhang") + "\n", encoding="utf-8")
    saved = {k: os.environ.get(k) for k in ("INSPECTOR_USER", "INSPECTOR_PASSWORD_FILE")}
    os.environ.update(INSPECTOR_USER="zhang", INSPECTOR_PASSWORD_FILE=str(pw))
    try:
        return fn()
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def write(world, name: str, data: bytes) -> Path:
    path = world["root"] / name
    path.write_bytes(data)
    return path


def test_good_report_verifies_with_the_store_anchor_and_pdfsig(world, signed, capsys):
    code, report, err = verify(capsys, world, signed)
    assert code == 0 and report["ok"] and report["problems"] == [] and err == ""
    assert [(s["field"], s["signer"], s["cert_no"]) for s in report["signatures"]] == [
        ("inspector_1", "王建国", "61010020260001"), ("inspector_2", "李晓梅", "61010020260002"),
        ("lead", "陈志强", "61010020260003")]
    assert [s["certification"] for s in report["signatures"]] == [True, False, False]
    assert all(s["trusted"] and s["intact"] and s["matches_line"] for s in report["signatures"])
    assert [(line["field"], line["role"], line["order"], line["signed"]) for line in report["lines"]] == [
        ("inspector_1", "inspector", 1, True), ("inspector_2", "inspector", 2, True), ("lead", "lead", 3, True)]
    code, out, _err = cli(capsys, "verify", signed, "--db", world["db"])
    assert code == 0 and "陈志强 (61010020260003)" in out
    text = subprocess.run(["pdfsig", str(signed)], capture_output=True, text=True).stdout
    blocks = re.split(r"^Signature #\d+:", text, flags=re.M)[1:]
    assert len(blocks) == 3 and all("Signature is Valid." in b for b in blocks)
    assert "serialNumber=61010020260003" in blocks[2] and "Total document signed" in blocks[2]


def test_the_lines_carry_seed_values_and_locks_in_pdf_terms(world):
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.fields import SigSeedValueSpec

    reader = PdfFileReader(io.BytesIO(world["unsigned"].read_bytes()))
    fields = {f.get_object()["/T"]: f.get_object() for f in reader.root["/AcroForm"]["/Fields"]}
    lead = fields["lead"]
    sv = SigSeedValueSpec.from_pdf_object(lead["/SV"])         # pyHanko reads back what we wrote
    dn = sv.cert.subject_dn.native
    assert dn == {"common_name": "陈志强", "serial_number": "61010020260003"}
    assert [c.subject.native["common_name"] for c in sv.cert.issuers] == [CA_NAME]
    assert lead["/Lock"]["/Action"] == "/All" and lead["/Lock"]["/P"] == 1
    assert fields["inspector_1"]["/Lock"]["/Action"] == "/Exclude"
    assert list(fields["inspector_1"]["/Lock"]["/Fields"]) == ["inspector_2", "lead"]


def test_cut_back_before_the_lead_signed(world, signed, capsys):
    data = signed.read_bytes()
    ranges = [[int(v) for v in m.groups()] for m in re.finditer(rb"/ByteRange\s*\[\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)",
                                                                 data)]
    ends = sorted(r[2] + r[3] for r in ranges)
    cut = write(world, "cut.pdf", data[:ends[1]])          # the file as it was after inspector_2 signed
    report = assert_refused(capsys, world, cut, {("unsigned_line", "lead")})
    assert [s["field"] for s in report["signatures"]] == ["inspector_1", "inspector_2"]


def test_extra_signature_after_the_lead_by_a_self_made_certificate(world, signed, capsys, tmp_path):
    self_ca = tmp_path / "self"
    create_demo_ca(self_ca, CA_PASS.encode(), name="陈志强")
    fake = issue_key(self_ca, "陈志强", tmp_path / "fake.p12", PASS.encode(), cert_no="61010020260003",
                     ca_passphrase=CA_PASS.encode()).path
    forged = write(world, "extra.pdf", pyhanko_sign(signed.read_bytes(), fake, "lead_2", new_field=True))
    assert_refused(capsys, world, forged, {("not_declared", "lead_2"), ("untrusted", "lead_2"),
                                           ("locked_change", "lead"), ("signed_twice", "lead_2")})


def test_all_signatures_from_another_ca_with_the_same_name(world, capsys):
    pdf = world["unsigned"].read_bytes()
    for n, m in enumerate(TEAM):
        pdf = pyhanko_sign(pdf, world["evil"][m.name], ["inspector_1", "inspector_2", "lead"][n], certify=n == 0)
    forged = write(world, "other-ca.pdf", pdf)
    report = assert_refused(capsys, world, forged, {("untrusted", f) for f in ("inspector_1", "inspector_2", "lead")})
    assert all(s["matches_line"] for s in report["signatures"])    # the names are right; the CA is not


def test_our_sign_refuses_a_key_the_line_does_not_accept(world, tmp_path, capsys):
    code, _out, err = cli(capsys, "sign", world["unsigned"], "--key", world["evil"]["王建国"], "--passphrase-file",
                          world["pass"], "--out", tmp_path / "x.pdf")
    assert code == 2 and "inspector_1" in err and "Traceback" not in err
    assert not (tmp_path / "x.pdf").exists()


def test_lead_first_then_the_inspectors(world, capsys):
    # (a certifying lead would forbid the inspectors' signatures outright: pyHanko refuses to add them)
    pdf = pyhanko_sign(world["unsigned"].read_bytes(), world["good"]["陈志强"], "lead")
    pdf = pyhanko_sign(pdf, world["good"]["王建国"], "inspector_1")
    pdf = pyhanko_sign(pdf, world["good"]["李晓梅"], "inspector_2")
    forged = write(world, "lead-first.pdf", pdf)
    report = assert_refused(capsys, world, forged, {("order", "lead"), ("locked_change", "lead"),
                                                    ("not_certified", "lead")})
    assert all(s["trusted"] and s["matches_line"] for s in report["signatures"])


def test_an_inspector_signs_the_leads_line(world, signed, capsys):
    pdf = world["unsigned"].read_bytes()
    pdf = pyhanko_sign(pdf, world["good"]["王建国"], "inspector_1", certify=True)
    pdf = pyhanko_sign(pdf, world["good"]["李晓梅"], "inspector_2")
    pdf = pyhanko_sign(pdf, world["good"]["李晓梅"], "lead")
    forged = write(world, "inspector-on-lead.pdf", pdf)
    assert_refused(capsys, world, forged, {("wrong_signer", "lead"), ("seed_values", "lead"),
                                           ("signed_twice", "lead")})


def test_one_person_signs_two_lines(world, capsys):
    pdf = world["unsigned"].read_bytes()
    pdf = pyhanko_sign(pdf, world["good"]["王建国"], "inspector_1", certify=True)
    pdf = pyhanko_sign(pdf, world["good"]["王建国"], "inspector_2")
    pdf = pyhanko_sign(pdf, world["good"]["陈志强"], "lead")
    forged = write(world, "twice.pdf", pdf)
    assert_refused(capsys, world, forged, {("signed_twice", "inspector_2"), ("wrong_signer", "inspector_2")})


def test_our_api_signs_only_the_identitys_own_line_once(world, tmp_path):
    inspector = load_signer(world["good"]["王建国"], PASS.encode())
    with pytest.raises(UserError, match="王建国"):      # the key names 王建国, not the lead
        sign_as(world["unsigned"], inspector, SignerIdentity("陈志强", "61010020260003", "lead"), out=tmp_path / "a.pdf")
    with pytest.raises(UserError, match="61010020260001"):   # no lead line for that person
        sign_as(world["unsigned"], inspector, SignerIdentity("王建国", "61010020260001", "lead"), out=tmp_path / "a.pdf")
    once = tmp_path / "once.pdf"
    sign_as(world["unsigned"], inspector, SignerIdentity("王建国", "61010020260001", "inspector"), out=once)
    with pytest.raises(UserError, match="inspector_1"):
        sign_as(once, inspector, SignerIdentity("王建国", "61010020260001", "inspector"))
    lead = load_signer(world["good"]["陈志强"], PASS.encode())
    with pytest.raises(UserError, match="李晓梅"):       # the lead waits for the other inspector
        sign_as(once, lead, SignerIdentity("陈志强", "61010020260003", "lead"))


def test_an_unrelated_trust_root_is_refused(world, signed, capsys, tmp_path, cli_account):
    empty = tmp_path / "empty.db"
    code, out, err = cli(capsys, "verify", signed, "--trust", world["evil_ca"], "--db", empty, "--format", "json")
    report = json.loads(out)
    assert code == 1 and {p["code"] for p in report["problems"]} == {"untrusted"} and err == ""
    other = tmp_path / "other.db"
    assert run(["trust", "add", str(world["evil_ca"]), "--db", str(other)]) == 0
    cli_account(other, "zhang")                       # upload queue: as a logged-in account
    code, _out, err = cli(capsys, "upload", "queue", "--inspection", "1", "--pdf", signed, "--db", other)
    assert code == 2 and "inspector_1" in err and "Traceback" not in err


def test_no_trust_anchor_is_a_clear_refusal(world, signed, capsys, tmp_path):
    code, out, err = cli(capsys, "verify", signed, "--db", tmp_path / "none.db")
    assert code == 2 and out == "" and "Traceback" not in err
    assert "trust add" in err and err.count("\n") == 1


def test_short_passphrases_are_refused(world, capsys, tmp_path):
    short = tmp_path / "short.txt"
    short.write_text("x\n", encoding="utf-8")
    code, _out, err = cli(capsys, "keys", "issue", "--ca", world["root"] / "ca", "--ca-passphrase-file",
                          world["root"] / "ca-pass.txt", "--name", "张三", "--cert-no", "1", "--out", tmp_path / "k.p12",
                          "--passphrase-file", short)
    assert code == 2 and "10" in err and not (tmp_path / "k.p12").exists()
    code, _out, err = cli(capsys, "keys", "create-demo-ca", "--out", tmp_path / "ca", "--passphrase-file", short)
    assert code == 2 and "10" in err and not (tmp_path / "ca").exists()


def test_trust_list_and_remove(world, capsys, tmp_path):
    db = tmp_path / "t.db"
    code, out, _err = cli(capsys, "trust", "list", "--db", db, "--format", "json")
    assert code == 0 and json.loads(out) == []
    assert run(["trust", "add", str(world["ca"]), "--db", str(db)]) == 0
    assert run(["trust", "add", str(world["ca"]), "--db", str(db)]) == 0          # idempotent
    code, out, _err = cli(capsys, "trust", "list", "--db", db, "--format", "json")
    anchors = json.loads(out)
    assert [a["common_name"] for a in anchors] == [CA_NAME] and len(anchors[0]["sha256"]) == 64
    assert set(anchors[0]) == {"sha256", "subject", "common_name", "not_after", "added_at", "added_by"}
    code, _out, err = cli(capsys, "trust", "add", world["good"]["王建国"], "--db", db)
    assert code == 2 and "Traceback" not in err                                   # a key file is no CA certificate
    assert run(["trust", "remove", anchors[0]["sha256"][:12], "--db", str(db)]) == 0
    code, out, _err = cli(capsys, "trust", "list", "--db", db, "--format", "json")
    assert json.loads(out) == []


def test_a_certificate_expired_when_it_signed_is_refused(world, capsys, tmp_path):
    from datetime import datetime, timedelta, timezone

    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.hazmat.primitives.serialization import pkcs12
    from cryptography.x509.oid import NameOID

    from inspector.signing.ca import load_ca

    ca_cert, ca_key = load_ca(world["root"] / "ca", CA_PASS.encode())
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    now = datetime.now(timezone.utc)
    cert = (x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "王建国"),
                                     x509.NameAttribute(NameOID.SERIAL_NUMBER, "61010020260001")]))
            .issuer_name(ca_cert.subject).public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(days=30)).not_valid_after(now - timedelta(days=1))
            .add_extension(x509.KeyUsage(True, True, False, False, False, False, False, False, False), critical=True)
            .sign(ca_key, hashes.SHA256()))
    p12 = tmp_path / "expired.p12"
    p12.write_bytes(pkcs12.serialize_key_and_certificates(b"x", key, cert, [ca_cert],
                                                          serialization.BestAvailableEncryption(PASS.encode())))
    forged = write(world, "expired.pdf", pyhanko_sign(world["unsigned"].read_bytes(), p12, "inspector_1", certify=True))
    report = assert_refused(capsys, world, forged, {("untrusted", "inspector_1")})
    assert report["signatures"][0]["matches_line"] and report["signatures"][0]["intact"]


def test_a_dss_update_after_the_last_signature_is_permitted(world, signed, capsys):
    """PAdES allows validation data (DSS/VRI) after the last signature; anything else is refused (test_signing)."""
    from asn1crypto import x509 as asn1_x509
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation.dss import DocumentSecurityStore

    data = signed.read_bytes()
    last = PdfFileReader(io.BytesIO(data)).embedded_signatures[-1]
    ca = asn1_x509.Certificate.load(x509.load_pem_x509_certificate(world["ca"].read_bytes()).public_bytes(
        serialization.Encoding.DER))
    buf = io.BytesIO(data)
    DocumentSecurityStore.add_dss(buf, last.pkcs7_content.hex().encode("ascii"), certs=[ca, last.signer_cert],
                                  force_write=True)
    assert len(buf.getvalue()) > len(data) and b"/DSS" in buf.getvalue()[len(data):]
    dss = write(world, "dss.pdf", buf.getvalue())
    code, report, err = verify(capsys, world, dss)
    assert code == 0 and report["problems"] == [] and err == "", report["problems"]
    assert report["signatures"][-1]["covers_whole_file"] is False
