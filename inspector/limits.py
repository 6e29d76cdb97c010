"""Sane bounds for numbers a person types: anything beyond them is a typing error, refused.

The bounds are far above any real inspection (a county recovers tens of millions of yuan a
year from all its institutions) and far below what the store's integer cents can hold
(SQLite's 64-bit integers: about 9.2e16 yuan), so no accepted value can overflow a sum.

- money (an amount involved, a record item's amount, a fixed fine): 0 to 100,000,000.00 yuan
  (一亿元) per entry;
- a counted quantity of a drug: 0 to 10,000,000 units per drug;
- a fine multiplier: 0 to 100 (the categories allow 1-5).
"""
from __future__ import annotations

from decimal import Decimal, InvalidOperation

from inspector.errors import BoundsError
from inspector.i18n import N_

MAX_AMOUNT = Decimal("100000000.00")
MAX_QUANTITY = Decimal("10000000")
MAX_MULTIPLIER = Decimal("100")


def within(value: Decimal, maximum: Decimal, what: str, raw: object) -> Decimal:
    """`value` if it is a finite number with |value| <= maximum; BoundsError naming `what` otherwise.

    Call it before any quantize: Decimal raises InvalidOperation quantizing huge values.
    """
    try:
        finite = value.is_finite()
        too_big = finite and abs(value) > maximum
    except InvalidOperation:  # pragma: no cover - signalling NaN compared
        finite, too_big = False, False
    if not finite:
        raise BoundsError(N_("{what}: '{value}' is not a number"), what=what, value=raw)
    if too_big:
        raise BoundsError(N_("{what}: {value} is beyond the largest accepted value {maximum}"),
                          what=what, value=raw, maximum=f"{maximum:,}")
    return value
