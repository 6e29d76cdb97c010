"""Incremental PAdES signatures with visible stamps, each on the signer's own declared line.

The core API (the GUI, the CLI and the accounts layer call it):

    load_signer(key: Path | bytes, passphrase: bytes) -> SimpleSigner
    sign_as(pdf: Path, signer: SimpleSigner, identity: SignerIdentity, *, out: Path | None = None,
            reason: str | None = None) -> SignResult
    sign_pdf(pdf: Path, key: Path | bytes, passphrase: bytes, out: Path | None = None,
             reason: str | None = None) -> SignResult

`sign_as` signs only the line the document declares for `identity` (name, certificate number,
role); it refuses a key whose certificate names someone else, a second signature by one person,
a line already signed, the lead before every inspector, anything after the lead, and a document
that declares no lines. There is no way to choose another person's line. `sign_pdf` is the
key-file form: the identity is the declared person whose name and certificate number the key's
certificate carries. The first signature is a DocMDP certification (form filling and signing
allowed after it); pyHanko enforces the field's seed values (subject, issuer) while signing.
"""
from __future__ import annotations

import io
import logging
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.misc import PdfReadError
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import signers
from pyhanko.sign.fields import MDPPerm, SigSeedSubFilter, SigSeedValueSpec, enumerate_sig_fields
from pyhanko.sign.general import SigningError
from pyhanko.sign.signers.pdf_signer import PdfSignatureMetadata, PdfSigner
from pyhanko_certvalidator import ValidationContext

from inspector.errors import UserError, os_reason
from inspector.i18n import _
from inspector.outputs import write_atomically
from inspector.signing.debuglog import route_library_logs
from inspector.signing.lines import ROLE_INSPECTOR, ROLE_LEAD, SignatureLine, SignerIdentity, cert_identity, cert_matches, read_lines
from inspector.signing.stamp import stamp_style

log = logging.getLogger(__name__)

__all__ = ["SignResult", "SignerIdentity", "load_signer", "sign_as", "sign_pdf", "subject_of", "identity_for_key"]


@dataclass(frozen=True)
class SignResult:
    """Who signed which field, and when (local time)."""

    field: str
    signer: str
    cert_no: str | None
    signed_at: datetime
    out: Path


def load_signer(key: Path | bytes, passphrase: bytes) -> signers.SimpleSigner:
    """The signer of a PKCS#12 key (a file or its bytes); UserError on a wrong passphrase or a broken file."""
    route_library_logs()
    if isinstance(key, (bytes, bytearray)):
        data, label = bytes(key), _("the key")
    else:
        label = str(key)
        try:
            data = Path(key).read_bytes()
        except OSError as exc:
            raise UserError(_("{file}: cannot read ({why})").format(file=label, why=os_reason(exc))) from None
    try:
        signer = signers.SimpleSigner.load_pkcs12_data(data, other_certs=None, passphrase=passphrase)
    except (OSError, ValueError, TypeError) as exc:
        log.debug("load_pkcs12 failed", exc_info=exc)
        signer = None
    if signer is None:
        raise UserError(_("{file}: not a PKCS#12 key, or the passphrase is wrong").format(file=label))
    return signer


def subject_of(signer: signers.SimpleSigner) -> tuple[str, str | None]:
    """(common name, certificate number from the subject's serialNumber) of the signer's certificate."""
    return cert_identity(signer.signing_cert)


def _open(pdf: Path) -> tuple[bytes, IncrementalPdfFileWriter]:
    try:
        data = Path(pdf).read_bytes()
    except OSError as exc:
        raise UserError(_("{file}: cannot read ({why})").format(file=pdf, why=os_reason(exc))) from None
    try:
        return data, IncrementalPdfFileWriter(io.BytesIO(data), strict=False)
    except (PdfReadError, ValueError) as exc:
        log.debug("not a readable PDF", exc_info=exc)
        raise UserError(_("{file}: not a readable PDF").format(file=pdf)) from None


def _declared(pdf: Path, writer: IncrementalPdfFileWriter) -> list[SignatureLine]:
    lines = read_lines(writer.root)
    if not lines:
        raise UserError(_("{file} declares no signature lines: only reports made by Inspector are signed")
                        .format(file=pdf))
    return lines


def identity_for_key(pdf: Path, signer: signers.SimpleSigner) -> SignerIdentity:
    """The declared person whose name and certificate number the key's certificate carries."""
    _data, writer = _open(pdf)
    lines = _declared(pdf, writer)
    name, cert_no = subject_of(signer)
    for line in lines:
        if cert_matches(line, signer.signing_cert):
            return SignerIdentity(line.name, line.cert_no, line.role)
    raise UserError(_("the key's certificate names {name} (certificate no. {cert_no}), who has no signature line "
                      "in this document; the lines are: {lines}").format(
        name=name, cert_no=cert_no or _("none"),
        lines=", ".join(f"{line.name} ({line.cert_no})" for line in lines)))


def _existing(data: bytes) -> list[tuple[str, object]]:
    """(field name, signer certificate) of each signature already in the document, oldest first."""
    reader = PdfFileReader(io.BytesIO(data), strict=False)
    return [(sig.field_name, sig.signer_cert) for sig in reader.embedded_signatures]


