"""Verification of every signature in a PDF: intact, trusted, coverage, changes after signing."""
from __future__ import annotations

import io
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from pyhanko.keys import load_cert_from_pemder
from pyhanko.pdf_utils.misc import PdfReadError
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.sign.validation.status import SignatureCoverageLevel
from pyhanko_certvalidator import ValidationContext

from inspector.errors import UserError

from inspector.i18n import _


@dataclass
class SignatureCheck:
    """One signature: who, when, and what holds."""

    field: str
    signer: str
    signed_at: str | None
    intact: bool
    trusted: bool
    covers_whole_file: bool
    pages_signed: int | None = None
    changes_after: str | None = None      # pyHanko's modification level of later revisions
    problem: str | None = None


@dataclass
class VerifyReport:
    """The document verdict: ok when every signature is intact, the last covers the whole file and no page is gone."""

    file: str
    ok: bool
    signatures: list[SignatureCheck]
    pages: int
    problems: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        keys = ("field", "signer", "signed_at", "intact", "trusted", "covers_whole_file")
        return {"file": self.file, "ok": self.ok, "pages": self.pages, "problems": self.problems,
                "signatures": [{**{k: getattr(s, k) for k in keys},
                                **{k: v for k, v in asdict(s).items() if k not in keys and v is not None}}
                               for s in self.signatures]}


def validation_context(trust: list[Path]) -> ValidationContext:
    """Trust exactly the given CA certificates; offline, no revocation fetching."""
    roots = []
    for p in trust:
        try:
            roots.append(load_cert_from_pemder(str(p)))
        except (OSError, ValueError) as exc:
            raise UserError(_('trust certificate {p}: cannot read ({exc})').format(p=p, exc=exc)) from None
    return ValidationContext(trust_roots=roots, allow_fetching=False, revocation_mode="soft-fail")


def _page_count(root) -> int:
    return int(root["/Pages"]["/Count"])


def verify_pdf(path: Path, trust: list[Path]) -> VerifyReport:
    """Check every signature of the PDF at `path` against the CA certificates in `trust`."""
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise UserError(_('{path}: {strerror}').format(path=path, strerror=exc.strerror)) from None
    problems: list[str] = []
    try:
        reader = PdfFileReader(io.BytesIO(data), strict=False)
        pages = _page_count(reader.root)
        embedded = list(reader.embedded_signatures)
    except (PdfReadError, ValueError, KeyError) as exc:
        return VerifyReport(file=str(path), ok=False, signatures=[], pages=0,
                            problems=[f"not a readable PDF: {exc}"])
    checks: list[SignatureCheck] = []
    for sig in embedded:
        check = SignatureCheck(field=sig.field_name, signer="", signed_at=None, intact=False, trusted=False,
                               covers_whole_file=False)
        try:
            cert = sig.signer_cert
            check.signer = str(cert.subject.native.get("common_name", ""))
            vc = validation_context(trust)
            status = validate_pdf_signature(sig, vc)
            check.intact = bool(status.intact and status.valid)
            check.trusted = bool(status.trusted)
            check.covers_whole_file = status.coverage == SignatureCoverageLevel.ENTIRE_FILE
            if status.signer_reported_dt:
                check.signed_at = status.signer_reported_dt.astimezone().isoformat(timespec="seconds")
            level = status.modification_level
            if level is not None and not check.covers_whole_file:
                check.changes_after = level.name
            if status.docmdp_ok is False:
                check.problem = f"changes after this signature are not allowed ({level.name if level else 'unknown'})"
            try:
                check.pages_signed = _page_count(reader.get_historical_root(sig.signed_revision))
            except Exception:  # noqa: BLE001 - a broken revision is reported, not fatal
                check.pages_signed = None
            if check.pages_signed is not None and pages < check.pages_signed:
                check.problem = f"page(s) removed after this signature: {check.pages_signed} signed, {pages} now"
        except UserError:
            raise
        except Exception as exc:  # noqa: BLE001 - a damaged signature is a failed check, not a crash
            check.problem = f"cannot validate: {type(exc).__name__}: {exc}"
        if not check.intact:
            problems.append(f"{check.field}: signed content was changed (digest or signature does not match)")
        if check.problem:
            problems.append(f"{check.field}: {check.problem}")
        checks.append(check)
    if not checks:
        problems.append("the document has no signatures")
    elif not checks[-1].covers_whole_file:
        problems.append(f"the file was changed after the last signature ({checks[-1].field})")
    return VerifyReport(file=str(path), ok=not problems, signatures=checks, pages=pages, problems=problems)
