"""Strict values at the door: every central value checked against the contract's type.

The checks run in the source's own SQL, beside the normalisation of `slice.py`:

- every slice query carries one more column, `_bad`: NULL when the row's values fit the
  contract, otherwise the name of its first bad column. The staging tables keep a partial
  index on it, so a clean sync pays one CASE per row in the source and nothing in Python;
- numbers must be exact decimals with at most the contract's scale and precision (more
  decimals are refused, never rounded; 'abc', '12.3.4', 'many' are refused), times and
  dates must be text in the contract's form and real calendar values, NOT NULL columns
  (primary keys, mdtrt_id, psn_no, ...) must hold a value; keys must be unique (the
  staging tables' primary keys refuse a duplicate);
- rows whose membership in the slice depends on a value (a visit's times, a drug ledger's
  dates, the keys that tie them) are checked over the whole institution first
  (`precheck_sql`): a visit with `begntime = 'see notes'` cannot be placed in or out of
  the window, so it is a problem even though no slice query would return it.

SQLite sources keep any value in any column, so every value is checked (typeof(), GLOB,
datetime()). PostgreSQL columns of the contract's type need no value check (the server
has refused bad values already); a column of another type (text, unconstrained numeric,
float) is checked by its text form and converted only when valid.

When anything is wrong, `diagnose` asks the source for the problems, with their raw values,
and `ContractViolation` names the first (table, key, column, value, why) and counts the rest.
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from inspector.errors import UserError
from inspector.i18n import _
from inspector.sync.xlsx_schema import Column, contract_tables

_PG_TEXT_TYPES = ("text", "character varying", "character")
_PG_INT_TYPES = ("smallint", "integer", "bigint")

# Columns that decide whether a row belongs to the slice, per table selected by institution.
SELECTION_COLUMNS: dict[str, tuple[str, ...]] = {
    "mdtrt": ("mdtrt_id", "psn_no", "med_type", "begntime", "endtime"),
    "drug_inv": ("med_list_codg", "invdate"),
    "drug_purc": ("purc_id", "med_list_codg", "purc_time"),
    "drug_sel": ("sel_id", "med_list_codg", "sel_retn_time"),
}


@dataclass(frozen=True)
class SourceColumn:
    """A PostgreSQL column as information_schema describes it."""

    data_type: str
    precision: int | None
    scale: int | None
    nullable: bool


SourceTypes = dict[tuple[str, str], SourceColumn]


def read_source_types(src) -> SourceTypes | None:
    """PostgreSQL: the contract tables' column types in the source (None for SQLite)."""
    if src.dialect != "postgresql":
        return None
    rows = src.fetchall(
        "SELECT table_name, column_name, data_type, numeric_precision, numeric_scale, is_nullable"
        " FROM information_schema.columns WHERE table_schema = current_schema()"
    )
    tables = contract_tables()
    out: SourceTypes = {}
    for t, c, dt, p, s, n in rows:
        if t in tables:
            out[(str(t), str(c))] = SourceColumn(str(dt), p, s, n == "YES")
    for table, cols in SELECTION_COLUMNS.items():
        for c in cols:
            col = column(table, c)
            sc = out.get((table, c))
            if sc is not None and col.kind in ("timestamp", "date") and sc.data_type in _PG_TEXT_TYPES:
                raise UserError(
                    _("the central column {table}.{column} is of type {found}; the contract says {wanted}, "
                      "and the slice is chosen by it").format(table=table, column=c, found=sc.data_type,
                                                              wanted=col.kind)
                )
    return out


def column(table: str, name: str) -> Column:
    for c in contract_tables()[table].columns:
        if c.name == name:
            return c
    raise KeyError((table, name))


def _unsigned(ref: str) -> str:
    return f"(CASE WHEN substr({ref}, 1, 1) IN ('+', '-') THEN substr({ref}, 2) ELSE {ref} END)"


