"""Column types of the local store: exact decimals as scaled integers, contract text times."""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Integer, String
from sqlalchemy.types import TypeDecorator

TIMESTAMP_FORMAT = "%Y-%m-%d %H:%M:%S"
DATE_FORMAT = "%Y-%m-%d"


class Scaled(TypeDecorator[Decimal]):
    """A Decimal with a fixed number of places, stored as an integer (cents for scale 2).

    SQL sees exact integers, so sums in SQL stay exact; Python sees Decimal.
    """

    impl = Integer
    cache_ok = True

    def __init__(self, scale: int) -> None:
        super().__init__()
        self.scale = scale

    def process_bind_param(self, value: Decimal | int | str | None, dialect) -> int | None:
        if value is None:
            return None
        return to_scaled(value, self.scale)

    def process_result_value(self, value: int | None, dialect) -> Decimal | None:
        if value is None:
            return None
        return from_scaled(value, self.scale)


def to_scaled(value: Decimal | int | str, scale: int) -> int:
    """Exact conversion to a scaled integer; refuses values with more places than `scale`."""
    d = value if isinstance(value, Decimal) else Decimal(str(value))
    q = d.scaleb(scale)
    i = q.to_integral_value()
    if q != i:
        raise ValueError(f"{value} has more than {scale} decimal places")
    return int(i)


def from_scaled(value: int, scale: int) -> Decimal:
    """The Decimal a scaled integer stands for, with exactly `scale` places."""
    return Decimal(int(value)).scaleb(-scale)


class Timestamp(TypeDecorator[datetime]):
    """Contract local time, stored as text 'YYYY-MM-DD HH:MM:SS' (sorts and compares as text)."""

    impl = String(19)
    cache_ok = True

    def process_bind_param(self, value: datetime | str | None, dialect) -> str | None:
        if value is None or isinstance(value, str):
            return value
        return value.strftime(TIMESTAMP_FORMAT)

    def process_result_value(self, value: str | None, dialect) -> datetime | None:
        return None if value is None else datetime.strptime(value, TIMESTAMP_FORMAT)


class Day(TypeDecorator[date]):
    """A calendar date stored as text 'YYYY-MM-DD'."""

    impl = String(10)
    cache_ok = True

    def process_bind_param(self, value: date | str | None, dialect) -> str | None:
        if value is None or isinstance(value, str):
            return value
        return value.strftime(DATE_FORMAT)

    def process_result_value(self, value: str | None, dialect) -> date | None:
        return None if value is None else datetime.strptime(value, DATE_FORMAT).date()
