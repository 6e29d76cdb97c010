"""Finding categories under the Regulation on the Supervision and Administration of the Use
of Medical Security Funds (《医疗保障基金使用监督管理条例》, 2021), with their fine rules."""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from inspector.errors import UserError
from inspector.i18n import N_, _

REGULATION = N_("Regulation on the Supervision and Administration of the Use of Medical Security Funds")


@dataclass(frozen=True)
class Category:
    code: str
    name: str                    # English msgid; translate with _()
    basis: str                   # English msgid
    fine_kind: str               # 'multiplier' | 'fixed_if_refused' | 'multiplier_if_fraud'
    low: Decimal                 # multiplier range, or fixed fine range in CNY for M01
    high: Decimal

    def label(self) -> str:
        return _(self.name)

    def basis_text(self) -> str:
        return _(self.basis)

    def fine_range_text(self) -> str:
        """The fine range as a report shows it, e.g. '1-2x' or 'CNY 10,000-50,000 if refused'."""
        if self.fine_kind == "fixed_if_refused":
            return _("CNY {low}-{high} if refused to correct").format(low=f"{self.low:,.0f}", high=f"{self.high:,.0f}")
        text = _("{low}-{high}x").format(low=f"{self.low:g}", high=f"{self.high:g}")
        if self.fine_kind == "multiplier_if_fraud":
            text = _("{range} if fraud").format(range=text)
        return text


def _c(code: str, name: str, basis: str, kind: str, low: str, high: str) -> Category:
    return Category(code, name, basis, kind, Decimal(low), Decimal(high))


CATEGORIES: dict[str, Category] = {c.code: c for c in (
    _c("V01", N_("split admission, phantom inpatient"), N_("Art. 38(1)"), "multiplier", "1", "2"),
    _c("V02", N_("over-treatment, over-testing, split or excess prescriptions"), N_("Art. 38(2)"), "multiplier", "1", "2"),
    _c("V03", N_("duplicate, over-standard or split-item charging"), N_("Art. 38(3)"), "multiplier", "1", "2"),
    _c("V04", N_("swapping drugs, materials, items or facilities"), N_("Art. 38(4)"), "multiplier", "1", "2"),
    _c("V05", N_("reselling drugs through insured persons, cash-back"), N_("Art. 38(5)"), "multiplier", "1", "2"),
    _c("V06", N_("billing the fund for what it does not cover"), N_("Art. 38(6)"), "multiplier", "1", "2"),
    _c("V07", N_("other losses to the fund"), N_("Art. 38(7)"), "multiplier", "1", "2"),
    _c("F01", N_("inducing or helping impersonation or fake visits"), N_("Art. 40(1)"), "multiplier", "2", "5"),
    _c("F02", N_("forging, altering, hiding or destroying records and bills"), N_("Art. 40(2)"), "multiplier", "2", "5"),
    _c("F03", N_("fabricating services"), N_("Art. 40(3)"), "multiplier", "2", "5"),
    _c("F04", N_("other fraud on the fund"), N_("Art. 40(4)"), "multiplier", "2", "5"),
    _c("M01", N_("management duties not met"), N_("Art. 39"), "fixed_if_refused", "10000", "50000"),
    _c("P01", N_("insured person: lending the card, double benefits, reselling drugs"), N_("Art. 41"),
       "multiplier_if_fraud", "2", "5"),
)}

# Usual mapping from a screening rule to a category (the inspector confirms or changes it).
RULE_CATEGORY: dict[str, str] = {
    "S1": "V01", "S2": "V03", "S3": "V03", "S4": "V03", "S5": "V03", "S6": "V04", "S7": "V07",
    "S8": "V01", "S9": "F01",
}


def category(code: str) -> Category:
    """The category with this code, or UserError listing the known ones."""
    c = CATEGORIES.get((code or "").strip().upper())
    if c is None:
        raise UserError(_("unknown finding category '{c}'; known: {all}").format(c=code, all=", ".join(CATEGORIES)))
    return c
