"""The SQL of the slice one inspection needs (CONTRACT.md, "The slice one inspection needs").

One query per contract table, for SQLite or PostgreSQL. Each selects the contract columns
in snapshot order, already normalised the way the local store keeps them (decimals as
scaled integers, times 'YYYY-MM-DD HH:MM:SS', dates 'YYYY-MM-DD'), so rows flow from the
source cursor straight into `executemany`.

Parameters (named, see `SliceWindow.params`): c institution, w0/w1 window start/end,
v visit time, w0m30 = W0 - 30 days, d0 = W0's date, d1 = W1's date; and ids, the visit
ids `visits_query` found (computed once, then read by every per-visit table's query).
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Text

from inspector.coltypes import DATE_FORMAT, TIMESTAMP_FORMAT, Day, Scaled, Timestamp
from inspector.models import SNAPSHOT_MODELS
from inspector.snapshot import contract_columns, primary_key
from inspector.sync.strict import SourceTypes, bad_column_expr, pg_guarded, value_check

DIALECTS = ("sqlite", "postgresql")

ORDERED = True  # rows in primary-key order (see slice_query)

# Tables whose rows the slice copies (extract_meta is read separately).
SLICE_TABLES: tuple[str, ...] = tuple(t for t in SNAPSHOT_MODELS if t != "extract_meta")


@dataclass(frozen=True)
class SliceWindow:
    """Institution, window D0..D1 (both included) and visit time V of one inspection."""

    institution: str
    date_from: date
    date_to: date
    visit_time: datetime

    @property
    def w0(self) -> datetime:
        return datetime.combine(self.date_from, time())

    @property
    def w1(self) -> datetime:
        return datetime.combine(self.date_to + timedelta(days=1), time())

    def params(self, dialect: str) -> dict[str, Any]:
        """Query parameters: text for SQLite (contract text compares in order), typed for PostgreSQL."""
        p: dict[str, Any] = {
            "c": self.institution,
            "w0": self.w0,
            "w1": self.w1,
            "v": self.visit_time,
            "w0m30": self.w0 - timedelta(days=30),
            "d0": self.w0.date(),
            "d1": self.w1.date(),
        }
        if dialect == "sqlite":
            for k, v in p.items():
                if isinstance(v, datetime):
                    p[k] = v.strftime(TIMESTAMP_FORMAT)
                elif isinstance(v, date):
                    p[k] = v.strftime(DATE_FORMAT)
        return p


def placeholder(dialect: str, name: str) -> str:
    """The named-parameter marker of the dialect's driver (sqlite3 or psycopg)."""
    return f":{name}" if dialect == "sqlite" else f"%({name})s"


_ph = placeholder


def _expr(dialect: str, table: str, column: str, alias: str, types: SourceTypes | None = None) -> str:
    """The normalised select expression of one contract column.

    On PostgreSQL a column not of the contract's type (e.g. text) is converted only when its
    value passed the contract check (`strict.py`), so a bad value becomes NULL and is flagged
    by `_bad` rather than failing the query."""
    ref = f"{alias}.{column}"
    columns = SNAPSHOT_MODELS[table].__table__.columns
    # contract columns the store reduces (psn_info.brdy, certno_hash) are read as the contract has them
    typ = columns[column].type if column in columns else (Day() if column == "brdy" else Text())
    guarded = dialect == "postgresql" and pg_guarded(table, column, types)
    src = f"{ref}::text" if guarded else ref
    if isinstance(typ, Scaled):
        factor = 10**typ.scale
        if dialect == "sqlite":
            # SQLite keeps NUMERIC as REAL/INTEGER: rounding the scaled double is exact far
            # beyond the contract's 14 digits (values with more places never get here: _bad).
            return f"CAST(round({ref} * {factor}) AS INTEGER)"
        expr = f"({src}::numeric * {factor})::bigint" if guarded else f"({ref} * {factor})::bigint"
    elif isinstance(typ, Timestamp):
        if dialect == "sqlite":
            # Copied as is: a value not already in the contract's form is refused (`_bad`).
            return ref
        expr = f"to_char({src}::timestamp, 'YYYY-MM-DD HH24:MI:SS')" if guarded else f"to_char({ref}, 'YYYY-MM-DD HH24:MI:SS')"
    elif isinstance(typ, Day):
        if dialect == "sqlite":
            return ref
        expr = f"to_char({src}::date, 'YYYY-MM-DD')" if guarded else f"to_char({ref}, 'YYYY-MM-DD')"
    elif guarded:
        expr = f"{src}::numeric::bigint"
    else:
        return ref
    if guarded:
        check = value_check(dialect, table, column, ref, types)
        return f"CASE WHEN {check} THEN {expr} END" if check else expr
    return expr


