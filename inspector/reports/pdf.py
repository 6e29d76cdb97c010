"""Render the inspection documents into one PDF: on-site record, findings list, appendices.

The PDF is laid out with reportlab platypus in the embedded CJK font; afterwards pyHanko adds
one empty signature field per team member on their signature line (inspectors first, lead
last), each with seed values (certificate constraints on subject and issuer) and a FieldMDP
lock, and declares in the catalog who signs which field (inspector/signing/lines.py), so `sign`
finds the signer's line and `verify` checks the signatures against the declaration.
"""
from __future__ import annotations

import io
from pathlib import Path

from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign.fields import append_signature_field
from reportlab.platypus import PageBreak, SimpleDocTemplate

from inspector.i18n import _
from inspector.outputs import write_atomically
from inspector.progress import Progress
from inspector.reports.appendices import appendices_story
from inspector.reports.findings_list import findings_story
from inspector.reports.fonts import FONT_NAME, styles
from inspector.reports.layout import MARGIN_BOTTOM, MARGIN_TOP, MARGIN_X, PAGE_SIZE, PageDecor, numbered_canvas
from inspector.reports.model import RenderInfo, ReportData, SignatureField
from inspector.reports.record import record_story
from inspector.signing.lines import LINES_KEY, encode_lines, plan_lines

SIGNATURE_LINES_KEY = LINES_KEY


def render_report(data: ReportData, out: Path, progress: Progress | None = None,
                  files: dict[str, bytes] | None = None) -> RenderInfo:
    """Write the PDF of `data` to `out` (atomically) and return its pages and signature fields.

    `files` (name -> bytes) are embedded in the same revision as the signature fields, before any
    signature (inspector/reports/embedded.py: the findings JSON and the event-chain heads)."""
    if data.approved and data.unfinished:
        from inspector.errors import UserError

        raise UserError(_("the final report cannot be produced: {why}. Finish the check, or the team lead waives it "
                          "with a reason (record waive).").format(why="; ".join(data.unfinished)))
    st = styles()
    registry: list[SignatureField] = []
    if progress:
        progress.set_status(_("Laying out the documents"))
    story = record_story(data, st, registry) + [PageBreak()] + findings_story(data, st) + appendices_story(data, st)
    decor = PageDecor(
        header_left=f"{data.institution_name}（{data.institution_code}）",
        header_right=_("Inspection no. {id} · {uid}").format(id=data.inspection_id, uid=data.inspection_uid),
        draft=not data.approved,
    )
    buf = io.BytesIO()
    doc = SimpleDocTemplate(
        buf, pagesize=PAGE_SIZE, leftMargin=MARGIN_X, rightMargin=MARGIN_X, topMargin=MARGIN_TOP,
        bottomMargin=MARGIN_BOTTOM, title=_("On-site inspection record") + f" {data.inspection_uid}",
        author=data.bureau_name or ", ".join(m.name for m in data.team), subject=data.institution_name,
        creator="Inspector", initialFontName=FONT_NAME,
    )
    doc.build(story, canvasmaker=numbered_canvas(decor))
    if progress:
        progress.check()
        progress.set_status(_("Adding signature fields"))
    pdf = add_signature_fields(buf.getvalue(), registry, issuers=data.trust_anchors, files=files)
    write_atomically(Path(out), pdf)
    return RenderInfo(pages=doc.page, signature_fields=list(registry))


def add_signature_fields(pdf: bytes, fields: list[SignatureField], issuers: tuple[bytes, ...] = (),
                         files: dict[str, bytes] | None = None) -> bytes:
    """Append the empty signature fields (seed values, locks) and the catalog entry naming who signs which.

    `issuers` are the DER certificates of the store's trust anchors: a signer's certificate must
    chain to one of them (seed value /Issuer); none given leaves the issuer unconstrained.
    """
    if not fields and not files:
        return pdf
    from inspector.reports.embedded import embed_files
    from inspector.signing.fields import line_field_spec

    writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
    if fields:
        lines = plan_lines([(f.name, f.role, f.signer_name, f.cert_no) for f in fields])
        for f, line in zip(fields, lines):
            box = tuple(int(round(v)) for v in f.rect)
            append_signature_field(writer, line_field_spec(line, lines, page=f.page, box=box, issuers=issuers))
        writer.root[generic.NameObject(LINES_KEY)] = generic.TextStringObject(encode_lines(lines))
        writer.update_root()
    if files:
        embed_files(writer, files)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


