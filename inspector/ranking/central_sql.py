"""The screening rules' tables, defined inside a central database for one institution.

A rule's query (`inspector.screening.s*`, written once as a function of `RuleSQL`) reads
`snap_<table>` tables with a `snapshot_id` column and normalised values: scaled integers for
decimals and contract text for times. On the central, `region_prefix` defines each of those
names as a CTE over the contract table, restricted to the institution's slice with the very
queries the sync uses (`inspector.sync.slice`): so what a rule sees on the central is exactly
what it would see after `sync`, without a row leaving the database. Fee lines are further
restricted to the window, which is all any rule reads of them, so the central can use its
(fixmedins_code, fee_ocur_time) index.
"""
from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal
from typing import Any

from inspector.coltypes import DATE_FORMAT, TIMESTAMP_FORMAT
from inspector.coltypes import Day, Timestamp
from inspector.models import SNAPSHOT_MODELS
from inspector.snapshot import contract_columns
from inspector.sync.slice import SliceWindow, _expr as select_list_one, _where as slice_where, placeholder, select_list, visits_query

# The tables the rules read, and the snapshot id the CTEs carry.
RULE_TABLES: tuple[str, ...] = ("fixmedins", "mdtrt", "medrcd", "feedetl", "med_list", "drug_inv", "drug_purc",
                                "drug_sel")
REGION_SNAPSHOT_ID = 1

_NAMED = re.compile(r"(?<![:\w]):([a-z_][a-z0-9_]*)")


def _select_list(dialect: str, table: str) -> str:
    """The slice's normalised columns (`inspector.sync.slice.select_list`); on PostgreSQL a time
    or date is cast to text in the session's ISO DateStyle (set by `rank_region`), which gives
    the contract's 'YYYY-MM-DD HH:MM:SS' several times faster than to_char, for whole seconds
    as the contract has them."""
    if dialect != "postgresql":
        return select_list(dialect, table, checked=False)
    cols = []
    for c in contract_columns(table):
        typ = SNAPSHOT_MODELS[table].__table__.columns[c].type
        cols.append(f"CAST(t.{c} AS text)" if isinstance(typ, (Timestamp, Day)) else select_list_one(dialect, table, c, "t"))
    return ", ".join(cols)


def _from(dialect: str, table: str, window: SliceWindow) -> str:
    ph = lambda n: placeholder(dialect, n)  # noqa: E731
    if table == "feedetl":
        return (f"{slice_where(dialect, table, window)} AND t.fixmedins_code = {ph('c')} "
                f"AND t.fee_ocur_time >= {ph('w0')} AND t.fee_ocur_time < {ph('w1')}")
    if table == "med_list":          # the rules only ever look an item up by its code
        return "med_list t"
    return slice_where(dialect, table, window)


def region_prefix(dialect: str, window: SliceWindow) -> str:
    """WITH clause defining `snap_<table>` for the rules over `window`'s institution."""
    ph = lambda n: placeholder(dialect, n)  # noqa: E731
    d0 = ph("d0") if dialect == "sqlite" else f"CAST({ph('d0')} AS date)"
    ctes = [
        # NOT MATERIALIZED: the planner then estimates the visits from the table's statistics
        # (a materialised CTE counts as 200 rows, and a 1.4 M-line join was planned as nested loops).
        f"visits AS NOT MATERIALIZED ({visits_query(dialect)})",
        f"opening AS (SELECT med_list_codg, max(invdate) AS od FROM drug_inv "
        f"WHERE fixmedins_code = {ph('c')} AND invdate <= {d0} GROUP BY med_list_codg)",
    ]
    for table in RULE_TABLES:
        cols = ", ".join(("snapshot_id", *contract_columns(table)))
        ctes.append(f"snap_{table} ({cols}) AS NOT MATERIALIZED (SELECT {REGION_SNAPSHOT_ID}, "
                    f"{_select_list(dialect, table)} FROM {_from(dialect, table, window)})")
    text = "WITH " + ",\n".join(ctes) + "\n"
    # The prefix's parameters get their own names (k_...): PostgreSQL types a parameter once,
    # from its first use, and here they meet typed columns while the rules compare text.
    if dialect == "sqlite":
        return _NAMED.sub(r":k_\1", text)
    return re.sub(r"%\((\w+)\)s", r"%(k_\1)s", text)


def window_params(window: SliceWindow, prefix: str = "k_") -> dict[str, Any]:
    """The parameters of `region_prefix` (contract text; PostgreSQL casts them to the columns' types)."""
    return {prefix + k: v for k, v in {
        "c": window.institution,
        "w0": window.w0.strftime(TIMESTAMP_FORMAT),
        "w1": window.w1.strftime(TIMESTAMP_FORMAT),
        "v": window.visit_time.strftime(TIMESTAMP_FORMAT),
        "w0m30": (window.w0 - timedelta(days=30)).strftime(TIMESTAMP_FORMAT),
        "d0": window.w0.strftime(DATE_FORMAT),
        "d1": window.w1.strftime(DATE_FORMAT),
    }.items()}


def to_driver(dialect: str, sql: str) -> str:
    """A rule's `:name` parameters in the driver's style (psycopg: `%(name)s`)."""
    return sql if dialect == "sqlite" else _NAMED.sub(r"%(\1)s", sql)


class RegionCursor:
    """A DB-API cursor on the central that runs a rule's query under the institution's CTEs.

    The rules call it exactly like the store's sqlite3 cursor: `execute(sql, params)`, then
    `fetchone`/`fetchall`/`fetchmany` or iteration."""

    def __init__(self, connection: "RegionConnection") -> None:
        self._c = connection
        self._cur = None

    def execute(self, sql: str, params: dict[str, Any] | None = None) -> RegionCursor:
        c = self._c
        text = c.prefix + to_driver(c.dialect, sql)
        args = {**c.params, **(params or {})}
        if self._cur is not None:
            self._cur.close()
        self._cur = c.dbapi.cursor()
        try:
            self._cur.execute(text, args)
        except c.errors as exc:
            raise c.fail(exc) from None
        return self

    # PostgreSQL sums bigints as numeric: hand the rules ints, as the store's SQLite does.
    def fetchone(self):
        row = self._cur.fetchone()
        return None if row is None else _ints(row)

    def fetchall(self):
        return [_ints(r) for r in self._cur.fetchall()]

    def fetchmany(self, size: int):
        return [_ints(r) for r in self._cur.fetchmany(size)]

    def __iter__(self):
        return (_ints(r) for r in self._cur)


def _ints(row: tuple) -> tuple:
    if not any(isinstance(v, Decimal) for v in row):
        return row
    out = []
    for v in row:
        if isinstance(v, Decimal):
            if v != v.to_integral_value():
                raise ValueError(f"a rule's SQL returned a non-integral number {v}")
            v = int(v)
        out.append(v)
    return tuple(out)


class RegionConnection:
    """What a rule receives as `conn` on the central: `cursor()` gives a `RegionCursor`."""

    def __init__(self, dbapi, dialect: str, window: SliceWindow, errors: tuple[type[Exception], ...], fail) -> None:
        self.dbapi, self.dialect, self.errors, self.fail = dbapi, dialect, errors, fail
        self.prefix = region_prefix(dialect, window)
        self.params = window_params(window)

    def cursor(self) -> RegionCursor:
        return RegionCursor(self)
