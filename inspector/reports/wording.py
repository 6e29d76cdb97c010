"""Plain words for the documents: dates in Chinese form, percentages, sampling methods, the settings
in force, the inspected party's statement. No raw keys, JSON or code reaches the reader."""
from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from inspector.i18n import N_, _, language


def cn_date(value: date | datetime | None) -> str:
    """2026年12月4日 in Chinese; 2026-12-04 in English."""
    if value is None:
        return ""
    if language() == "zh_CN":
        return f"{value.year}年{value.month}月{value.day}日"
    return value.strftime("%Y-%m-%d")


def cn_datetime(value: datetime | None) -> str:
    """2026年12月4日 10:05 in Chinese; 2026-12-04 10:05 in English."""
    if value is None:
        return ""
    return f"{cn_date(value)} {value:%H:%M}"


def percent(value: Any, places: int = 1) -> str:
    """A ratio (0.03, '0.2') as a percentage ('3%', '20%'); trailing zeros dropped."""
    if value is None or value == "":
        return "—"
    try:
        d = Decimal(str(value)) * 100
    except InvalidOperation:
        return str(value)
    text = f"{d:.{places}f}".rstrip("0").rstrip(".")
    return f"{text}%"


def quantity(value: Decimal | None) -> str:
    """A quantity without useless decimals: 171, 2.5."""
    if value is None:
        return ""
    text = f"{value:,.2f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def stock_method(seed: int, top: int, random_n: int, others: int | None, added: int = 0) -> str:
    """How the stock sample was drawn, in words anyone can redo."""
    if others is None:
        text = _("The {top} drugs with the highest sales amount in the review window (equal amounts by drug code), "
                 "plus {n} drugs drawn by simple random sampling with random seed {seed} from the other drugs "
                 "of the drug ledgers sorted by drug code").format(top=top, n=random_n, seed=seed)
        return text + (_("; {n} drugs added by the inspectors").format(n=added) if added else "") + _(".")
    text = _("The {top} drugs with the highest sales amount in the review window (equal amounts by drug code), "
             "plus {n} drugs drawn by simple random sampling with random seed {seed} from the other {others} drugs "
             "of the drug ledgers sorted by drug code").format(top=top, n=random_n, seed=seed, others=others)
    if added:
        text += _("; {n} drugs added by the inspectors").format(n=added)
    return text + _(".")


def records_method(seed: int, n: int, population: int, stratified: bool, strata: list[dict[str, Any]] | None = None,
                   dept_names: dict[str, str] | None = None) -> str:
    """How the record sample was drawn, in words (e.g. 以随机种子 42 从 120 份病历中简单随机抽取 10 份)."""
    if not stratified:
        return _("{n} records drawn by simple random sampling with random seed {seed} from the {pop} medical records "
                 "discharged in the review window (sorted by visit ID).").format(n=n, seed=seed, pop=population)
    names = dept_names or {}
    parts = "；".join(_("{dept} {k} of {p}").format(dept=names.get(s["dept_codg"]) or s["dept_codg"] or _("no department"),
                                                   k=s["n"], p=s["population"]) for s in strata or [])
    return _("{n} records drawn from the {pop} medical records discharged in the review window, stratified by "
             "department in proportion to its size (largest remainders get the places left), each department by "
             "simple random sampling with random seed {seed}: {parts}.").format(n=n, pop=population, seed=seed,
                                                                               parts=parts)


def statement_text(onsite: Any) -> str:
    """The inspected party's statement as the record shows it."""
    kind = getattr(onsite, "statement_kind", None)
    if kind == "no_objection":
        return _("No objection.")
    if kind == "refused":
        note = onsite.statement_text
        return _("The inspected party refused to make a statement.") + (
            _(" Inspectors' note: {note}").format(note=note) if note else "")
    if kind == "text":
        return onsite.statement_text
    return ""


# --- the settings in words ------------------------------------------------------------------

SETTING_LABELS = {
    "readmission_days": N_("Readmission interval (S1)"),
    "count_tolerance": N_("Stock count tolerance"),
    "bed_only_days": N_("Days with bed fees only (S8)"),
    "ward_absence_rule": N_("Ward absence rule"),
    "ward_absence_thresholds": N_("Ward absence thresholds by hospital tier"),
    "stock_sample_top": N_("Stock sample: drugs with the highest sales"),
    "stock_sample_random": N_("Stock sample: drugs drawn at random"),
    "stock_seed": N_("Stock sample: random seed"),
    "stocking_min_western": N_("Minimum formulary stocking ratio, western drugs"),
    "stocking_min_patent": N_("Minimum formulary stocking ratio, patent drugs"),
    "stocking_denominator": N_("Stocking ratio counted over"),
    "record_sample_n": N_("Record review: sample size"),
    "record_seed": N_("Record review: random seed"),
    "record_stratify": N_("Record review: stratified by department"),
    "discretion_bands": N_("Discretion bands for the fine multiplier"),
    "required_checks": N_("Checks required before the final report"),
    "inspection_kind": N_("Kind of inspection"),
    "bureau_name": N_("Inspecting bureau"),
    "snapshot": N_("Data used"),
}
DAYS = {"readmission_days", "bed_only_days"}
COUNTS_DRUGS = {"stock_sample_top", "stock_sample_random"}
RATIOS = {"count_tolerance", "stocking_min_western", "stocking_min_patent"}
TIER_NAMES = {"1": N_("tier 1"), "2": N_("tier 2"), "3": N_("tier 3")}
BAND_KEYS = {"F": N_("fraud (F01–F04)"), "P01": N_("insured persons (P01)"), "V": N_("violations (V01–V07)")}


