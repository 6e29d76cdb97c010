"""Penalty arithmetic: recovery = amount involved; fine = amount x multiplier (rounded half-up
to cents) within the category's range, narrowed by the discretion band table; M01's fixed
fine only when the institution refused to correct; P01's multiplier only where fraud is
established. Fund recovery and fines are separate totals (they go to different accounts)."""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from inspector.errors import UserError
from inspector.limits import MAX_AMOUNT, MAX_MULTIPLIER, within
from inspector.findings.categories import Category, category
from inspector.i18n import _

CENT = Decimal("0.01")
ZERO = Decimal("0.00")

# The brief's example of a province's discretion bands (fraud up to CNY 2,000: 2-3x; up to
# 5,000: 3-4x; above: 4-5x), the default of the `discretion_bands` setting. Keys: a category
# code or its first letter.
EXAMPLE_DISCRETION_BANDS: dict[str, list[dict[str, Any]]] = {
    "F": [{"up_to": "2000", "low": "2", "high": "3"},
          {"up_to": "5000", "low": "3", "high": "4"},
          {"up_to": None, "low": "4", "high": "5"}],
    "P01": [{"up_to": "2000", "low": "2", "high": "3"},
            {"up_to": "5000", "low": "3", "high": "4"},
            {"up_to": None, "low": "4", "high": "5"}],
}


def round_cents(value: Decimal) -> Decimal:
    """Half-up (ties away from zero) to cents."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def parse_decimal(value: Any, what: str, *, places: int | None = None, maximum: Decimal = MAX_AMOUNT) -> Decimal:
    """An exact Decimal from text or a number (never a float) within +-`maximum`, or UserError naming `what`."""
    if isinstance(value, float):
        raise UserError(_("{what}: pass exact decimals as text, not binary floats").format(what=what))
    try:
        d = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise UserError(_("{what}: '{v}' is not a number").format(what=what, v=value)) from None
    within(d, maximum, what, value)
    if places is not None and d != d.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP):
        raise UserError(_("{what}: '{v}' has more than {n} decimal places").format(what=what, v=value, n=places))
    return d


def parse_amount(value: Any, what: str | None = None) -> Decimal:
    """A money amount: exact, at most 2 places, not negative."""
    what = what or _("amount")
    d = parse_decimal(value, what, places=2)
    if d < 0:
        raise UserError(_("{what}: {v} is negative").format(what=what, v=value))
    return d.quantize(CENT)


@dataclass(frozen=True)
class Penalty:
    category: str
    amount: Decimal              # amount involved (违规金额)
    recovery: Decimal            # fund recovery (追回) = amount involved
    multiplier: Decimal | None   # None: no multiplier applies (M01, P01 without fraud)
    fine: Decimal
    total: Decimal               # recovery + fine
    allowed_low: Decimal | None  # the multiplier range allowed for this amount (after bands)
    allowed_high: Decimal | None
    band: dict[str, Any] | None  # the discretion band used, if any


def band_for(code: str, amount: Decimal, bands: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """The discretion band of `amount` for the category (by code, else its letter), if a table is set."""
    if not bands:
        return None
    table = bands.get(code) or bands.get(code[0])
    if not table:
        return None
    for b in table:
        if b.get("up_to") is None or amount <= Decimal(str(b["up_to"])):
            return dict(b)
    return None


def allowed_multipliers(cat: Category, amount: Decimal, bands: Mapping[str, Any] | None) -> tuple[Decimal, Decimal, dict | None]:
    """The category's multiplier range, narrowed by the discretion band of the amount."""
    low, high = cat.low, cat.high
    band = band_for(cat.code, amount, bands)
    if band is not None:
        low, high = max(low, Decimal(str(band["low"]))), min(high, Decimal(str(band["high"])))
        if low > high:
            raise UserError(_("discretion band {b} lies outside {c}'s range {r}: fix the band table setting")
                            .format(b=band, c=cat.code, r=cat.fine_range_text()))
    return low, high, band


def compute_penalty(
    code: str,
    amount: Any,
    *,
    multiplier: Any = None,
    fixed_fine: Any = None,
    refused: bool = False,
    fraud: bool = False,
    bands: Mapping[str, Any] | None = None,
) -> Penalty:
    """Recovery, fine and total of one finding; UserError when a choice is outside what the law allows."""
    cat = category(code)
    amt = parse_amount(amount)
    m = parse_decimal(multiplier, _("multiplier"), maximum=MAX_MULTIPLIER) if multiplier not in (None, "") else None
    if cat.fine_kind == "fixed_if_refused":
        if m is not None:
            raise UserError(_("{c} has no multiplier: its fine is a fixed CNY 10,000-50,000, only if the institution "
                              "refused to correct").format(c=cat.code))
        if not refused:
            if fixed_fine not in (None, ""):
                raise UserError(_("{c}: a fine applies only when the institution refused to correct")
                                .format(c=cat.code))
            return Penalty(cat.code, amt, amt, None, ZERO, amt, None, None, None)
        fine = parse_amount(fixed_fine if fixed_fine not in (None, "") else cat.low, _("fixed fine"))
        if not cat.low <= fine <= cat.high:
            raise UserError(_("{c}: fixed fine {f} is outside CNY {lo}-{hi}").format(
                c=cat.code, f=fine, lo=f"{cat.low:,.0f}", hi=f"{cat.high:,.0f}"))
        return Penalty(cat.code, amt, amt, None, fine, amt + fine, None, None, None)
    if fixed_fine not in (None, ""):
        raise UserError(_("{c}: a fixed fine applies only to M01").format(c=cat.code))
    if cat.fine_kind == "multiplier_if_fraud" and not fraud:
        if m is not None:
            raise UserError(_("{c}: a multiplier applies only where fraud is established").format(c=cat.code))
        return Penalty(cat.code, amt, amt, None, ZERO, amt, None, None, None)
    low, high, band = allowed_multipliers(cat, amt, bands)
    if m is None:
        m = low
    if not low <= m <= high:
        where = _(" (discretion band for this amount)") if band is not None else ""
        raise UserError(_("{c}: multiplier {m} is outside the allowed {lo}-{hi}x{where}").format(
            c=cat.code, m=m, lo=f"{low:g}", hi=f"{high:g}", where=where))
    fine = round_cents(amt * m)
    return Penalty(cat.code, amt, amt, m, fine, amt + fine, low, high, band)


@dataclass(frozen=True)
class Totals:
    count: int
    amount: Decimal
    fund_recovery: Decimal       # to the fund
    fines: Decimal               # to the treasury
    total: Decimal

    def as_dict(self) -> dict[str, Any]:
        return {"count": self.count, "amount": str(self.amount), "fund_recovery": str(self.fund_recovery),
                "fines": str(self.fines), "total": str(self.total)}


def totals(penalties: Iterable[Penalty]) -> Totals:
    """Fund recovery and fines summed separately, exact."""
    n, amount, rec, fines = 0, ZERO, ZERO, ZERO
    for p in penalties:
        n += 1
        amount += p.amount
        rec += p.recovery
        fines += p.fine
    return Totals(n, amount, rec, fines, rec + fines)
