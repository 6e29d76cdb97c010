"""The findings list and appendices as an Excel workbook (openpyxl, write-only), from the same ReportData.

Money cells are numbers with two decimals (exact: written from Decimal); every total is a SUM
formula over its column, so Excel recomputes it; recovery and fines stay in separate columns and
separate total rows. Header rows are frozen, headers are in the UI language (zh_CN by default).
"""
from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from inspector.i18n import _
from inspector.reports.appendices import SEVERITIES, outcome
from inspector.reports.model import ReportData

MONEY_FORMAT = "#,##0.00"
QTY_FORMAT = "#,##0.##"
MULT_FORMAT = "0.0#"
RATE_FORMAT = "0.0%"
TIME_FORMAT = "yyyy-mm-dd hh:mm"
INT_FORMAT = "0"
HEAD_FILL = PatternFill("solid", fgColor="E4E8EE")
WRAP = Alignment(wrap_text=True, vertical="top")
TOP = Alignment(vertical="top")


def _col(i: int) -> str:
    return get_column_letter(i + 1)


def _sum(i: int, n_rows: int) -> str | int:
    """A SUM formula over column `i` of the `n_rows` body rows under the header (0 when there are none)."""
    return f"=SUM({_col(i)}2:{_col(i)}{n_rows + 1})" if n_rows else 0


def _sheet(wb: Workbook, title: str, headers: Sequence[str], rows: Sequence[Sequence[Any]],
           widths: Sequence[int], money_cols: Sequence[int] = (), total_label: str | None = None,
           formats: dict[int, str] | None = None, wrap_cols: Sequence[int] = ()) -> None:
    """One sheet: frozen bold header; money, quantities, multipliers, rates and times as typed cells with a
    number format (`formats` by column); long text columns (`wrap_cols`) wrapped."""
    if total_label and money_cols and rows:
        n = len(rows)
        total = [total_label] + [""] * (len(headers) - 1)
        for i in money_cols:
            total[i] = _sum(i, n)
        rows = [*rows, total]
    fmt = {i: MONEY_FORMAT for i in money_cols} | dict(formats or {})
    for bad in '\\/?*[]:':
        title = title.replace(bad, " ")
    ws = wb.create_sheet(title=" ".join(title.split())[:31])
    for i, w in enumerate(widths):
        ws.column_dimensions[_col(i)].width = w
    ws.freeze_panes = "A2"
    head = []
    for h in headers:
        c = WriteOnlyCell(ws, value=h)
        c.font, c.fill, c.alignment = Font(bold=True), HEAD_FILL, Alignment(wrap_text=True, vertical="top")
        head.append(c)
    ws.append(head)
    for r in rows:
        out = []
        for i, v in enumerate(r):
            if isinstance(v, Decimal):
                v = float(v) if i in fmt else str(v)
            c = WriteOnlyCell(ws, value=v)
            if i in fmt and v not in (None, ""):
                c.number_format = fmt[i]
            c.alignment = WRAP if i in wrap_cols else TOP
            out.append(c)
        ws.append(out)


def _d(v: Decimal | None) -> Decimal | None:
    return None if v is None else v.quantize(Decimal("0.01"))