def _yes_no(v: Any) -> str:
    return _("applied") if v in (True, "true", "True", 1) else _("not applied")


def _money(text: Any) -> str:
    try:
        return f"{Decimal(str(text)):,.0f}"
    except InvalidOperation:
        return str(text)


def _bands(bands: Any) -> str:
    if not bands:
        return _("none")
    out = []
    for key, rows in sorted(bands.items()):
        parts = []
        for r in rows:
            rng = _("{low}–{high} times").format(low=r["low"], high=r["high"])
            if r.get("up_to") is None:
                parts.append(_("above that {range}").format(range=rng))
            else:
                parts.append(_("up to CNY {amount} {range}").format(amount=_money(r["up_to"]), range=rng))
        label = _(BAND_KEYS[key]) if key in BAND_KEYS else key
        out.append(f"{label}：" + "，".join(parts))
    return "；".join(out)


def setting_value(key: str, value: Any) -> str:
    """One setting's value in words."""
    from inspector.state import CHECK_LABELS

    if key in DAYS:
        return _("{n} days").format(n=value)
    if key in COUNTS_DRUGS:
        return _("{n} drugs").format(n=value)
    if key == "record_sample_n":
        return _("{n} records").format(n=value)
    if key in RATIOS:
        return percent(value)
    if key == "ward_absence_rule":
        return _yes_no(value)
    if key == "record_stratify":
        return _("Yes") if value in (True, "true", 1) else _("No")
    if key == "ward_absence_thresholds" and isinstance(value, dict):
        return "，".join(f"{_(TIER_NAMES.get(k, k))} {percent(v)}" for k, v in sorted(value.items()))
    if key == "stocking_denominator":
        return _("the catalogue varieties the agreement requires") if value == "required" else \
            _("every variety in stock")
    if key == "discretion_bands":
        return _bands(value)
    if key == "required_checks":
        items = value if isinstance(value, list) else [v for v in str(value).split(",") if v.strip()]
        return "、".join(_(CHECK_LABELS[c.strip()]) for c in items if c.strip() in CHECK_LABELS) or _("none")
    if key == "inspection_kind":
        from inspector.reports.record import KIND_NAMES

        return _(KIND_NAMES.get(str(value), str(value)))
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if isinstance(value, (dict, list)):
        return "；".join(f"{k} {v}" for k, v in (value.items() if isinstance(value, dict) else enumerate(value, 1)))
    return str(value)


def settings_rows(settings: dict[str, Any]) -> list[tuple[str, str]]:
    """(label, value) of each setting in words, in a fixed order (unknown keys last)."""
    order = list(SETTING_LABELS)
    keys = sorted(settings, key=lambda k: (order.index(k) if k in order else len(order), k))
    return [(_(SETTING_LABELS[k]) if k in SETTING_LABELS else k, setting_value(k, settings[k])) for k in keys]


# --- keeping IDs and times on one line -------------------------------------------------------

WORD_JOINER = "\u2060"
_TIMESTAMP = re.compile(r"(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}(?::\d{2})?)")


def keep_together(text: str) -> str:
    """Join a date and its time with a no-break space so a line never breaks inside a timestamp."""
    return _TIMESTAMP.sub("\\1\u00a0\\2", text)


def stock_sample_text(conn: Any, inspection_id: int) -> str:
    """The drawn stock sample's method in words ('' before a draw)."""
    from inspector.checks.context import check_context
    from inspector.checks.stock import current_sample, ledger_drugs

    s = current_sample(conn, inspection_id)
    if s is None:
        return ""
    others = len(ledger_drugs(conn, check_context(conn, inspection_id).snapshot_id)) - len(s.top)
    return stock_method(s.seed, len(s.top), len(s.random), others, len(s.added))


def record_sample_text(sample: Any) -> str:
    """A record sample's (or summary's) method in words."""
    return records_method(sample.seed, sample.n, sample.population, sample.stratified, sample.strata)
