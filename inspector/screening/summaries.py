"""A lead's one-line summary in any language, rendered from its rule and figures.

The store keeps each lead's summary in Chinese (the JSON interface's `summary`); people
reading another language get the same sentence rendered here through the catalog from the
figures the rule recorded, so both say the same thing.
"""
from __future__ import annotations

import importlib
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from inspector.i18n import gettext

_MODULES = {
    "S1": "s1_split_admission", "S2": "s2_excess_beds", "S3": "s3_daily_limit", "S4": "s4_outside_stay",
    "S5": "s5_price_ceiling", "S6": "s6_stock_deficit", "S7": "s7_count_mismatch", "S8": "s8_bed_only_days",
    "S9": "s9_overlapping_stays",
}
_SEVERITY = {"high": "high", "medium": "medium", "low": "low"}


def _values(rule: str, f: Mapping[str, Any], amount: str, severity: str | None, lang: str | None) -> dict[str, Any]:
    if rule == "S1":
        return dict(prev=f["prev_mdtrt_id"], prev_end=f["prev_endtime"], next=f["next_mdtrt_id"],
                    next_begin=f["next_begntime"], gap=f["gap_days"],
                    severity=gettext(_SEVERITY.get(severity or f.get("severity", ""), severity or ""), lang),
                    amount=amount)
    if rule == "S2":
        return dict(day=f["day"], n=f["n"], beds=f["aprv_bed_cnt"], excess=f["excess"], amount=amount)
    if rule == "S3":
        return dict(visit=f["mdtrt_id"], item=f["med_list_codg"], q=f["q"], day=f["day"], limit=f["limit"],
                    excess=f["excess"], amount=amount)
    if rule == "S4":
        return dict(visit=f["mdtrt_id"], begin=f["begntime"], end=f["endtime"] or "—", lines=f["lines"],
                    before=f["lines_before"], after=f["lines_after"], amount=amount)
    if rule == "S5":
        return dict(sn=f["feedetl_sn"], visit=f["mdtrt_id"], item=f["med_list_codg"], time=f["fee_ocur_time"],
                    pric=f["pric"], ceiling=f["ceiling"], cnt=f["cnt"], amount=amount)
    if rule == "S6":
        opening = f"{f['opening_cnt']} @ {f['opening_date']}" if f.get("opening_date") else "0"
        return dict(drug=f["med_list_codg"], lowest=f["lowest_balance"], when=f["lowest_time"], opening=opening,
                    shortfall=f["shortfall"], amount=amount)
    if rule == "S7":
        return dict(drug=f["med_list_codg"], declared=f["declared"], day=f["invdate"], expected=f["expected"],
                    difference=f["difference"], tolerance=f["tolerance"], amount=amount)
    if rule == "S8":
        runs = f.get("runs") or []
        return dict(visit=f["mdtrt_id"], days=f["bed_only_days"], runs=len(runs), threshold=f["threshold"],
                    spans=", ".join(f"{r['from']}..{r['to']}" for r in runs), amount=amount)
    if rule == "S9":
        return dict(earlier=f["earlier_mdtrt_id"], later=f["later_mdtrt_id"], start=f["overlap_from"],
                    end=f["overlap_to"], amount=amount)
    raise KeyError(rule)


def lead_summary(rule: str, figures: Mapping[str, Any], amount: Decimal | str, severity: str | None = None,
                 lang: str | None = None, stored: str | None = None) -> str:
    """The lead's summary in `lang` (default: the current language).

    Falls back to `stored` (the Chinese summary kept with the lead) only when the figures
    lack what the sentence needs (a lead from an older version).
    """
    module = _MODULES.get(rule)
    if module is None:
        return stored or ""
    msgid = importlib.import_module(f"inspector.screening.{module}").SUMMARY
    amount_text = f"{Decimal(str(amount)):.2f}"
    try:
        values = _values(rule, figures, amount_text, severity, lang)
    except (KeyError, TypeError):
        return stored or ""
    return gettext(msgid, lang).format(**values)


def summary_in_language(rule: str, figures: Mapping[str, Any], amount: Decimal | str, severity: str | None,
                        stored: str, lang: str | None = None) -> str:
    """What a person reads: the stored Chinese summary in Chinese, the rendered one otherwise."""
    from inspector.i18n import language
    from inspector.screening.base import SUMMARY_LANGUAGE

    if (lang or language()) == SUMMARY_LANGUAGE:
        return stored
    return lead_summary(rule, figures, amount, severity, lang=lang, stored=stored)
