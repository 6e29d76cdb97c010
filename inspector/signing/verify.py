"""Verification that means something: a signed report is OK only when

1. every signature is intact (digest and signature value match the signed bytes);
2. the signature lines are read from the revision the first signature covers (the declaration
   is signed content) and the current document declares the same;
3. every declared line is signed, by the person declared on it (certificate CN = name and
   serialNumber = certificate number), and no signature exists beyond the declared lines;
4. no person signed two lines, and every inspector signed before the lead;
5. every signer's certificate chains to a trust anchor and was valid at the time it signed
   (the signer-reported time: no timestamp authority is used), which is not in the future;
6. the field's seed values (subject, issuer) and locks (FieldMDP), and the first signature's
   DocMDP certification, hold: pyHanko's difference analysis accepts the changes after each
   signature, and the first signature certifies the document;
7. nothing follows the last signature but what PAdES permits (DSS/VRI and document timestamps:
   pyHanko's modification level LTA_UPDATES), and no page was removed.

Each failure is a `Problem` with a stable `code`, the field it concerns and a message in the
user's language. `VerifyReport.to_json()` is the `verify --format json` interface:

    {"file": "<path>", "ok": true|false, "pages": n,
     "lines": [{"field", "role", "name", "cert_no", "order", "signed": bool}],
     "signatures": [{"field", "signer", "cert_no", "issuer", "signed_at", "intact", "trusted",
                     "covers_whole_file", "certification", "declared", "matches_line"}],
     "problems": [{"code", "field", "message"}]}

Problem codes: unreadable, unsigned, no_declaration, declaration_changed, broken, untrusted,
future_time, seed_values, not_declared, wrong_signer, signed_twice, unsigned_line, order,
not_certified, locked_change, changed_after_last, pages_removed, cannot_validate.
"""
from __future__ import annotations

import io
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from asn1crypto import x509 as asn1_x509
from pyhanko.pdf_utils.misc import PdfReadError
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.diff_analysis import ModificationLevel
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.sign.validation.status import SignatureCoverageLevel
from pyhanko_certvalidator import ValidationContext

from inspector.errors import UserError, os_reason
from inspector.i18n import _
from inspector.signing.debuglog import route_library_logs
from inspector.signing.lines import ROLE_LEAD, SignatureLine, cert_identity, cert_matches, read_lines
from inspector.signing.trust import read_certificate

log = logging.getLogger(__name__)
FUTURE_TOLERANCE = timedelta(minutes=5)


@dataclass
class Problem:
    """One reason the document does not verify."""

    code: str
    message: str
    field: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"code": self.code, "field": self.field, "message": self.message}

    def __str__(self) -> str:
        return self.message


@dataclass
class SignatureCheck:
    """One signature: who, when, and what holds."""

    field: str
    signer: str
    cert_no: str | None = None
    issuer: str = ""
    signed_at: str | None = None
    intact: bool = False
    trusted: bool = False
    covers_whole_file: bool = False
    certification: bool = False
    declared: bool = False
    matches_line: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in ("field", "signer", "cert_no", "issuer", "signed_at", "intact", "trusted",
                                              "covers_whole_file", "certification", "declared", "matches_line")}


@dataclass
class VerifyReport:
    """The verdict on a signed report: `ok` only when there is no problem at all."""

    file: str
    ok: bool
    signatures: list[SignatureCheck]
    pages: int
    lines: list[SignatureLine] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        signed = {s.field for s in self.signatures}
        return {"file": self.file, "ok": self.ok, "pages": self.pages,
                "lines": [{**line.as_dict(), "signed": line.field in signed} for line in self.lines],
                "signatures": [s.as_dict() for s in self.signatures],
                "problems": [p.as_dict() for p in self.problems]}


def load_anchors(trust: Sequence[Path | bytes]) -> list[asn1_x509.Certificate]:
    """The trust anchors from certificate files (PEM/DER) or DER bytes; UserError on an unreadable file."""
    out = []
    for item in trust:
        if isinstance(item, (bytes, bytearray)):
            der = bytes(item)
        else:
            try:
                data = Path(item).read_bytes()
            except OSError as exc:
                raise UserError(_("{file}: cannot read ({why})").format(file=item, why=os_reason(exc))) from None
            from cryptography.hazmat.primitives import serialization

            der = read_certificate(data, str(item)).public_bytes(serialization.Encoding.DER)
        out.append(asn1_x509.Certificate.load(der))
    return out