def select_list(dialect: str, table: str, alias: str = "t", types: SourceTypes | None = None,
                checked: bool = True) -> str:
    """The normalised contract columns, and (`checked`) the `_bad` column last (see strict.py)."""
    cols = contract_columns(table)
    out = ", ".join(_expr(dialect, table, c, alias, types) for c in cols)
    if checked:
        out += f", {bad_column_expr(dialect, table, cols, alias, types)} AS _bad"
    return out


def named_select_list(dialect: str, table: str, alias: str = "t", types: SourceTypes | None = None) -> str:
    """`select_list` with every column named (`AS column`, `AS _bad`), for a SELECT used as a subquery."""
    cols = contract_columns(table)
    out = ", ".join(f"{_expr(dialect, table, c, alias, types)} AS {c}" for c in cols)
    return out + f", {bad_column_expr(dialect, table, cols, alias, types)} AS _bad"


def staged_select(table: str, window: SliceWindow) -> tuple[str, str]:
    """SQLite: (WITH clause, SELECT) of `table`'s slice rows, named and checked, for the staging
    connection that attaches the central (`inspector.snapshot.SqlFeed`). med_list: the catalogue
    rows whose codes are in the JSON array parameter `codes` (those the staged fee lines and drug
    ledgers refer to, see `SqlFeed.codes_from`).

    Unordered: a SQLCipher connection sorts in memory (it never writes a temporary file), and
    sorting 3.4 M fee lines there took 680 MB. The rows come in the order of the index the query
    reads (a visit's lines together), which is close to key order for the staging table."""
    if table == "med_list":
        return "", (f"SELECT {named_select_list('sqlite', table)} FROM central.med_list t "
                    f"WHERE t.med_list_codg IN (SELECT value FROM json_each(:codes))")
    return _ctes("sqlite"), f"SELECT {named_select_list('sqlite', table)} FROM {_where('sqlite', table, window)}"


def visits_query(dialect: str) -> str:
    """SELECT of the slice's visit ids (mdtrt_id): the window, the admitted at V, the previous stays."""
    c, w0, w1, v, w0m30 = (_ph(dialect, n) for n in ("c", "w0", "w1", "v", "w0m30"))
    in_window = f"(m.begntime < {w1} AND (m.endtime IS NULL OR m.endtime >= {w0}))"
    admitted = f"(m.med_type = '21' AND m.begntime <= {v} AND (m.endtime IS NULL OR m.endtime > {v}))"
    return f"""SELECT m.mdtrt_id FROM mdtrt m WHERE m.fixmedins_code = {c} AND ({in_window} OR {admitted})
    UNION
    SELECT p.mdtrt_id FROM mdtrt p
     WHERE p.fixmedins_code = {c} AND p.med_type = '21' AND p.endtime >= {w0m30} AND p.endtime < {w0}
       AND p.psn_no IN (SELECT m.psn_no FROM mdtrt m
                         WHERE m.fixmedins_code = {c} AND m.med_type = '21' AND ({in_window} OR {admitted}))"""


def needs_visit_ids(dialect: str) -> bool:
    """Whether the slice queries read the visit ids from the `ids` parameter.

    SQLite: yes, computing the visits once saves a second per table on a big central.
    PostgreSQL: no, it plans the visits subquery better than an unnest() of the ids
    (measured: 17-20 s against 24 s for 1.5M fee lines).
    """
    return dialect == "sqlite"


def visit_ids_param(dialect: str, ids: list[str]) -> Any:
    """The `ids` parameter the slice queries read the visit ids from."""
    return json.dumps(ids) if dialect == "sqlite" else ids


def _ctes(dialect: str) -> str:
    """WITH clause: the slice's visits (see `visits_query`; on SQLite the ids found by it,
    given as parameter `ids`) and each drug's opening count date."""
    c, d0, ids = (_ph(dialect, n) for n in ("c", "d0", "ids"))
    visits = f"SELECT value AS mdtrt_id FROM json_each({ids})" if needs_visit_ids(dialect) else visits_query(dialect)
    return f"""WITH visits AS ({visits}), opening AS (
    SELECT med_list_codg, max(invdate) AS od FROM drug_inv
     WHERE fixmedins_code = {c} AND invdate <= {d0} GROUP BY med_list_codg
)"""


def _upper_time(dialect: str, window: SliceWindow, column: str) -> str:
    """`column < W1 OR column <= V`, written as the one bound it amounts to (index friendly)."""
    if window.visit_time >= window.w1:
        return f"{column} <= {_ph(dialect, 'v')}"
    return f"{column} < {_ph(dialect, 'w1')}"


