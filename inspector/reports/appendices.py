"""Appendices: census, stock count, record review, leads with their outcome, evidence photos."""
from __future__ import annotations

import io
from decimal import Decimal

from reportlab.lib import colors
from reportlab.lib.units import mm
from reportlab.platypus import Flowable, Image, PageBreak, Spacer, Table, TableStyle

from inspector.i18n import N_, _
from inspector.reports.fonts import FONT_NAME
from inspector.reports.layout import FRAME_WIDTH, data_table, money, para
from inspector.reports.model import EvidencePhoto, ReportData
from inspector.reports.photos import pdf_ready_jpegs
from inspector.reports.record import fmt_time

OUTCOMES = {
    # census
    "present": N_("in bed, identity verified"),
    "identity_mismatch": N_("someone else in bed (impersonation)"),
    "on_leave": N_("on leave with valid leave"),
    "absent": N_("absent without leave (bed-blocking)"),
    "discharged": N_("gone home, discharge not recorded"),
    "unregistered": N_("occupant without registration"),
    "not_checked": N_("not yet checked"),
    # stock count
    "within": N_("within tolerance"),
    "shortage": N_("shortage beyond tolerance"),
    "surplus": N_("surplus beyond tolerance"),
    "not_counted": N_("not yet counted"),
    # record review
    "pass": N_("passed review"),
    "fail": N_("failed review"),
    "pending": N_("not yet reviewed"),
    # leads
    "confirmed": N_("confirmed on site"),
    "dismissed": N_("dismissed on site"),
    "open": N_("not yet verified"),
}


SEVERITIES = {"high": N_("high severity"), "medium": N_("medium severity"), "low": N_("low severity")}


def outcome(code: str) -> str:
    return _(OUTCOMES[code]) if code in OUTCOMES else code


def _rate(v: Decimal | None) -> str:
    return "" if v is None else f"{v * 100:.1f}%"


def _qty(v: Decimal | None) -> str:
    from inspector.reports.wording import quantity

    return quantity(v)


def lead_outcome(row) -> str:
    """A lead's outcome in words; a confirmed lead names the finding resting on it."""
    if row.outcome == "confirmed" and row.finding_no is not None:
        return _("confirmed on site (finding {n})").format(n=row.finding_no)
    return outcome(row.outcome)


WITNESS_LABELS = {"census": N_("Head nurse"), "stock": N_("Pharmacist"), "records": N_("Medical records officer")}


def witness_line(data: ReportData, check: str, st: dict) -> Flowable:
    """The appendix's signature line for the institution's staff member who witnessed the check."""
    from inspector.reports.record import signing_date

    w = data.witnesses.get(check) or {}
    title = w.get("title") or _(WITNESS_LABELS[check])
    cells = [[para(_("{title} of the institution (signature):").format(title=title), st["body"]),
              para(w.get("name") or "", st["body"]), "", para(signing_date(data) if w else _("Date:"), st["body"])]]
    table = Table(cells, colWidths=[70 * mm, 24 * mm, 32 * mm, FRAME_WIDTH - 126 * mm])
    table.setStyle(TableStyle([
        ("FONTNAME", (0, 0), (-1, -1), FONT_NAME),
        ("LINEBELOW", (2, 0), (2, 0), 0.6, colors.black),
        ("VALIGN", (0, 0), (-1, -1), "BOTTOM"),
        ("TOPPADDING", (0, 0), (-1, -1), 10),
    ]))
    return table


def appendices_story(data: ReportData, st: dict) -> list[Flowable]:
    """Flowables of every appendix, each starting on a new page; the check appendices end with the
    signature line of the staff member who witnessed the check."""
    from inspector.reports.wording import keep_together

    story: list[Flowable] = []
    parts = [
        (_("Appendix 1: Ward census"), data.census_summary, _census_table(data, st) if data.census_rows else None,
         "census"),
        (_("Appendix 2: Drug stock count"), data.stock_summary, _stock_table(data, st) if data.stock_rows else None,
         "stock"),
        (_("Appendix 3: Record review"), data.record_summary, _record_table(data, st) if data.record_rows else None,
         "records"),
        (_("Appendix 4: Leads and their outcome"), [], _leads_table(data, st) if data.leads else None, None),
    ]
    for title, summary, table, check in parts:
        story += [PageBreak(), para(title, st["h1"])]
        story += [para(keep_together(line), st["body"]) for line in summary]
        story.append(Spacer(1, 2 * mm))
        story.append(table if table is not None else para(_("None."), st["body"]))
        if table is not None and check is not None:
            story.append(witness_line(data, check, st))
    story += [PageBreak(), para(_("Appendix 5: Evidence photos"), st["h1"])]
    story += photo_grid(data.photos, st) if data.photos else [para(_("None."), st["body"])]
    if data.credit is not None:
        from inspector.credit.appendix import credit_story

        story += [PageBreak()] + credit_story(data.credit, st)
    if data.laptops:
        story += [PageBreak()] + laptops_story(data, st)
    return story