def validation_context(trust: Sequence[Path | bytes], moment: datetime | None = None) -> ValidationContext:
    """Trust exactly the given CA certificates (never the system's); offline, no revocation fetching."""
    roots = load_anchors(trust)
    if not roots:
        raise UserError(_("no trust anchor: no trusted CA certificate was given, and the store trusts none yet; "
                          "add the bureau's CA certificate to the store's trust anchors"))
    return ValidationContext(trust_roots=roots, allow_fetching=False, revocation_mode="soft-fail", moment=moment)


def _page_count(root) -> int:
    return int(root["/Pages"]["/Count"])


def _is_certification(sig) -> bool:
    refs = sig.sig_object.get("/Reference", ())
    for ref in refs:
        try:
            if ref.get_object().get("/TransformMethod") == "/DocMDP":
                return True
        except Exception:  # noqa: BLE001 - an odd reference is not a certification
            continue
    return False


def verify_pdf(path: Path, trust: Sequence[Path | bytes]) -> VerifyReport:
    """Check the PDF at `path` against its declared signature lines and the trust anchors `trust`.

    `trust` holds certificate files or DER bytes (the store's anchors from
    `inspector.signing.trust.anchor_certificates`); an empty `trust` is refused (UserError).
    """
    route_library_logs()
    roots = load_anchors(trust)
    if not roots:
        validation_context([])          # raises the 'no trust anchor' UserError
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise UserError(_("{file}: cannot read ({why})").format(file=path, why=os_reason(exc))) from None
    try:
        reader = PdfFileReader(io.BytesIO(data), strict=False)
        pages = _page_count(reader.root)
        embedded = list(reader.embedded_signatures)
    except (PdfReadError, ValueError, KeyError, TypeError) as exc:
        log.info("unreadable PDF %s", path, exc_info=exc)
        return VerifyReport(str(path), False, [], 0, [], [Problem("unreadable", _("not a readable PDF"))])
    return _Verifier(str(path), reader, pages, embedded, roots).run()


