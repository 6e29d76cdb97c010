"""Reading one Excel cell as a contract value, and the contract's code lists.

openpyxl hands back str, int, float, bool, datetime, date, time or None. Numbers are
read at Excel's own precision (15 significant digits) straight into `Decimal`, so a
value never goes through binary float arithmetic; a number with more decimal places
than its column allows is refused, never rounded.
"""
from __future__ import annotations

import math
import re
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from inspector.i18n import N_, _
from inspector.sync.xlsx_schema import Column


class BadValue(ValueError):
    """A cell that cannot be read as its column's type; the message says why."""


_DATE_TEXT = re.compile(r"\d{4}-\d{2}-\d{2}")
_TS_TEXT = re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}")
_INT_TEXT = re.compile(r"[+-]?\d+")
CENT = Decimal("0.01")


def _text(v: object) -> str | None:
    if isinstance(v, str):
        return v if v != "" else None
    if isinstance(v, bool):
        raise BadValue(_("TRUE/FALSE where text is expected"))
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        if v.is_integer():
            return str(int(v))
        return format(v, ".15g")
    if isinstance(v, datetime):   # e.g. extract_meta created_at typed into Excel: contract time text
        return _timestamp(v)
    if isinstance(v, date):
        return v.strftime("%Y-%m-%d")
    if isinstance(v, time):
        raise BadValue(_("a time of day where text is expected"))
    return str(v)


_INT_LIMIT = 2**63   # SQLite's INTEGER


def _integer(v: object) -> int:
    if isinstance(v, bool):
        return int(v)
    if isinstance(v, int):
        i = v
    elif isinstance(v, float) and v.is_integer():
        i = int(v)
    elif isinstance(v, str) and _INT_TEXT.fullmatch(v.strip()):
        i = int(v.strip())
    else:
        raise BadValue(_("not a whole number"))
    if not -_INT_LIMIT <= i < _INT_LIMIT:
        raise BadValue(_("too large a number"))
    return i


def to_decimal(v: object) -> Decimal:
    """A cell's number as an exact Decimal (floats at Excel's 15 significant digits)."""
    if isinstance(v, bool):
        raise BadValue(_("TRUE/FALSE where a number is expected"))
    if isinstance(v, int):
        return Decimal(v)
    if isinstance(v, float):
        if not math.isfinite(v):
            raise BadValue(_("not a number"))
        return Decimal(format(v, ".15g"))
    if isinstance(v, Decimal):
        if not v.is_finite():
            raise BadValue(_("not a number"))
        return v
    if isinstance(v, str):
        try:
            d = Decimal(v.strip())
        except InvalidOperation:
            raise BadValue(_("not a number")) from None
        if not d.is_finite():
            raise BadValue(_("not a number"))
        return d
    raise BadValue(_("a date or time where a number is expected"))


def _numeric(precision: int, scale: int) -> Callable[[object], str]:
    limit = Decimal(10) ** (precision - scale)

    def convert(v: object) -> str:
        d = to_decimal(v)
        exp = d.normalize().as_tuple().exponent
        if isinstance(exp, int) and exp < -scale:
            raise BadValue(_("more than {n} decimal places").format(n=scale))
        if abs(d) >= limit:
            raise BadValue(_("more than {n} digits before the decimal point").format(n=precision - scale))
        return str(d.quantize(Decimal(1).scaleb(-scale)))

    return convert


def _date(v: object) -> str:
    if isinstance(v, datetime):
        if v.time() != time(0):
            raise BadValue(_("a date with a time of day where a date is expected"))
        return v.strftime("%Y-%m-%d")
    if isinstance(v, date):
        return v.strftime("%Y-%m-%d")
    if isinstance(v, str):
        s = v.strip()
        if _DATE_TEXT.fullmatch(s):
            try:
                date.fromisoformat(s)
                return s
            except ValueError:
                raise BadValue(_("not a real calendar date")) from None
        raise BadValue(_("not a date: write YYYY-MM-DD or use an Excel date"))
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        raise BadValue(_("a plain number where a date is expected: format the cell as a date or write YYYY-MM-DD"))
    raise BadValue(_("not a date: write YYYY-MM-DD or use an Excel date"))


