"""Incremental PAdES signatures with visible stamps on the signer's line, in the declared order."""
from __future__ import annotations

import io
import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.misc import PdfReadError
from pyhanko.sign import signers
from pyhanko.sign.fields import SigFieldSpec, SigSeedSubFilter, enumerate_sig_fields
from pyhanko.sign.signers.pdf_signer import PdfSignatureMetadata, PdfSigner

from inspector.errors import UserError
from inspector.i18n import _
from inspector.reports.model import ROLE_LEAD
from inspector.reports.pdf import SIGNATURE_LINES_KEY, write_atomically
from inspector.signing.stamp import stamp_style

FREE_STAMP_SIZE = (170.0, 56.0)     # stamp on documents that declare no signature lines


@dataclass(frozen=True)
class SignResult:
    """Who signed which field, and when (local time)."""

    field: str
    signer: str
    cert_no: str | None
    signed_at: datetime
    out: Path


def load_signer(p12: Path, passphrase: bytes) -> signers.SimpleSigner:
    """The signer of a PKCS#12 file; UserError on a wrong passphrase or a broken file."""
    try:
        signer = signers.SimpleSigner.load_pkcs12(str(p12), passphrase=passphrase)
    except (OSError, ValueError) as exc:
        raise UserError(f"{p12}: cannot open the key ({exc})") from None
    if signer is None:
        raise UserError(f"{p12}: not a PKCS#12 file, or the passphrase is wrong")
    return signer


def subject_of(signer: signers.SimpleSigner) -> tuple[str, str | None]:
    """(common name, certificate number from the subject's serialNumber) of the signer's certificate."""
    subject = signer.signing_cert.subject.native
    return str(subject.get("common_name", "")), subject.get("serial_number")


def declared_lines(writer: IncrementalPdfFileWriter) -> list[dict]:
    """The signature lines the document declares, in signing order (empty for foreign PDFs)."""
    raw = writer.root.get(SIGNATURE_LINES_KEY)
    if raw is None:
        return []
    try:
        lines = json.loads(str(raw))
    except ValueError:
        return []
    return [line for line in lines if isinstance(line, dict) and "field" in line]


def _choose_field(lines: list[dict], filled: dict[str, bool], name: str, cert_no: str | None,
                  field: str | None) -> dict:
    if field:
        match = [line for line in lines if line["field"] == field]
        if not match:
            raise UserError(f"this document has no signature line '{field}'; lines: "
                            + ", ".join(line["field"] for line in lines))
        return match[0]
    by_no = [line for line in lines if cert_no and line.get("cert_no") == cert_no]
    by_name = [line for line in lines if line.get("name") == name]
    candidates = by_no or by_name
    unsigned = [line for line in candidates if not filled.get(line["field"])]
    if not candidates:
        raise UserError(
            f"the key's holder '{name}'" + (f" (certificate no. {cert_no})" if cert_no else "")
            + " has no signature line in this document; lines: "
            + ", ".join(f"{line['field']}={line.get('name')}" for line in lines)
            + " (use --field to choose one)")
    if not unsigned:
        raise UserError(f"'{name}' has already signed this document (field {candidates[0]['field']})")
    return unsigned[0]


def check_order(lines: list[dict], filled: dict[str, bool], target: dict) -> None:
    """The lead's line signs only after every inspector's line is signed."""
    if target.get("role") != ROLE_LEAD:
        return
    missing = [line for line in lines if line.get("role") != ROLE_LEAD and not filled.get(line["field"])]
    if missing:
        raise UserError("the team lead signs last: waiting for "
                        + ", ".join(f"{line.get('name')} ({line['field']})" for line in missing))


def sign_pdf(pdf: Path, key: Path | signers.SimpleSigner, passphrase: bytes | None, out: Path | None = None,
             field: str | None = None, reason: str | None = None) -> SignResult:
    """Add one incremental PAdES signature by the holder of `key` (a PKCS#12 file, or a signer already
    loaded, e.g. an account's key unlocked at login) on their line; write to `out` (default: in place)."""
    signer = key if isinstance(key, signers.SimpleSigner) else load_signer(key, passphrase)
    name, cert_no = subject_of(signer)
    data = Path(pdf).read_bytes()
    try:
        writer = IncrementalPdfFileWriter(io.BytesIO(data), strict=False)
    except (PdfReadError, ValueError) as exc:
        raise UserError(f"{pdf}: not a readable PDF ({exc})") from None
    existing = {fname: value is not None for fname, value, _ref in enumerate_sig_fields(writer.prev)}
    lines = declared_lines(writer)
    signed_at = datetime.now().astimezone().replace(microsecond=0)
    new_field: SigFieldSpec | None = None
    line_cert_no = cert_no
    if lines:
        target = _choose_field(lines, existing, name, cert_no, field)
        check_order(lines, existing, target)
        field_name = target["field"]
        line_cert_no = cert_no or target.get("cert_no")
        headline = (_("Digitally signed by team lead {name}") if target.get("role") == ROLE_LEAD
                    else _("Digitally signed by inspector {name}"))
        width, height = _field_size(writer, field_name)
    else:
        n = sum(1 for _f in existing) + 1
        field_name = field or f"Signature{n}"
        if existing.get(field_name):
            raise UserError(f"field {field_name} is already signed")
        headline = _("Digitally signed by {name}")
        width, height = FREE_STAMP_SIZE
        if field_name not in existing:
            pages = int(writer.root["/Pages"]["/Count"])
            x1, y1 = 40 + ((n - 1) % 3) * (width + 8), 40 + ((n - 1) // 3) * (height + 8)
            new_field = SigFieldSpec(sig_field_name=field_name, on_page=pages - 1,
                                     box=(int(x1), int(y1), int(x1 + width), int(y1 + height)))
    lines_text = [
        headline.format(name=name),
        _("Enforcement certificate no. {cert_no}").format(cert_no=line_cert_no) if line_cert_no else "",
        _("Time: {time}").format(time=signed_at.strftime("%Y-%m-%d %H:%M:%S %z")),
        _("Certificate {serial} issued by {issuer}").format(
            serial=f"{signer.signing_cert.serial_number:x}"[:16],
            issuer=signer.signing_cert.issuer.native.get("common_name", "")),
    ]
    meta = PdfSignatureMetadata(field_name=field_name, subfilter=SigSeedSubFilter.PADES, md_algorithm="sha256",
                                name=name, reason=reason or _("On-site inspection documents"))
    pdf_signer = PdfSigner(meta, signer=signer, stamp_style=stamp_style(width, height, [t for t in lines_text if t]),
                           new_field_spec=new_field)
    buf = io.BytesIO()
    pdf_signer.sign_pdf(writer, output=buf)
    target_path = Path(out) if out else Path(pdf)
    write_atomically(target_path, buf.getvalue())
    return SignResult(field=field_name, signer=name, cert_no=line_cert_no, signed_at=signed_at, out=target_path)


def _field_size(writer: IncrementalPdfFileWriter, field_name: str) -> tuple[float, float]:
    for fname, _value, ref in enumerate_sig_fields(writer.prev):
        if fname == field_name:
            rect = [float(v) for v in ref.get_object()["/Rect"]]
            return abs(rect[2] - rect[0]), abs(rect[3] - rect[1])
    raise UserError(f"the document declares line {field_name} but has no such field")
