"""Exact money as integers: cents, 1/10000 yuan prices, 1/100 quantities; text for the DB."""
from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache


def line_cents(cnt100: int, pric10k: int) -> int:
    """cnt * pric rounded half-up (ties away from zero) to cents."""
    v = cnt100 * pric10k  # in 1e-6 yuan
    if v >= 0:
        return (v + 5000) // 10000
    return -((-v + 5000) // 10000)


def f2(v: int) -> str:
    """Integer of 1/100 units as text with two decimals."""
    if v < 0:
        return "-" + f2(-v)
    return f"{v // 100}.{v % 100:02d}"


@lru_cache(maxsize=4096)
def f4(v: int) -> str:
    """Integer of 1/10000 units as text with four decimals."""
    if v < 0:
        return "-" + f4(-v)
    return f"{v // 10000}.{v % 10000:04d}"


@lru_cache(maxsize=4096)
def q2(v: int) -> str:
    """Like `f2`, cached: for quantities, which take few values."""
    return f2(v)


def round2(value: Decimal) -> str:
    """A Decimal rounded half-up to cents, as text."""
    return str(value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))
