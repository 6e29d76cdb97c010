"""The ranking for people: a table in the UI language and an Excel workbook."""
from __future__ import annotations

from pathlib import Path
from typing import Any

from inspector.i18n import _
from inspector.ranking.region import Ranking
from inspector.screening.rules import rule_title


def headers(ranking: Ranking) -> list[str]:
    rules = list(ranking.institutions[0].rules) if ranking.institutions else []
    return ([_("Rank"), _("Institution code"), _("Institution name"), _("Lead amount"), _("Fund paid"),
             _("Leads per 10,000 yuan paid")] + [f"{r} {_(rule_title(r))}" for r in rules] + [_("Last inspected")])


def rows(ranking: Ranking) -> list[list[Any]]:
    out = []
    for n, r in enumerate(ranking.institutions, 1):
        out.append([n, r.fixmedins_code, r.fixmedins_name, r.lead_amount, r.fund_paid,
                    r.per_10k if r.per_10k is not None else _("none (no fund paid)")]
                   + [v["amount"] for v in r.rules.values()] + [r.last_inspected or _("never")])
    return out


def write_ranking_xlsx(ranking: Ranking, out: Path) -> Path:
    """The ranking as a workbook: one sheet, frozen header, money as numbers with two places."""
    from openpyxl import Workbook

    from inspector.outputs import write_atomically
    from inspector.reports.xlsx import _sheet

    wb = Workbook(write_only=True)
    head = headers(ranking)
    n_rules = len(head) - 7
    money_cols = (3, 4, 5, *range(6, 6 + n_rules))
    _sheet(wb, _("Risk ranking"), head, rows(ranking), [6, 16, 30, 14, 16, 14] + [14] * n_rules + [12],
           money_cols=money_cols)
    import io

    buf = io.BytesIO()
    wb.save(buf)
    write_atomically(Path(out), buf.getvalue())
    return Path(out)
