"""Times of the demo as integer seconds since 2026-01-01 00:00, formatted without datetime."""
from __future__ import annotations

from datetime import date, datetime, timedelta

EPOCH = datetime(2026, 1, 1)
DAY = 86400
_DAYS = 800  # 2026-01-01 .. early 2028

DAYSTR: list[str] = [(EPOCH + timedelta(days=i)).strftime("%Y-%m-%d") for i in range(_DAYS)]
TOD: list[str] = [f" {s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}" for s in range(DAY)]


def ts(sec: int) -> str:
    """'YYYY-MM-DD HH:MM:SS' of a second count."""
    return DAYSTR[sec // DAY] + TOD[sec % DAY]


def dstr(day: int) -> str:
    """'YYYY-MM-DD' of a day index."""
    return DAYSTR[day]


def sec_of(value: datetime | date) -> int:
    """Seconds since EPOCH of a datetime (a date means its 00:00)."""
    if not isinstance(value, datetime):
        value = datetime(value.year, value.month, value.day)
    return int((value - EPOCH).total_seconds())


def day_of(value: date) -> int:
    """Day index of a date."""
    return (value - EPOCH.date()).days


def at(text: str) -> int:
    """Seconds of 'YYYY-MM-DD HH:MM:SS' (or a bare date)."""
    fmt = "%Y-%m-%d %H:%M:%S" if len(text) > 10 else "%Y-%m-%d"
    return sec_of(datetime.strptime(text, fmt))
