"""Appendix 6: the credit deductions of the approved findings, the scores and grades they give."""
from __future__ import annotations

from typing import Any

from reportlab.lib.units import mm
from reportlab.platypus import Flowable, Spacer

from inspector.i18n import _
from inspector.reports.layout import data_table, para


def credit_lines(account: dict[str, Any]) -> str:
    return _("{code} {name}: base {base}, deducted {deducted}, score {score}, grade {grade} ({grade_name})").format(**account)


def credit_rows(account: dict[str, Any]) -> list[list[Any]]:
    return [[d["finding_no"], f"{d['rule']} {d['rule_name']}", d["amount"],
             d["points"] + (_(" (repeat no. {n})").format(n=d["repeat"]) if d["repeat"] > 1 else "")]
            for d in account["deductions"]]


def credit_story(credit: dict[str, Any], st: dict) -> list[Flowable]:
    """The institution's and each doctor's deductions, score and grade, with the table's version."""
    headers = [_("Finding no."), _("Deduction rule"), _("Amount involved"), _("Points deducted")]
    story: list[Flowable] = [
        para(_("Appendix 6: Credit evaluation"), st["h1"]),
        para(_("Deduction table {version} (SHA-256 {sha})").format(version=credit["table"]["version"],
                                                                  sha=credit["table"]["sha256"]), st["small"]),
        Spacer(1, 2 * mm),
        para(_("Institution"), st["h2"]),
        para(credit_lines(credit["institution"]), st["body"]),
    ]
    inst = credit_rows(credit["institution"])
    story.append(data_table(headers, inst, [12, 80, 22, 26], st, right_cols=(2, 3)) if inst
                 else para(_("None."), st["body"]))
    story.append(para(_("Doctors"), st["h2"]))
    if not credit["doctors"]:
        story.append(para(_("None."), st["body"]))
    for doc in credit["doctors"]:
        story += [para(credit_lines(doc), st["body"]),
                  data_table(headers, credit_rows(doc), [12, 80, 22, 26], st, right_cols=(2, 3)), Spacer(1, 2 * mm)]
    return story