def _sqlite_check(col: Column, ref: str) -> str | None:
    """SQLite: an expression true (1) when `ref` fits `col`, false (0) otherwise; never NULL."""
    null_ok = "0" if col.not_null else "1"
    if col.kind == "text":
        return f"({ref} IS NOT NULL)" if col.not_null else None
    if col.kind == "numeric":
        s, limit = col.scale, 10 ** (col.precision - col.scale)
        f = 10 ** s
        u = _unsigned(ref)
        text_ok = (f"({u} <> '' AND {u} NOT GLOB '*[^0-9.]*' AND {u} NOT GLOB '*.*.*' AND {u} GLOB '*[0-9]*'"
                   f" AND (instr({u}, '.') = 0 OR length(rtrim({u}, '0')) - instr({u}, '.') <= {s})"
                   f" AND abs(CAST({ref} AS REAL)) < {limit})")
        # A REAL is the double nearest the decimal the central meant: scaled, it is a whole
        # number up to the double's own rounding (relative 1e-15), never half a unit off.
        real_ok = (f"(abs({ref}) < {limit} AND abs({ref} * {f} - round({ref} * {f})) "
                   f"<= abs({ref}) * {f} * 1e-15 + 1e-9)")
        return (f"(CASE typeof({ref}) WHEN 'integer' THEN abs({ref}) < {limit} WHEN 'real' THEN {real_ok}"
                f" WHEN 'text' THEN {text_ok} WHEN 'null' THEN {null_ok} ELSE 0 END)")
    if col.kind == "integer":
        u = _unsigned(ref)
        text_ok = f"({u} <> '' AND {u} NOT GLOB '*[^0-9]*' AND length({u}) <= 18)"
        return (f"(CASE typeof({ref}) WHEN 'integer' THEN 1"
                f" WHEN 'real' THEN ({ref} = CAST({ref} AS INTEGER) AND abs({ref}) < 1e18)"
                f" WHEN 'text' THEN {text_ok} WHEN 'null' THEN {null_ok} ELSE 0 END)")
    # Times and dates: SQLite's own rendering of the value is the value itself (the contract's
    # form, month 01-12, day 01-31, hour 00-23...); past the 28th, the calendar decides.
    if col.kind == "timestamp":
        return (f"(CASE WHEN {ref} IS NULL THEN {null_ok} ELSE (datetime({ref}) IS {ref} AND "
                f"(substr({ref}, 9, 2) <= '28' OR datetime({ref}, '+0 seconds') IS {ref})) END)")
    if col.kind == "date":
        return (f"(CASE WHEN {ref} IS NULL THEN {null_ok} ELSE (date({ref}) IS {ref} AND "
                f"(substr({ref}, 9, 2) <= '28' OR date({ref}, '+0 days') IS {ref})) END)")
    raise ValueError(col.kind)


def _pg_value_check(col: Column, ref: str, sc: SourceColumn) -> tuple[str | None, bool]:
    """PostgreSQL: (check of a non-NULL value or None, whether the conversion must be guarded)."""
    dt = sc.data_type
    if col.kind == "text":
        return None, False
    text = dt in _PG_TEXT_TYPES
    if col.kind == "numeric":
        s, whole = col.scale, col.precision - col.scale
        limit = 10 ** whole
        if dt in _PG_INT_TYPES:
            return (f"abs({ref}) < {limit}" if whole < 18 else None), False
        if dt == "numeric":
            if sc.scale is not None and sc.precision is not None and sc.scale <= s and sc.precision - sc.scale <= whole:
                return None, False
            return f"({ref} = round({ref}, {s}) AND abs({ref}) < {limit})", False
        if dt in ("real", "double precision"):
            return f"({ref}::numeric = round({ref}::numeric, {s}) AND abs({ref}) < {limit})", True
        pattern = rf"^[+-]?([0-9]{{1,{whole}}}(\.[0-9]{{0,{s}}}0*)?|\.[0-9]{{1,{s}}}0*)$" if s else rf"^[+-]?[0-9]{{1,{whole}}}(\.0*)?$"
        return f"({ref}::text ~ '{pattern}')", True
    if col.kind == "integer":
        if dt in _PG_INT_TYPES:
            return None, False
        if dt == "numeric":
            return f"({ref} = trunc({ref}) AND abs({ref}) < 1e18)", True
        return rf"({ref}::text ~ '^[+-]?[0-9]{{1,18}}$')", True
    if col.kind == "timestamp":
        if dt.startswith("timestamp") or dt == "date":
            return None, False
        return rf"({ref}::text ~ '^[0-9]{{4}}-[0-9]{{2}}-[0-9]{{2}} [0-9]{{2}}:[0-9]{{2}}:[0-9]{{2}}$')", True
    if col.kind == "date":
        if dt == "date":
            return None, False
        if dt.startswith("timestamp"):
            return f"({ref} = date_trunc('day', {ref}))", False
        return rf"({ref}::text ~ '^[0-9]{{4}}-[0-9]{{2}}-[0-9]{{2}}$')", True
    raise ValueError(col.kind)