def write_report_xlsx(data: ReportData, out: Path) -> Path:
    """Write the findings list (with separate totals and settings) and the appendices to `out`."""
    from inspector.outputs import write_atomically

    from inspector.reports.appendices import lead_outcome
    from inspector.reports.wording import settings_rows

    wb = Workbook(write_only=True)
    findings = [[i, f.category, f.basis, f.description, _d(f.amount), _d(f.recovery), f.fine_range,
                 f.multiplier, _d(f.fine), f.handling, f.source, "\n".join(f.reviews)]
                for i, f in enumerate(data.findings, 1)]
    n = len(findings)
    findings += [[], ["", _("Amount involved, total"), "", "", _sum(4, n)],
                 ["", _("Recovery total (returned to the medical-insurance fund)"), "", "", "", _sum(5, n)],
                 ["", _("Fines total (paid to the treasury)"), "", "", "", "", "", "", _sum(8, n)]]
    _sheet(wb, _("Findings list"),
           [_("No."), _("Finding category"), _("Legal basis"), _("Description"), _("Amount involved"),
            _("Recovery amount"), _("Fine range"), _("Multiplier"), _("Fine amount"), _("Handling"), _("Finding source"),
            _("Review history")],
           findings, [6, 22, 30, 50, 14, 14, 12, 8, 14, 30, 18, 40], money_cols=(4, 5, 8),
           formats={0: INT_FORMAT, 7: MULT_FORMAT}, wrap_cols=(1, 2, 3, 9, 11))
    _sheet(wb, _("Settings used"), [_("Setting name"), _("Setting value")],
           [[k, v] for k, v in settings_rows(data.settings)], [34, 70], wrap_cols=(1,))
    _sheet(wb, _("Appendix 1: Ward census"),
           [_("Ward"), _("Bed no."), _("Patient"), _("Days in hospital"), _("Check outcome"), _("Checked at"),
            _("Amount involved"), _("Remarks")],
           [[r.ward, r.bed, r.patient, r.days, outcome(r.outcome), r.checked_at, _d(r.amount), r.note]
            for r in data.census_rows], [16, 8, 10, 8, 24, 18, 14, 40], money_cols=(6,), total_label=_("Totals"),
           formats={3: INT_FORMAT, 5: TIME_FORMAT}, wrap_cols=(0, 4, 7))
    _sheet(wb, _("Appendix 2: Drug stock count"),
           [_("Drug code"), _("Drug name"), _("Unit"), _("Book quantity"), _("Counted quantity"), _("Variance"),
            _("Variance rate"), _("Amount (CNY)"), _("Count verdict"), _("Remarks")],
           [[r.code, r.name, r.unit, r.expected, r.counted, r.variance, r.variance_rate, _d(r.amount),
             outcome(r.verdict), r.note] for r in data.stock_rows], [26, 24, 6, 12, 12, 10, 10, 12, 18, 30],
           money_cols=(7,), total_label=_("Totals"),
           formats={3: QTY_FORMAT, 4: QTY_FORMAT, 5: QTY_FORMAT, 6: RATE_FORMAT}, wrap_cols=(1, 9))
    _sheet(wb, _("Appendix 3: Record review"),
           [_("Visit ID"), _("Department"), _("Patient"), _("Review result"), _("Failed items"), _("Amount (CNY)"),
            _("Remarks")],
           [[r.mdtrt_id, r.dept, r.patient, outcome(r.result), r.failed_items, _d(r.amount), r.note]
            for r in data.record_rows], [24, 16, 10, 10, 40, 12, 30], money_cols=(5,), total_label=_("Totals"),
           wrap_cols=(4, 6))
    _sheet(wb, _("Appendix 4: Leads and their outcome"),
           [_("Screening rule"), _("Lead key"), _("Severity"), _("Amount (CNY)"), _("Check outcome"), _("Remarks")],
           [[r.rule, r.key, _(SEVERITIES[r.severity]) if r.severity in SEVERITIES else r.severity, _d(r.amount),
             lead_outcome(r), r.note] for r in data.leads], [8, 46, 8, 12, 22, 60], money_cols=(3,),
           total_label=_("Totals"), wrap_cols=(1, 5))
    _sheet(wb, _("Appendix 5: Evidence photos"), [_("No."), _("Photo caption"), _("Photo taken at"), _("Photo taken by"), "SHA-256"],
           [[n, p.caption, p.captured_at, p.author, p.digest()] for n, p in enumerate(data.photos, 1)],
           [6, 40, 18, 12, 66], formats={0: INT_FORMAT, 2: TIME_FORMAT}, wrap_cols=(1,))
    import io

    buf = io.BytesIO()
    wb.save(buf)
    write_atomically(Path(out), buf.getvalue())
    return Path(out)
