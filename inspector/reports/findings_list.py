"""The findings list (问题清单): one row per finding, separate totals, the settings used."""
from __future__ import annotations

import json
from typing import Any

from reportlab.lib.units import mm
from reportlab.platypus import Flowable, Spacer

from inspector.i18n import _
from inspector.reports.layout import data_table, money, para
from inspector.reports.model import ReportData
from inspector.reports.record import fmt_time


def _multiplier(value: Any) -> str:
    return "" if value is None else _("{m} times").format(m=f"{value:g}")


def settings_text(value: Any) -> str:
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def findings_story(data: ReportData, st: dict) -> list[Flowable]:
    """Flowables of the findings list, totals and settings."""
    story: list[Flowable] = [para(_("Findings list"), st["title"])]
    from inspector.reports.wording import cn_date

    story.append(para(_("Institution: {name} ({code}); review window {start} — {end}; inspection no. {id}.").format(
        name=data.institution_name, code=data.institution_code, start=cn_date(data.window_from),
        end=cn_date(data.window_to), id=data.inspection_id), st["body"]))
    story.append(Spacer(1, 3 * mm))
    headers = [_("No."), _("Finding category"), _("Legal basis"), _("Description"), _("Amount involved"),
               _("Recovery amount"), _("Fine range"), _("Multiplier"), _("Fine amount"), _("Handling")]
    from inspector.reports.wording import keep_together

    rows = [[i, f.category, f.basis, keep_together(f.description)
             + "".join("\n" + keep_together(_("Review: {line}").format(line=line)) for line in f.reviews),
             money(f.amount),
             money(f.recovery), f.fine_range, _multiplier(f.multiplier), money(f.fine), f.handling]
            for i, f in enumerate(data.findings, 1)]
    if rows:
        story.append(data_table(headers, rows, [6, 15, 17, 48, 15, 15, 11, 8, 15, 21], st, right_cols=(4, 5, 8)))
    else:
        story.append(para(_("No findings."), st["body"]))
    story.append(Spacer(1, 4 * mm))
    story.append(para(_("Totals"), st["h2"]))
    totals = [
        [_("Amount involved, total"), money(data.amount_total), ""],
        [_("Recovery total (returned to the medical-insurance fund)"), money(data.recovery_total), _("fund account")],
        [_("Fines total (paid to the treasury)"), money(data.fine_total), _("treasury")],
    ]
    story.append(data_table([_("Total item"), _("Amount (CNY)"), _("Paid to")], totals, [60, 20, 20], st, right_cols=(1,)))
    story.append(para(_("Recovered fund money and fines are paid to different accounts and are totalled separately; "
                        "they are not added together."), st["small"]))
    story.append(Spacer(1, 4 * mm))
    story.append(para(_("Settings used"), st["h2"]))
    if data.settings:
        from inspector.reports.wording import settings_rows

        story.append(data_table([_("Setting name"), _("Setting value")],
                                [[k, v] for k, v in settings_rows(data.settings)], [35, 65], st))
    else:
        story.append(para(_("Defaults."), st["body"]))
    return story