def value_check(dialect: str, table: str, name: str, ref: str, types: SourceTypes | None = None) -> str | None:
    """SQL true when the value `ref` of contract column table.name fits the contract (never NULL),
    or None when the source's type already guarantees it."""
    col = column(table, name)
    if dialect == "sqlite":
        return _sqlite_check(col, ref)
    sc = (types or {}).get((table, name))
    if sc is None:
        return f"({ref} IS NOT NULL)" if col.not_null else None
    check, _guard = _pg_value_check(col, ref, sc)
    if check is None:
        return f"({ref} IS NOT NULL)" if col.not_null and sc.nullable else None
    if col.not_null:
        return f"({ref} IS NOT NULL AND {check})"
    return f"({ref} IS NULL OR {check})"


def pg_guarded(table: str, name: str, types: SourceTypes | None) -> bool:
    """Whether a PostgreSQL column's conversion may fail on a bad value (so runs only on valid ones)."""
    sc = (types or {}).get((table, name))
    if sc is None:
        return False
    return _pg_value_check(column(table, name), "x", sc)[1]


def bad_column_expr(dialect: str, table: str, columns: list[str], alias: str, types: SourceTypes | None = None,
                    skip: tuple[str, ...] = ()) -> str:
    """The `_bad` expression: NULL for a clean row, else the name of its first bad column."""
    whens = []
    for c in columns:
        if c in skip:
            continue
        check = value_check(dialect, table, c, f"{alias}.{c}", types)
        if check is not None:
            whens.append(f"WHEN NOT {check} THEN '{c}'")
    if not whens:
        return "NULL"
    return "CASE " + " ".join(whens) + " END"


# --- problems -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Problem:
    table: str
    key: str          # e.g. "feedetl_sn = F0001"
    column: str
    value: str        # the raw value as shown, '(empty)' for NULL
    why: str


def shown_value(v: Any) -> str:
    if v is None:
        return _("(empty)")
    text = str(v).replace("\n", " ")
    text = text if len(text) <= 60 else text[:59] + "…"
    return f"'{text}'"


def shown_key(table: str, values: tuple) -> str:
    keys = contract_tables()[table].key
    return ", ".join(f"{k} = {shown_value(v)}" for k, v in zip(keys, values))


def why_bad(table: str, name: str, raw: Any) -> str:
    """Why the raw value `raw` does not fit contract column table.name."""
    col = column(table, name)
    if raw is None or raw == "":
        return _("empty, but the contract requires a value")
    if col.kind == "numeric":
        if isinstance(raw, (bytes, bytearray)):
            return _("not a number")
        try:
            d = Decimal(str(raw).strip()) if not isinstance(raw, float) else Decimal(format(raw, ".15g"))
        except InvalidOperation:
            return _("not a number")
        if not d.is_finite() or (isinstance(raw, str) and raw != raw.strip()):
            return _("not a number")
        if abs(d) >= 10 ** (col.precision - col.scale):
            return _("more than {n} digits before the decimal point").format(n=col.precision - col.scale)
        return _("more than {n} decimal places (refused, not rounded)").format(n=col.scale)
    if col.kind == "integer":
        return _("not a whole number")
    if col.kind == "timestamp":
        return _("not a time in the contract's form YYYY-MM-DD HH:MM:SS")
    if col.kind == "date":
        return _("not a date in the contract's form YYYY-MM-DD")
    return _("not a valid value")


class ContractViolation(UserError):
    """Central values that break the contract: the snapshot was refused, nothing changed."""

    def __init__(self, problems: list[Problem], total: int) -> None:
        self.problems = problems
        self.total = total
        first = problems[0]
        text = _("central data refused, nothing was changed: table {table}, {key}, column {column}, "
                 "value {value}: {why}").format(table=first.table, key=first.key, column=first.column,
                                             value=first.value, why=first.why)
        if total > 1:
            text += _("; and {n} further problems").format(n=total - 1)
        super().__init__(text)


def duplicate_problem(table: str, key: tuple, count: int) -> Problem:
    keys = contract_tables()[table].key
    return Problem(table, shown_key(table, key), ", ".join(keys), " / ".join(shown_value(v) for v in key),
                   _("a duplicate key: {n} rows have it").format(n=count))
