"""Files embedded in the report PDF before anyone signs it, and reading them back from what was signed.

A report PDF carries two embedded files (the document's /EmbeddedFiles name tree; `pdfdetach
-list` shows them), added in the same revision as the empty signature fields, so the first
signature (the certification) covers them:

- `findings.json`: the findings JSON `upload` sends (inspector/upload.py, `findings_document`);
  `upload queue` takes it from here and refuses a store that now says something else.
- `log-heads.json`: the heads of the inspection's event chains the report was made from
  (inspector/anchors.py, `heads_document`); `verify-log --pdf` checks the store's log against it.

`signed_files` reads them from the revision the first signature signed, never from a later one.
"""
from __future__ import annotations

import io
import logging

from pyhanko.pdf_utils.embed import EmbeddedFileObject, FileSpec, embed_file
from pyhanko.pdf_utils.misc import PdfReadError
from pyhanko.pdf_utils.reader import PdfFileReader

from inspector.errors import UserError
from inspector.i18n import _

log = logging.getLogger(__name__)

FINDINGS_FILE = "findings.json"
HEADS_FILE = "log-heads.json"


def embed_files(writer, files: dict[str, bytes]) -> None:
    """Embed `files` (name -> bytes, JSON) into the document `writer` is writing."""
    for name, content in files.items():
        ef = EmbeddedFileObject.from_file_data(writer, content, mime_type="application/json")
        embed_file(writer, FileSpec(file_spec_string=name, file_name=name, embedded_data=ef,
                                    description=name))


def _files_of_root(root) -> dict[str, bytes]:
    out: dict[str, bytes] = {}
    try:
        names = root["/Names"]["/EmbeddedFiles"]["/Names"]
    except KeyError:
        return out
    for i in range(0, len(names) - 1, 2):
        name = str(names[i])
        spec = names[i + 1].get_object()
        try:
            out[name] = spec["/EF"]["/F"].get_object().data
        except KeyError:
            continue
    return out


def _reader(pdf: bytes, label: str) -> PdfFileReader:
    try:
        return PdfFileReader(io.BytesIO(pdf), strict=False)
    except (PdfReadError, ValueError, KeyError) as exc:
        log.debug("not a readable PDF", exc_info=exc)
        raise UserError(_("{file}: not a readable PDF").format(file=label)) from None


def current_files(pdf: bytes, label: str = "PDF") -> dict[str, bytes]:
    """The files embedded in the document as it reads now (its latest revision)."""
    return _files_of_root(_reader(pdf, label).root)


def signed_files(pdf: bytes, label: str = "PDF") -> dict[str, bytes]:
    """The files embedded in the revision the document's first signature signed; UserError when the
    document is not signed, or when a later revision changed or removed one of them."""
    from inspector.signing.debuglog import route_library_logs

    route_library_logs()      # pyHanko's warnings go to the debug log, not the user's terminal
    reader = _reader(pdf, label)
    try:
        sigs = reader.embedded_signatures
    except (PdfReadError, ValueError, KeyError) as exc:
        log.debug("signatures unreadable", exc_info=exc)
        sigs = []
    if not sigs:
        raise UserError(_("{file} carries no signature: only a signed report says what was signed").format(file=label))
    first = sigs[0]
    try:
        from pyhanko.sign.validation import validate_pdf_signature
        from pyhanko_certvalidator import ValidationContext

        status = validate_pdf_signature(first, ValidationContext(trust_roots=[], allow_fetching=False,
                                                                 revocation_mode="soft-fail"), skip_diff=True)
        intact = bool(status.intact and status.valid)
    except Exception as exc:   # pyHanko raises several kinds on a damaged signature
        log.debug("first signature not intact", exc_info=exc)
        intact = False
    if not intact:
        raise UserError(_("{file}: its first signature does not match the signed bytes").format(file=label))
    files = _files_of_root(reader.get_historical_root(first.signed_revision))
    now = _files_of_root(reader.root)
    changed = sorted(n for n in files if now.get(n) != files[n])
    if changed:
        raise UserError(_("{file}: {names} changed after the first signature").format(file=label,
                                                                                     names=", ".join(changed)))
    return files


__all__ = ["FINDINGS_FILE", "HEADS_FILE", "current_files", "embed_files", "signed_files"]