def _where(dialect: str, table: str, window: SliceWindow, a: str = "t") -> str:
    """FROM ... WHERE of `table`'s slice rows, the table aliased `a`."""
    c, d0, d1 = _ph(dialect, "c"), _ph(dialect, "d0"), _ph(dialect, "d1")
    by_visit = f"{a}.mdtrt_id IN (SELECT mdtrt_id FROM visits)"
    opening_start = "COALESCE(o.od, {d0})".format(d0=d0 if dialect == "sqlite" else f"CAST({d0} AS date)")
    ledger_from = f"LEFT JOIN opening o ON o.med_list_codg = {a}.med_list_codg"
    if table in ("fixmedins", "wards"):
        return f"{table} {a} WHERE {a}.fixmedins_code = {c}"
    if table in ("mdtrt", "leave_rec", "setl", "feedetl", "medrcd"):
        return f"{table} {a} WHERE {by_visit}"
    if table == "psn_info":
        return (f"psn_info {a} WHERE {a}.psn_no IN (SELECT mv.psn_no FROM mdtrt mv "
                f"WHERE mv.mdtrt_id IN (SELECT mdtrt_id FROM visits))")
    if table == "drug_inv":
        return (f"drug_inv {a} WHERE {a}.fixmedins_code = {c} AND (({a}.invdate > {d0} AND {a}.invdate < {d1}) OR "
                f"EXISTS (SELECT 1 FROM opening o WHERE o.med_list_codg = {a}.med_list_codg AND o.od = {a}.invdate))")
    if table == "drug_purc":
        return (f"drug_purc {a} {ledger_from} WHERE {a}.fixmedins_code = {c} "
                f"AND {a}.purc_time >= {opening_start} AND {_upper_time(dialect, window, f'{a}.purc_time')}")
    if table == "drug_sel":
        return (f"drug_sel {a} {ledger_from} WHERE {a}.fixmedins_code = {c} "
                f"AND {a}.sel_retn_time >= {opening_start} AND {_upper_time(dialect, window, f'{a}.sel_retn_time')}")
    if table == "med_list":
        refs = " UNION ".join(
            f"SELECT r.med_list_codg FROM {_where(dialect, src, window, 'r')}"
            for src in ("feedetl", "drug_inv", "drug_purc", "drug_sel")
        )
        return f"med_list {a} WHERE {a}.med_list_codg IN ({refs})"
    raise KeyError(table)


def order_by(dialect: str, table: str, alias: str = "t") -> str:
    """ORDER BY the primary key in SQLite's binary order (COLLATE "C" on PostgreSQL)."""
    collate = ' COLLATE "C"' if dialect == "postgresql" else ""
    cols = []
    for c in primary_key(table):
        typ = SNAPSHOT_MODELS[table].__table__.columns[c].type
        cols.append(f"{alias}.{c}{collate if isinstance(typ, Text) else ''}")
    return "ORDER BY " + ", ".join(cols)


def slice_query(dialect: str, table: str, window: SliceWindow, types: SourceTypes | None = None,
                checked: bool = True) -> str:
    """SELECT of `table`'s slice rows, columns normalised, in primary-key order.

    Rows arrive in the order the local store's primary-key index keeps them: inserting
    them is cheaper and the digest afterwards reads the table sequentially.
    """
    if dialect not in DIALECTS:
        raise ValueError(dialect)
    return (f"{_ctes(dialect)}\nSELECT {select_list(dialect, table, 't', types, checked)} "
            f"FROM {_where(dialect, table, window)} "
            f"{order_by(dialect, table) if ORDERED else ''}")


def count_query(dialect: str, tables: list[str], window: SliceWindow) -> str:
    """One SELECT of the slice row counts of `tables` (for progress totals), the CTEs computed once."""
    counts = ",\n".join(f"(SELECT count(*) FROM {_where(dialect, t, window)})" for t in tables)
    return f"{_ctes(dialect)}\nSELECT {counts}"


def med_list_by_codes_query(dialect: str, types: SourceTypes | None = None, checked: bool = True) -> str:
    """SELECT of the catalogue rows whose codes are in the one parameter `codes` (a list)."""
    if dialect == "sqlite":
        cond = "t.med_list_codg IN (SELECT value FROM json_each(:codes))"
    else:
        cond = "t.med_list_codg = ANY(%(codes)s)"
    return f"SELECT {select_list(dialect, 'med_list', 't', types, checked)} FROM med_list t WHERE {cond}"