def check_may_sign(lines: list[SignatureLine], line: SignatureLine, signed: list[tuple[str, object]]) -> None:
    """The rules of who signs when: own line once, one line per person, inspectors before the lead."""
    declared = {x.field for x in lines}
    filled = {name for name, _cert in signed}
    stray = sorted(filled - declared)
    if stray:
        raise UserError(_("the document carries signatures outside its declared lines ({fields}): it is not signed "
                          "further").format(fields=", ".join(stray)))
    if line.field in filled:
        raise UserError(_("{name} has already signed this document (line {field})").format(
            name=line.name, field=line.field))
    for name, cert in signed:
        if cert_matches(line, cert):
            raise UserError(_("{name} has already signed line {field}: one person signs one line").format(
                name=line.name, field=name))
    leads_signed = [x for x in lines if x.role == ROLE_LEAD and x.field in filled]
    if leads_signed:
        raise UserError(_("the team lead has already signed: nothing is signed after the lead"))
    if line.role == ROLE_LEAD:
        missing = [x for x in lines if x.role != ROLE_LEAD and x.field not in filled]
        if missing:
            raise UserError(_("the team lead signs last: waiting for {names}").format(
                names=", ".join(f"{x.name} ({x.field})" for x in missing)))


def _validation_context(writer: IncrementalPdfFileWriter, field: str, signer: signers.SimpleSigner):
    """Trust the field's seed-value issuers, so pyHanko can check the issuer constraint while signing."""
    for name, _value, ref in enumerate_sig_fields(writer.prev):
        if name != field:
            continue
        sv = ref.get_object().get("/SV")
        if sv is None:
            return None
        spec = SigSeedValueSpec.from_pdf_object(sv)
        if spec.cert is None or not spec.cert.issuers:
            return None
        return ValidationContext(trust_roots=list(spec.cert.issuers), other_certs=list(signer.cert_registry),
                                 allow_fetching=False, revocation_mode="soft-fail")
    return None


def sign_as(pdf: Path, signer: signers.SimpleSigner, identity: SignerIdentity, *, out: Path | None = None,
            reason: str | None = None) -> SignResult:
    """Sign the line `pdf` declares for `identity` with `signer`; write to `out` (default: in place)."""
    route_library_logs()
    data, writer = _open(pdf)
    lines = _declared(pdf, writer)
    line = next((x for x in lines if x.name == identity.name and x.cert_no == identity.cert_no
                 and x.role == identity.role), None)
    if line is None:
        raise UserError(_("{name} (certificate no. {cert_no}) has no {role} line in this document; the lines are: "
                          "{lines}").format(name=identity.name, cert_no=identity.cert_no, role=_(identity.role),
                                            lines=", ".join(f"{x.name} ({x.cert_no})" for x in lines)))
    if not cert_matches(line, signer.signing_cert):
        name, cert_no = subject_of(signer)
        raise UserError(_("the key's certificate names {name} (certificate no. {cert_no}), not {line_name} "
                          "(certificate no. {line_cert_no}): a key signs only its holder's line").format(
            name=name, cert_no=cert_no or _("none"), line_name=line.name, line_cert_no=line.cert_no))
    signed = _existing(data)
    check_may_sign(lines, line, signed)
    signed_at = datetime.now().astimezone().replace(microsecond=0)
    headline = (_("Digitally signed by team lead {name}") if line.role == ROLE_LEAD
                else _("Digitally signed by inspector {name}") if line.role == ROLE_INSPECTOR
                else _("Digitally signed by {name}"))
    texts = [
        headline.format(name=line.name),
        _("Enforcement certificate no. {cert_no}").format(cert_no=line.cert_no) if line.cert_no else "",
        _("Time: {time}").format(time=signed_at.strftime("%Y-%m-%d %H:%M:%S %z")),
        _("Certificate {serial} issued by {issuer}").format(
            serial=f"{signer.signing_cert.serial_number:x}"[:16],
            issuer=signer.signing_cert.issuer.native.get("common_name", "")),
    ]
    width, height = _field_size(writer, line.field)
    certify = not signed
    meta = PdfSignatureMetadata(field_name=line.field, subfilter=SigSeedSubFilter.PADES, md_algorithm="sha256",
                                name=line.name, reason=reason or _("On-site inspection documents"),
                                certify=certify, docmdp_permissions=MDPPerm.FILL_FORMS if certify else None,
                                validation_context=_validation_context(writer, line.field, signer))
    pdf_signer = PdfSigner(meta, signer=signer, stamp_style=stamp_style(width, height, [t for t in texts if t]))
    buf = io.BytesIO()
    try:
        pdf_signer.sign_pdf(writer, output=buf, existing_fields_only=True)
    except SigningError as exc:
        log.warning("pyHanko refused to sign %s line %s", pdf, line.field, exc_info=exc)
        raise UserError(_("the signature line {field} does not accept this key: {why}").format(
            field=line.field, why=_("its certificate is not issued by a CA the report names, or does not name "
                                     "the declared person"))) from None
    target_path = Path(out) if out else Path(pdf)
    write_atomically(target_path, buf.getvalue())
    return SignResult(field=line.field, signer=line.name, cert_no=line.cert_no, signed_at=signed_at, out=target_path)


def sign_pdf(pdf: Path, key: Path | bytes, passphrase: bytes, out: Path | None = None,
             reason: str | None = None) -> SignResult:
    """Sign with a PKCS#12 key on the line of the person its certificate names (see `sign_as`)."""
    signer = load_signer(key, passphrase)
    return sign_as(pdf, signer, identity_for_key(pdf, signer), out=out, reason=reason)


def _field_size(writer: IncrementalPdfFileWriter, field_name: str) -> tuple[float, float]:
    for fname, _value, ref in enumerate_sig_fields(writer.prev):
        if fname == field_name:
            rect = [float(v) for v in ref.get_object()["/Rect"]]
            return abs(rect[2] - rect[0]), abs(rect[3] - rect[1])
    raise UserError(_("the document declares line {field} but has no such field").format(field=field_name))
