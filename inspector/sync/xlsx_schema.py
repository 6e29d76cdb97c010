"""The contract tables as the Excel import sees them: columns, types, keys and references.

Read from the contract DDL itself (`inspector.resources.central_schema_sql()`, loaded
into an in-memory SQLite database and described with PRAGMAs), so the workbook rules
follow schema.sql and nothing is restated by hand except the code lists.
"""
from __future__ import annotations

import re
import sqlite3
from dataclasses import dataclass
from functools import lru_cache

from inspector.resources import central_schema_sql

# Tables of a workbook, in load order (parents before children). insp_upload is never read.
XLSX_TABLES: tuple[str, ...] = (
    "extract_meta", "fixmedins", "wards", "psn_info", "med_list", "mdtrt", "leave_rec",
    "setl", "feedetl", "medrcd", "drug_inv", "drug_purc", "drug_sel",
)

# Sheets a workbook may leave out: only those an institution without inpatient stays has no
# rows in (a pharmacy or an outpatient clinic). They are required as soon as any `mdtrt` row
# of the workbook is an inpatient stay (med_type '21').
INPATIENT_SHEETS: tuple[str, ...] = ("wards", "leave_rec", "medrcd")

_NUMERIC = re.compile(r"NUMERIC\((\d+),\s*(\d+)\)", re.I)


@dataclass(frozen=True)
class Column:
    """One contract column: its type kind (text, integer, date, timestamp, numeric)."""

    name: str
    kind: str
    not_null: bool
    default: object | None
    precision: int = 0
    scale: int = 0

    @property
    def required(self) -> bool:
        """A workbook must have this column: NOT NULL and no default."""
        return self.not_null and self.default is None


@dataclass(frozen=True)
class Reference:
    """A column whose non-empty values must be keys of `parent`."""

    column: str
    parent: str
    parent_column: str


@dataclass(frozen=True)
class Table:
    name: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    references: tuple[Reference, ...]

    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]


def _default(text: str | None) -> object | None:
    if text is None:
        return None
    if text.startswith("'") and text.endswith("'"):
        return text[1:-1].replace("''", "'")
    return int(text)


def _column(row: tuple) -> Column:
    _, name, decl, notnull, dflt, pk = row
    decl_u = decl.upper()
    m = _NUMERIC.fullmatch(decl_u)
    if m:
        return Column(name, "numeric", bool(notnull or pk), _default(dflt), int(m.group(1)), int(m.group(2)))
    kind = {"TEXT": "text", "INTEGER": "integer", "DATE": "date", "TIMESTAMP": "timestamp"}.get(decl_u)
    if kind is None:
        raise ValueError(f"unsupported contract type {decl!r} of column {name}")
    return Column(name, kind, bool(notnull or pk), _default(dflt))


@lru_cache(maxsize=1)
def contract_tables() -> dict[str, Table]:
    """Every table of the workbook form, described from the contract DDL."""
    con = sqlite3.connect(":memory:")
    try:
        con.executescript(central_schema_sql())
        out: dict[str, Table] = {}
        for name in XLSX_TABLES:
            info = con.execute(f"PRAGMA table_info({name})").fetchall()
            cols = tuple(_column(r) for r in info)
            key = tuple(r[1] for r in sorted((r for r in info if r[5]), key=lambda r: r[5]))
            refs = [Reference(r[3], r[2], r[4]) for r in con.execute(f"PRAGMA foreign_key_list({name})")]
            # Every fixmedins_code column names an institution, declared or not.
            if name != "fixmedins" and any(c.name == "fixmedins_code" for c in cols):
                if not any(r.column == "fixmedins_code" for r in refs):
                    refs.append(Reference("fixmedins_code", "fixmedins", "fixmedins_code"))
            out[name] = Table(name, cols, key, tuple(refs))
        return out
    finally:
        con.close()