def laptops_story(data: ReportData, st: dict) -> list[Flowable]:
    """Appendix 7: the laptops whose work this record holds, each chain's head, the bundles merged."""
    story: list[Flowable] = [para(_("Appendix 7: Laptops, event chains and exchanged bundles"), st["h1"]),
                             para(_("Each laptop keeps its own hash chain of what was recorded on it; the head "
                                    "(the hash of its last event) fixes the whole chain. This record was made "
                                    "from the chains below."), st["body"]), Spacer(1, 2 * mm)]
    rows = [[f"{n}", lap["device"][:12], lap["people"], lap["events"], lap["head"]]
            for n, lap in enumerate(data.laptops, start=1)]
    story.append(data_table([_("No."), _("Laptop"), _("Recorded by"), _("Events"), _("Chain head (SHA-256)")],
                            rows, [24, 62, 80, 34, 290], st, right_cols=(3,)))
    story.append(Spacer(1, 4 * mm))
    if data.bundles:
        brow = [[b["sha256"], b.get("sender_name") or b["sender"], b["added"], fmt_time(b["imported_at"]).replace(" ", "\u00a0")]
                for b in data.bundles]
        story.append(para(_("Bundles merged into the laptop that produced this record:"), st["body"]))
        story.append(data_table([_("Bundle SHA-256"), _("Sent by"), _("Events added"), _("Merged at")], brow,
                                [300, 60, 40, 90], st, right_cols=(2,)))
    else:
        story.append(para(_("No bundle from another laptop was merged."), st["body"]))
    return story


def _census_table(data: ReportData, st: dict) -> Flowable:
    headers = [_("Ward"), _("Bed no."), _("Patient"), _("Days in hospital"), _("Check outcome"), _("Checked at"),
               _("Amount involved"), _("Remarks")]
    rows = [[r.ward, r.bed, r.patient, "" if r.days is None else r.days, outcome(r.outcome),
             fmt_time(r.checked_at).replace(" ", "\u00a0"), money(r.amount), r.note] for r in data.census_rows]
    return data_table(headers, rows, [70, 26, 42, 30, 85, 72, 50, 118], st, right_cols=(3, 6))


def _stock_table(data: ReportData, st: dict) -> Flowable:
    headers = [_("Drug code"), _("Drug name"), _("Unit"), _("Book quantity"), _("Counted quantity"), _("Variance"), _("Variance rate"),
               _("Amount (CNY)"), _("Count verdict"), _("Remarks")]
    rows = [[r.code, r.name, r.unit, _qty(r.expected), _qty(r.counted), _qty(r.variance), _rate(r.variance_rate),
             money(r.amount), outcome(r.verdict), r.note] for r in data.stock_rows]
    return data_table(headers, rows, [118, 70, 22, 38, 38, 34, 34, 45, 50, 44], st, right_cols=(3, 4, 5, 6, 7))


def _record_table(data: ReportData, st: dict) -> Flowable:
    headers = [_("Visit ID"), _("Department"), _("Patient"), _("Review result"), _("Failed items"), _("Amount (CNY)"), _("Remarks")]
    rows = [[r.mdtrt_id, r.dept, r.patient, outcome(r.result), r.failed_items, money(r.amount), r.note]
            for r in data.record_rows]
    return data_table(headers, rows, [100, 60, 45, 45, 110, 45, 88], st, right_cols=(5,))


def _leads_table(data: ReportData, st: dict) -> Flowable:
    headers = [_("Screening rule"), _("Lead key"), _("Severity"), _("Amount (CNY)"), _("Check outcome"), _("Remarks")]
    from inspector.reports.wording import keep_together

    rows = [[r.rule, r.key, _(SEVERITIES[r.severity]) if r.severity in SEVERITIES else r.severity, money(r.amount),
             lead_outcome(r), keep_together(r.note)] for r in data.leads]
    return data_table(headers, rows, [28, 118, 40, 45, 80, 182], st, right_cols=(3,))


def photo_grid(photos: list[EvidencePhoto], st: dict) -> list[Flowable]:
    """Two photos per row, each with caption, capture time, author and SHA-256 of the original."""
    cell_w = FRAME_WIDTH / 2 - 4 * mm
    max_h = 62 * mm
    cells: list[list[Flowable]] = []
    # The reduced copy kept at capture; only photos stored without one are decoded here.
    ready = [photo.reduced for photo in photos]
    todo = [i for i, r in enumerate(ready) if r is None]
    for i, converted in zip(todo, pdf_ready_jpegs([photos[i].original_bytes() for i in todo])):
        ready[i] = converted
    for n, (photo, converted) in enumerate(zip(photos, ready), 1):
        img: Flowable
        if converted is None:
            img = para(_("(not an image)"), st["body"])
        else:
            jpeg, w, h = converted
            scale = min(cell_w / w, max_h / h)
            img = Image(io.BytesIO(jpeg), width=w * scale, height=h * scale)
        caption = [
            para(_("Photo {n}: {caption}").format(n=n, caption=photo.caption), st["cell"]),
            para(_("Taken {time} by {author}").format(time=fmt_time(photo.captured_at), author=photo.author), st["cell"]),
            para("SHA-256:\n" + photo.digest(), st["mono"]),
        ]
        cells.append([img, Spacer(1, 1.5 * mm)] + caption)  # type: ignore[arg-type]
    rows = [cells[i:i + 2] + ([""] if len(cells[i:i + 2]) == 1 else []) for i in range(0, len(cells), 2)]
    table = Table(rows, colWidths=[FRAME_WIDTH / 2] * 2)
    table.setStyle(TableStyle([
        ("FONTNAME", (0, 0), (-1, -1), FONT_NAME),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("BOX", (0, 0), (-1, -1), 0.3, colors.HexColor("#aaaaaa")),
        ("INNERGRID", (0, 0), (-1, -1), 0.3, colors.HexColor("#aaaaaa")),
        ("TOPPADDING", (0, 0), (-1, -1), 4),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 6),
    ]))
    return [table]
