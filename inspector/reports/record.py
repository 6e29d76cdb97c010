"""The on-site inspection record (现场检查笔录) with its signature lines."""
from __future__ import annotations

from datetime import date, datetime
from typing import Any

from reportlab.lib import colors
from reportlab.lib.units import mm
from reportlab.platypus import Flowable, KeepTogether, Paragraph, Spacer, Table, TableStyle

from inspector.i18n import N_, _
from inspector.reports.fonts import FONT_NAME
from inspector.reports.layout import FRAME_WIDTH, SignatureLine, para
from inspector.reports.model import ROLE_LEAD, ReportData, SignatureField, TeamMember

KIND_NAMES = {
    "routine": N_("routine inspection"),
    "flight": N_("flight inspection (unannounced)"),
    "embedded": N_("embedded inspection (team stationed on site)"),
}


def fmt_time(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.strftime("%Y-%m-%d")
    return str(value)


def signature_field_names(team: list[TeamMember]) -> list[tuple[str, TeamMember]]:
    """Field names in signing order: every inspector (inspector_1, ...), then the lead(s) (lead, lead_2, ...)."""
    out: list[tuple[str, TeamMember]] = []
    inspectors = [m for m in team if m.role != ROLE_LEAD]
    leads = [m for m in team if m.role == ROLE_LEAD]
    out += [(f"inspector_{i}", m) for i, m in enumerate(inspectors, 1)]
    out += [("lead" if i == 1 else f"lead_{i}", m) for i, m in enumerate(leads, 1)]
    return out


def member_text(m: TeamMember) -> str:
    text = (_("{name} (team lead, enforcement certificate no. {cert_no})") if m.role == ROLE_LEAD
            else _("{name} (inspector, enforcement certificate no. {cert_no})"))
    return text.format(name=m.name, cert_no=m.cert_no)


def _info_table(rows: list[tuple[str, str]], st: dict) -> Table:
    table = Table([[para(k, st["body"]), para(v, st["body"])] for k, v in rows],
                  colWidths=[34 * mm, FRAME_WIDTH - 34 * mm])
    table.setStyle(TableStyle([
        ("FONTNAME", (0, 0), (-1, -1), FONT_NAME),
        ("GRID", (0, 0), (-1, -1), 0.4, colors.HexColor("#777777")),
        ("BACKGROUND", (0, 0), (0, -1), colors.HexColor("#f0f2f5")),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
    ]))
    return table


def visit_text(data: ReportData) -> str:
    """The on-site time span: recorded start to recorded close (the close is not guessed)."""
    from inspector.reports.wording import cn_datetime

    start = cn_datetime(data.visit_start) if isinstance(data.visit_start, datetime) else fmt_time(data.visit_start)
    if data.visit_end is None:
        return _("from {start} (the record is not closed yet)").format(start=start)
    end = data.visit_end
    if isinstance(data.visit_start, datetime) and end.date() == data.visit_start.date():
        return _("{start} to {end}").format(start=start, end=f"{end:%H:%M}")
    return _("{start} to {end}").format(start=start, end=cn_datetime(end))


def record_story(data: ReportData, st: dict, registry: list[SignatureField]) -> list[Flowable]:
    """The flowables of the on-site record; digital signature areas are recorded into `registry`."""
    from inspector.reports.wording import cn_date, keep_together

    story: list[Flowable] = [para(_("On-site inspection record"), st["title"])]
    if data.bureau_name:
        story.append(para(data.bureau_name, st["right"]))
    rep = data.representative_name + (f"（{data.representative_title}）" if data.representative_title else "")
    rows = [
        (_("Inspected institution"), f"{data.institution_name}（{data.institution_code}）"),
        (_("Address"), data.institution_address),
        (_("Legal representative"), data.legal_rep or _("(not recorded)")),
        (_("Place of inspection"), data.place or _("(not recorded)")),
        (_("Kind of inspection"), _(KIND_NAMES.get(data.inspection_kind, data.inspection_kind))),
        (_("Time of inspection"), visit_text(data)),
        (_("Review window"), _("{start} to {end}").format(start=cn_date(data.window_from), end=cn_date(data.window_to))),
        (_("Inspection no."), f"{data.inspection_id}（{data.inspection_uid}）"),
        (_("Inspectors"), "\n".join(member_text(m) for m in data.team)),
        (_("Representative present"), rep or _("(not recorded)")),
    ]
    story += [_info_table(rows, st), Spacer(1, 4 * mm)]
    story.append(para(_(
        "The inspectors showed their enforcement certificates (numbers above) to the institution, "
        "stated the legal basis of this inspection and informed the institution of its rights and duties."
    ), st["body"]))
    story.append(para(_("1. What was checked"), st["h1"]))
    story += [para(keep_together(f"（{i}）{text}"), st["body"]) for i, text in enumerate(data.checked, 1)] \
        or [para(_("None."), st["body"])]
    story.append(para(_("2. Facts found"), st["h1"]))
    if data.facts:
        story += [para(keep_together(f"（{i}）{text}"), st["body"]) for i, text in enumerate(data.facts, 1)]
    else:
        story.append(para(_("No irregularities were found."), st["body"]))
    if data.findings:
        story.append(para(_("Details of each finding are in the findings list and its appendices, which form part of this record."), st["body"]))
    story.append(para(_("3. Proposed handling"), st["h1"]))
    story += [para(f"（{i}）{text}", st["body"]) for i, text in enumerate(data.handling, 1)] \
        or [para(_("None."), st["body"])]
    story.append(para(_("4. Statement and defence of the inspected institution"), st["h1"]))
    story.append(para(data.statement or _("(not recorded yet)"), st["body"]))
    story += [Spacer(1, 5 * mm), signature_block(data, st, registry)]
    return story


def signing_date(data: ReportData) -> str:
    """The date on the inspectors' lines: the day the record was closed for signing (else the day it was printed)."""
    from inspector.reports.wording import cn_date

    when = data.visit_end if data.record_closed and data.visit_end else data.generated_at
    return _("Date: {date}").format(date=cn_date(when)) if when else _("Date:")


def signature_block(data: ReportData, st: dict, registry: list[SignatureField]) -> Flowable:
    """The representative's hand line and one digital line per team member, inspectors first, lead last."""
    lines: list[Flowable] = [para(_(
        "The representative of the institution has read this record and confirms that it is accurate."), st["body"]),
        Spacer(1, 3 * mm)]
    lines.append(SignatureLine(
        label=_("Representative of the institution (signature):"),
        name=data.representative_name, detail=data.representative_title, st=st,
        hand=data.hand_signature, hand_line=True))
    for field_name, m in signature_field_names(data.team):
        label = _("Team lead (signature):") if m.role == ROLE_LEAD else _("Inspector (signature):")
        lines.append(SignatureLine(
            label=label, name=m.name,
            detail=_("Enforcement certificate no. {cert_no}").format(cert_no=m.cert_no), st=st,
            field_name=field_name, role=m.role, cert_no=m.cert_no, registry=registry,
            date_text=signing_date(data)))
    return KeepTogether(lines)


def paragraph_list(items: list[str], style) -> list[Paragraph]:
    return [para(f"（{i}）{text}", style) for i, text in enumerate(items, 1)]
