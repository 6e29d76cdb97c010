"""The registry of screening rules: id -> module with TITLE and `screen(conn, ctx)`."""
from __future__ import annotations

from types import ModuleType

from inspector.screening import (s1_split_admission, s2_excess_beds, s3_daily_limit, s4_outside_stay, s5_price_ceiling,
                                 s6_stock_deficit, s7_count_mismatch, s8_bed_only_days, s9_overlapping_stays)

RULES: dict[str, ModuleType] = {
    "S1": s1_split_admission,
    "S2": s2_excess_beds,
    "S3": s3_daily_limit,
    "S4": s4_outside_stay,
    "S5": s5_price_ceiling,
    "S6": s6_stock_deficit,
    "S7": s7_count_mismatch,
    "S8": s8_bed_only_days,
    "S9": s9_overlapping_stays,
}

# The settings each rule reads (shown with its results).
SCREENING_SETTINGS: tuple[str, ...] = ("readmission_days", "count_tolerance", "bed_only_days")


def rule_title(rule: str) -> str:
    """The rule's English title (translate with `inspector.i18n._`)."""
    return RULES[rule].TITLE


def select_rules(rules) -> list[str]:
    """Rule ids in order, validated; None means all nine."""
    from inspector.errors import UserError
    from inspector.i18n import _

    if not rules:
        return list(RULES)
    wanted = [r.strip().upper() for r in rules]
    unknown = [r for r in wanted if r not in RULES]
    if unknown:
        raise UserError(_('unknown rule {value}; rules are S1..S9').format(value=', '.join(unknown)))
    return [r for r in RULES if r in wanted]
