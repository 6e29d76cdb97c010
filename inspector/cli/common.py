"""Shared helpers of the CLI modules: opening the store, parsing dates, printing JSON."""
from __future__ import annotations

import json
import sys
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Engine

from inspector.coltypes import DATE_FORMAT, TIMESTAMP_FORMAT
from inspector.db import open_store
from inspector.errors import UserError


def store(args) -> Engine:
    return open_store(args.db)


def parse_date(text: str, what: str) -> date:
    try:
        return datetime.strptime(text, DATE_FORMAT).date()
    except ValueError:
        raise UserError(f"{what}: '{text}' is not a date YYYY-MM-DD") from None


def parse_timestamp(text: str, what: str) -> datetime:
    try:
        return datetime.strptime(text, TIMESTAMP_FORMAT)
    except ValueError:
        raise UserError(f"{what}: '{text}' is not a time 'YYYY-MM-DD HH:MM:SS'") from None


def _default(o: Any) -> Any:
    if isinstance(o, Decimal):
        return str(o)
    if isinstance(o, datetime):
        return o.strftime(TIMESTAMP_FORMAT)
    if isinstance(o, date):
        return o.strftime(DATE_FORMAT)
    raise TypeError(f"not JSON serialisable: {type(o).__name__}")


def print_json(value: Any) -> None:
    """`value` as JSON on stdout: an object's members and a list's elements one per line, each
    encoded by the C encoder (an indenting encoder runs in Python: seconds for thousands of leads)."""
    enc = json.JSONEncoder(ensure_ascii=False, default=_default, separators=(", ", ": "))
    out = sys.stdout

    def elements(items: list[Any], pad: str) -> None:
        buf: list[str] = []
        for i, v in enumerate(items):
            buf.append(f"{pad}{enc.encode(v)}{',' if i < len(items) - 1 else ''}\n")
            if len(buf) >= 1000:
                out.write("".join(buf))
                buf.clear()
        out.write("".join(buf))

    if isinstance(value, dict) and value:
        out.write("{\n")
        for i, (k, v) in enumerate(value.items()):
            sep = "," if i < len(value) - 1 else ""
            if isinstance(v, list) and v:
                out.write(f"  {enc.encode(k)}: [\n")
                elements(v, "    ")
                out.write(f"  ]{sep}\n")
            else:
                out.write(f"  {enc.encode(k)}: {enc.encode(v)}{sep}\n")
        out.write("}\n")
    elif isinstance(value, list) and value:
        out.write("[\n")
        elements(value, "  ")
        out.write("]\n")
    else:
        out.write(enc.encode(value) + "\n")


def print_table(headers: list[str], rows: list[list[Any]]) -> None:
    """A plain aligned table; widths count CJK characters as two columns."""
    import unicodedata

    def width(s: str) -> int:
        return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in s)

    cells = [[str(h) for h in headers]] + [["" if v is None else str(v) for v in r] for r in rows]
    widths = [max(width(r[i]) for r in cells) for i in range(len(headers))]
    for n, r in enumerate(cells):
        print("  ".join(c + " " * (widths[i] - width(c)) for i, c in enumerate(r)).rstrip())
        if n == 0:
            print("  ".join("-" * w for w in widths))