class _Verifier:
    def __init__(self, file: str, reader: PdfFileReader, pages: int, embedded: list, roots) -> None:
        self.file, self.reader, self.pages, self.embedded, self.roots = file, reader, pages, embedded, roots
        self.problems: list[Problem] = []

    def add(self, code: str, message: str, field_name: str | None = None) -> None:
        self.problems.append(Problem(code, message, field_name))

    def run(self) -> VerifyReport:
        lines = self._declared_lines()
        by_field = {line.field: line for line in lines}
        checks = [self._check_signature(n, sig, by_field) for n, sig in enumerate(self.embedded)]
        if not checks:
            self.add("unsigned", _("the document has no signatures"))
        self._check_people(lines, checks)
        self._check_order(lines, checks)
        if checks and not _is_certification(self.embedded[0]):
            self.add("not_certified", _("the first signature ({field}) is not the certification (DocMDP) signature")
                     .format(field=checks[0].field), checks[0].field)
        return VerifyReport(self.file, not self.problems, checks, self.pages, lines, self.problems)

    def _declared_lines(self) -> list[SignatureLine]:
        current = read_lines(self.reader.root)
        if not self.embedded:
            return current or []
        try:
            signed_root = self.reader.get_historical_root(self.embedded[0].signed_revision)
            declared = read_lines(signed_root)
        except Exception as exc:  # noqa: BLE001 - a broken revision is a problem, not a crash
            log.info("cannot read the first signed revision", exc_info=exc)
            declared = None
        if declared is None:
            self.add("no_declaration", _("the signed document declares no signature lines: it was not made by "
                                         "Inspector, or its declaration was removed"))
            return []
        if current != declared:
            self.add("declaration_changed", _("the signature lines were changed after the first signature"))
        return declared

    def _check_signature(self, n: int, sig, by_field: dict[str, SignatureLine]) -> SignatureCheck:
        name = sig.field_name
        check = SignatureCheck(field=name, signer="")
        last = n == len(self.embedded) - 1
        try:
            cert = sig.signer_cert
            check.signer, check.cert_no = cert_identity(cert)
            check.issuer = str(cert.issuer.native.get("common_name", ""))
            moment = sig.self_reported_timestamp
            if moment is not None:
                check.signed_at = moment.astimezone().isoformat(timespec="seconds")
                if moment > datetime.now(timezone.utc) + FUTURE_TOLERANCE:
                    self.add("future_time", _("{field}: the signature claims a time in the future ({time})")
                             .format(field=name, time=check.signed_at), name)
                    moment = None
            vc = ValidationContext(trust_roots=self.roots, allow_fetching=False, revocation_mode="soft-fail",
                                   moment=moment)
            status = validate_pdf_signature(sig, vc)
            check.intact = bool(status.intact and status.valid)
            check.trusted = bool(status.trusted)
            check.covers_whole_file = status.coverage == SignatureCoverageLevel.ENTIRE_FILE
            check.certification = n == 0 and _is_certification(sig)
            if not check.intact or status.coverage < SignatureCoverageLevel.ENTIRE_REVISION:
                check.intact = False
                self.add("broken", _("{field}: the signed content was changed (the digest or the signature does not "
                                     "match)").format(field=name), name)
            if not check.trusted:
                self.add("untrusted", _("{field}: the certificate of {signer} does not chain to a trust anchor, or "
                                        "was not valid when it signed").format(field=name, signer=check.signer), name)
            if status.has_seed_values and not status.seed_value_ok:
                self.add("seed_values", _("{field}: the signer's certificate does not meet the line's constraints "
                                          "(subject and issuer named in the document)").format(field=name), name)
            level = status.modification_level
            if not check.covers_whole_file:
                if last:
                    if level is None or level > ModificationLevel.LTA_UPDATES or status.docmdp_ok is False:
                        self.add("changed_after_last", _("the file was changed after the last signature ({field})")
                                 .format(field=name), name)
                elif status.docmdp_ok is False or level is None or level > ModificationLevel.FORM_FILLING:
                    self.add("locked_change", _("{field}: the changes after this signature are not allowed by its "
                                                "locks or by the certification").format(field=name), name)
            try:
                signed_pages = _page_count(self.reader.get_historical_root(sig.signed_revision))
            except Exception:  # noqa: BLE001 - a broken revision is reported above
                signed_pages = None
            if signed_pages is not None and self.pages < signed_pages:
                self.add("pages_removed", _("{field}: page(s) removed after this signature: {signed} signed, "
                                            "{now} now").format(field=name, signed=signed_pages, now=self.pages), name)
        except UserError:
            raise
        except Exception as exc:  # noqa: BLE001 - a damaged signature is a failed check, not a crash
            log.info("cannot validate %s in %s", name, self.file, exc_info=exc)
            self.add("cannot_validate", _("{field}: the signature cannot be validated").format(field=name), name)
        line = by_field.get(name)
        check.declared = line is not None
        if line is None:
            if by_field:
                self.add("not_declared", _("{field}: a signature by {signer} outside the declared signature lines")
                         .format(field=name, signer=check.signer or "?"), name)
        else:
            try:
                check.matches_line = cert_matches(line, sig.signer_cert)
            except Exception:  # noqa: BLE001
                check.matches_line = False
            if not check.matches_line:
                self.add("wrong_signer", _("{field}: the line is declared for {name} (certificate no. {cert_no}) but "
                                           "signed by {signer} (certificate no. {signer_no})").format(
                    field=name, name=line.name, cert_no=line.cert_no, signer=check.signer or "?",
                    signer_no=check.cert_no or _("none")), name)
        return check

    def _check_people(self, lines: list[SignatureLine], checks: list[SignatureCheck]) -> None:
        seen: dict[tuple[str, str | None], str] = {}
        for c in checks:
            key = (c.signer, c.cert_no)
            if key in seen:
                self.add("signed_twice", _("{signer} signed two lines ({first} and {second}): one person signs one "
                                           "line").format(signer=c.signer, first=seen[key], second=c.field), c.field)
            else:
                seen[key] = c.field
        fields = [c.field for c in checks]
        for line in lines:
            if line.field not in fields:
                self.add("unsigned_line", _("line {field} ({name}, certificate no. {cert_no}) is not signed").format(
                    field=line.field, name=line.name, cert_no=line.cert_no), line.field)

    def _check_order(self, lines: list[SignatureLine], checks: list[SignatureCheck]) -> None:
        position = {c.field: i for i, c in enumerate(checks)}
        roles = {line.field: line.role for line in lines}
        for lead in (f for f in position if roles.get(f) == ROLE_LEAD):
            late = [f for f, i in position.items() if roles.get(f) not in (None, ROLE_LEAD) and i > position[lead]]
            if late:
                self.add("order", _("the team lead ({field}) signed before {others}: inspectors sign first").format(
                    field=lead, others=", ".join(late)), lead)
