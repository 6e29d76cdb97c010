"""Settings in words for people: a label and a value text per setting, in the current language.

Used where settings are shown to a person (the CLI's `settings` table, the leads header);
machine formats (`--format json`) keep the raw keys and values.
"""
from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from inspector.i18n import N_, _

LABELS: dict[str, str] = {
    "settings_version": N_("settings version"),
    "readmission_days": N_("readmission interval"),
    "count_tolerance": N_("count tolerance"),
    "bed_only_days": N_("bed-only days in a row"),
    "ward_absence_rule": N_("ward absence rule"),
    "ward_absence_thresholds": N_("ward absence thresholds by hospital tier"),
    "stock_sample_top": N_("stock sample: top drugs by sales"),
    "stock_sample_random": N_("stock sample: drugs drawn at random"),
    "stock_seed": N_("stock sample seed"),
    "stocking_min_western": N_("minimum stocking ratio, western drugs"),
    "stocking_min_patent": N_("minimum stocking ratio, patent drugs"),
    "stocking_denominator": N_("stocking ratio denominator"),
    "record_sample_n": N_("record review sample size"),
    "record_seed": N_("record review seed"),
    "record_stratify": N_("record review stratified by department"),
    "discretion_bands": N_("discretion bands for fine multipliers"),
    "census_require_id": N_("census: present needs an ID check or a note"),
}
_DAYS = {"readmission_days", "bed_only_days"}
_PERCENT = {"count_tolerance", "stocking_min_western", "stocking_min_patent"}
_CHOICE_TEXT = {"in_stock": N_("all varieties in stock"), "required": N_("the varieties the agreement requires"),
}
_TIERS = {"1": N_("tier 1"), "2": N_("tier 2"), "3": N_("tier 3")}


def percent(value: Any) -> str:
    """A ratio 0..1 as a percentage: 0.01 -> '1%', 0.035 -> '3.5%'."""
    try:
        d = Decimal(str(value)) * 100
    except InvalidOperation:
        return str(value)
    text = format(d.normalize(), "f") if d != 0 else "0"
    return f"{text}%"


def setting_label(key: str) -> str:
    return _(LABELS[key]) if key in LABELS else key


def setting_text(key: str, value: Any) -> str:
    """The value of setting `key` in words."""
    if isinstance(value, bool):
        return _("on") if value else _("off")
    if key in _DAYS:
        return _("{n} days").format(n=value)
    if key in _PERCENT:
        return percent(value)
    if key == "ward_absence_thresholds" and isinstance(value, dict):
        return _(", ").join(f"{_(_TIERS.get(k, k))} {percent(v)}" for k, v in sorted(value.items()))
    if key == "discretion_bands" and isinstance(value, dict):
        if not value:
            return _("off")
        parts = []
        for cat, bands in sorted(value.items()):
            steps = []
            for b in bands:
                rng = _("{low}-{high} times").format(low=b["low"], high=b["high"])
                steps.append(_("up to {amount} yuan: {range}").format(amount=b["up_to"], range=rng) if b.get("up_to")
                             else _("above: {range}").format(range=rng))
            parts.append(_("{category}: {steps}").format(category=cat, steps=_("; ").join(steps)))
        return _(" / ").join(parts)
    if isinstance(value, str) and value in _CHOICE_TEXT:
        return _(_CHOICE_TEXT[value])
    return str(value)


def settings_rows(settings: dict[str, Any]) -> list[tuple[str, str]]:
    """(label, value in words) for every setting but the version number."""
    return [(setting_label(k), setting_text(k, v)) for k, v in settings.items() if k != "settings_version"]