def _timestamp(v: object) -> str:
    if isinstance(v, datetime):
        if v.microsecond:  # Excel keeps times as fractions of a day: round to the second
            v = v.replace(microsecond=0) + timedelta(seconds=1 if v.microsecond >= 500_000 else 0)
        return v.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(v, date):
        return v.strftime("%Y-%m-%d") + " 00:00:00"
    if isinstance(v, str):
        s = v.strip()
        if _TS_TEXT.fullmatch(s):
            try:
                datetime.fromisoformat(s)
                return s
            except ValueError:
                raise BadValue(_("not a real date and time")) from None
        raise BadValue(_("not a time: write YYYY-MM-DD HH:MM:SS or use an Excel date"))
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        raise BadValue(
            _("a plain number where a time is expected: format the cell as a date or write YYYY-MM-DD HH:MM:SS")
        )
    raise BadValue(_("not a time: write YYYY-MM-DD HH:MM:SS or use an Excel date"))


def converter(col: Column) -> Callable[[object], object]:
    """The function turning a non-empty cell of `col` into its contract value."""
    if col.kind == "text":
        return _text
    if col.kind == "integer":
        return _integer
    if col.kind == "date":
        return _date
    if col.kind == "timestamp":
        return _timestamp
    return _numeric(col.precision, col.scale)


def fee_sum(cnt: str, pric: str) -> Decimal:
    """cnt x pric rounded half-up (ties away from zero) to cents, as the contract defines."""
    return (Decimal(cnt) * Decimal(pric)).quantize(CENT, rounding=ROUND_HALF_UP)


# --- code lists -----------------------------------------------------------------------------

_MED_CHRGITM = frozenset(f"{i:02d}" for i in range(1, 15))
CODE_SETS: dict[str, frozenset] = {
    "fixmedins_type": frozenset({"1", "2"}),
    "hosp_lv": frozenset({"1", "2", "3"}),
    "credit_grade": frozenset({"A", "B", "C", "D"}),
    "contract_status": frozenset({"active", "suspended", "terminated"}),
    "gend": frozenset({"1", "2"}),
    "insutype": frozenset({"310", "390"}),
    "list_type": frozenset({"101", "102", "201", "301"}),
    "chrgitm_lv": frozenset({"01", "02", "03"}),
    "essential_flag": frozenset({0, 1}),
    "med_type": frozenset({"11", "14", "21", "41"}),
    "med_chrgitm_type": _MED_CHRGITM,
    "retn_flag": frozenset({"0", "1"}),
}
CODE_PATTERNS: dict[str, tuple[re.Pattern, str]] = {
    "fixmedins_code": (re.compile(r"[HP]\d{11}"), N_("'H' or 'P' followed by 11 digits")),
    "admdvs": (re.compile(r"\d{6}"), N_("6 digits")),
    "certno_hash": (re.compile(r"[0-9a-f]{64}"), N_("64 lowercase hexadecimal characters")),
}
_DRUG_CODE = re.compile(r"X.{22}|Z.{19}", re.S)


def check_code(table: str, column: str, value: object) -> str | None:
    """Why `value` is not a valid code for `column`, or None when it is (or is not a code)."""
    allowed = CODE_SETS.get(column)
    if allowed is not None:
        if value not in allowed:
            shown = ", ".join(sorted(str(a) for a in allowed))
            return _("unknown code; expected one of {codes}").format(codes=shown)
        return None
    pattern = CODE_PATTERNS.get(column)
    if pattern is not None and (table != "extract_meta") and not pattern[0].fullmatch(str(value)):
        return _("malformed code; expected {what}").format(what=_(pattern[1]))
    return None


def check_drug_code(code: str, list_type: str) -> str | None:
    """Drug items (list_type '101') need an 'X' code of 23 or a 'Z' code of 20 characters."""
    if list_type == "101" and not _DRUG_CODE.fullmatch(code):
        return _("a drug (list_type 101) code must be 'X' + 22 characters or 'Z' + 19 characters")
    return None


def shown(value: object, width: int = 60) -> str:
    """A cell value as the error table shows it."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        text = value.strftime("%Y-%m-%d %H:%M:%S")
    elif isinstance(value, date):
        text = value.strftime("%Y-%m-%d")
    elif isinstance(value, float):
        text = repr(value)
    else:
        text = str(value)
    text = text.replace("\n", " ")
    return text if len(text) <= width else text[: width - 1] + "…"
