"""What every screening rule shares: its context, its result, exact money and Chinese text.

Rules read the snapshot tables through the raw sqlite3 cursor under a SQLAlchemy
connection: sums of scaled integers are exact in SQL, and only small aggregates (or a
stream ordered in SQL) come back to Python. Money stays exact (`Fraction` over scaled
integers) and is rounded half-up to cents once, at the end, by `round_cents`.
"""
from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal, localcontext
from fractions import Fraction
from typing import Any, Callable

from inspector.coltypes import DATE_FORMAT, TIMESTAMP_FORMAT
from inspector.i18n import gettext
from inspector.progress import Progress

SUMMARY_LANGUAGE = "zh_CN"


@dataclass(frozen=True)
class RuleSQL:
    """The SQL dialect a rule's query is written for: the local store, or a central database.

    Every rule writes its query once, as a function of this object: the few places where the
    dialects differ (scalar max/min, day arithmetic, binary text order, the local store's
    rowid-bounded scans) are spelled through it. Tables are always named `snap_<table>` with a
    `snapshot_id` column and normalised values (scaled integers, contract time text): in the
    local store these are the snapshot tables; on a central database `inspector.ranking`
    defines them as CTEs over the contract tables (the slice of one institution)."""

    dialect: str   # 'local' (the store, SQLite), 'sqlite' or 'postgresql' (a central database)

    @property
    def local(self) -> bool:
        return self.dialect == "local"

    @property
    def _pg(self) -> bool:
        return self.dialect == "postgresql"

    def greatest(self, *args: str) -> str:
        return f"{'GREATEST' if self._pg else 'max'}({', '.join(args)})"

    def least(self, *args: str) -> str:
        return f"{'LEAST' if self._pg else 'min'}({', '.join(args)})"

    def daynum(self, expr: str) -> str:
        """A day number of the date of a time text (differences are calendar days)."""
        if self._pg:
            return f"(CAST(substr({expr}, 1, 10) AS date) - DATE '2000-01-01')"
        return f"julianday(substr({expr}, 1, 10))"

    def next_day(self, expr: str) -> str:
        """'YYYY-MM-DD' of the day after the date of a time text."""
        if self._pg:
            return f"to_char(CAST(substr({expr}, 1, 10) AS date) + 1, 'YYYY-MM-DD')"
        return f"date({expr}, '+1 day')"

    def binary(self, expr: str) -> str:
        """A text expression compared and ordered byte-wise, as SQLite does."""
        return f'{expr} COLLATE "C"' if self._pg else expr

    # The store's pinned plans (see plans.py): SQLite-only hints, nothing on a central, whose own
    # planner and indexes decide there.
    def indexed(self, index: str) -> str:
        return f" INDEXED BY {index}" if self.local else ""

    @property
    def not_indexed(self) -> str:
        return " NOT INDEXED" if self.local else ""

    @property
    def cross(self) -> str:
        """CROSS JOIN fixes SQLite's join order; elsewhere a plain JOIN."""
        return "CROSS JOIN" if self.local else "JOIN"

    def plus(self, expr: str) -> str:
        """A unary `+`, which keeps SQLite from using an index on the column."""
        return f"+{expr}" if self.local else expr

    def scan(self, alias: str = "", lo: str = "lo", hi: str = "hi") -> str:
        """The condition of a whole-snapshot scan of a table: in the store a rowid range (see
        `table_bounds`) plus the snapshot test; on a central the snapshot test alone."""
        a = f"{alias}." if alias else ""
        if self.local:
            return f"{a}rowid BETWEEN :{lo} AND :{hi} AND +{a}snapshot_id = :s"
        return f"{a}snapshot_id = :s"


LOCAL_SQL = RuleSQL("local")


@dataclass(frozen=True)
class ScreeningContext:
    """What a rule needs besides the database: snapshot, institution, window [w0, w1), V, settings."""

    snapshot_id: int
    fixmedins_code: str
    w0: str                 # 'YYYY-MM-DD 00:00:00' of date_from
    w1: str                 # 'YYYY-MM-DD 00:00:00' of date_to + 1 day
    v: str                  # the visit time, contract text
    settings: dict[str, Any]
    progress: Progress = field(default_factory=Progress)
    cache: dict[str, Any] = field(default_factory=dict, compare=False)  # work shared by rules of one run
    sql: RuleSQL = field(default=LOCAL_SQL, compare=False)     # the dialect the rules' queries are written in

    @property
    def d0(self) -> str:
        """W0's date, 'YYYY-MM-DD'."""
        return self.w0[:10]

    @property
    def d1_excl(self) -> str:
        """W1's date (the first day after the window), 'YYYY-MM-DD'."""
        return self.w1[:10]


@dataclass
class LeadResult:
    """One lead as a rule computed it: rule, key, amount (2 places), figures, severity, summary."""

    rule: str
    key: list[str]
    amount: Decimal
    figures: dict[str, Any]
    summary: str
    severity: str | None = None

    @property
    def key_json(self) -> str:
        return canonical_key(self.key)




RuleFunc = Callable[[Any, ScreeningContext], Iterator[LeadResult]]


def canonical_key(key: list[str]) -> str:
    """The stored form of a lead key: compact JSON array text."""
    return json.dumps([str(k) for k in key], ensure_ascii=False, separators=(",", ":"))


def context_for(snapshot_id: int, fixmedins_code: str, date_from: date, date_to: date,
                visit_time: datetime, settings: dict[str, Any], progress: Progress | None = None) -> ScreeningContext:
    """The context of an inspection: W0 = date_from 00:00, W1 = (date_to + 1 day) 00:00."""
    w0 = datetime.combine(date_from, datetime.min.time())
    w1 = datetime.combine(date_to + timedelta(days=1), datetime.min.time())
    return ScreeningContext(snapshot_id, fixmedins_code, w0.strftime(TIMESTAMP_FORMAT), w1.strftime(TIMESTAMP_FORMAT),
                            visit_time.strftime(TIMESTAMP_FORMAT), dict(settings), progress or Progress())


def raw_cursor(conn):
    """The sqlite3 cursor under a SQLAlchemy Connection (or a sqlite3 connection itself)."""
    if hasattr(conn, "connection"):
        conn = conn.connection.driver_connection
    return conn.cursor()


def table_bounds(cur, ctx: ScreeningContext, table: str) -> tuple[int, int]:
    """Lowest and highest rowid of the snapshot's rows in `table`, so a rule that reads them all
    scans that stretch of the table instead of walking an index and looking up every row (a
    snapshot is written in one transaction, so its rows are contiguous). Queries still test
    snapshot_id on every row, so the bounds only ever make a scan shorter."""
    key = f"bounds:{table}"
    if key not in ctx.cache:
        lo_s = cur.execute(f"SELECT min(snapshot_id) FROM {table}").fetchone()[0]
        hi_s = cur.execute(f"SELECT max(snapshot_id) FROM {table}").fetchone()[0]
        if lo_s == hi_s == ctx.snapshot_id:   # the only snapshot in the table: its whole extent, in O(1)
            lo = cur.execute(f"SELECT min(rowid) FROM {table}").fetchone()[0]
            hi = cur.execute(f"SELECT max(rowid) FROM {table}").fetchone()[0]
        else:
            lo, hi = cur.execute(f"SELECT min(rowid), max(rowid) FROM {table} WHERE snapshot_id = ?",
                                 (ctx.snapshot_id,)).fetchone()
        ctx.cache[key] = (lo or 0, hi or -1)
    return ctx.cache[key]


# Fee lines per statement of a rule that groups them per visit (S3, S8): SQLite sorts a GROUP BY
# in memory (temp_store=MEMORY: no temporary file may hold patient data, and an in-memory sort
# never spills), so a statement over the whole snapshot would hold every line it groups; one
# statement per range of visits holds at most about this many.
CHUNK_LINES = 200_000


def visit_chunks(cur, ctx: ScreeningContext, lines: int = CHUNK_LINES) -> list[tuple[str, str]]:
    """Ranges [a, b] of mdtrt_id (binary order) that split the snapshot's fee lines into runs of
    about `lines` lines, cut between visits (a visit's lines are always in one range). Walks
    ix_snap_feedetl_mdtrt once (its entries only, no table row)."""
    key = f"visit_chunks:{lines}"
    if key in ctx.cache:
        return ctx.cache[key]
    ix = "snap_feedetl INDEXED BY ix_snap_feedetl_mdtrt WHERE snapshot_id = ?"
    s = ctx.snapshot_id
    a = cur.execute(f"SELECT min(mdtrt_id) FROM {ix}", (s,)).fetchone()[0]
    hi = cur.execute(f"SELECT max(mdtrt_id) FROM {ix}", (s,)).fetchone()[0]
    out: list[tuple[str, str]] = []
    while a is not None:
        row = cur.execute(f"SELECT mdtrt_id FROM {ix} AND mdtrt_id >= ? ORDER BY mdtrt_id LIMIT 1 OFFSET ?",
                          (s, a, lines)).fetchone()
        b = row[0] if row else hi
        out.append((a, b))
        a = cur.execute(f"SELECT min(mdtrt_id) FROM {ix} AND mdtrt_id > ?", (s, b)).fetchone()[0]
    ctx.cache[key] = out
    return out


def fee_bounds(cur, ctx: ScreeningContext) -> tuple[int, int]:
    """`table_bounds` of snap_feedetl."""
    return table_bounds(cur, ctx, "snap_feedetl")


def fee_params(cur, ctx: ScreeningContext, **extra: Any) -> dict[str, Any]:
    """Named parameters of a fee-line scan: snapshot, window and rowid bounds."""
    lo, hi = fee_bounds(cur, ctx) if ctx.sql.local else (0, -1)
    return {"s": ctx.snapshot_id, "c": ctx.fixmedins_code, "w0": ctx.w0, "w1": ctx.w1, "v": ctx.v,
            "lo": lo, "hi": hi, **extra}


# --- exact money ------------------------------------------------------------------------

def scaled(value: int | None, scale: int) -> Fraction:
    """The exact value of a scaled integer from the store (0 for NULL)."""
    return Fraction(int(value or 0), 10 ** scale)


def round_cents(x: Fraction | Decimal | int) -> Decimal:
    """Round half-up (ties away from zero) to cents, exactly once."""
    if isinstance(x, int):
        return Decimal(x * 100).scaleb(-2)
    if not isinstance(x, Fraction):
        x = Fraction(x)
    num, den = x.numerator * 100, x.denominator      # integer arithmetic: no new Fraction
    q, r = divmod(abs(num), den)
    if 2 * r >= den:
        q += 1
    return Decimal(-q if num < 0 else q).scaleb(-2)


def money(x: Fraction | Decimal | int) -> str:
    """A money figure as text with two places (rounded half-up)."""
    return f"{round_cents(x):.2f}"


def qty(value: int) -> str:
    """A quantity stored in 1/100 as text with two places."""
    return f"{Decimal(int(value)).scaleb(-2):.2f}"


def exact_text(x: Fraction, places: int = 2) -> str:
    """An exact decimal as text with at least `places` places (more when the value needs them;
    a value without a finite decimal form is cut at 10 places)."""
    with localcontext() as c:
        c.prec = 60
        d = Decimal(x.numerator) / Decimal(x.denominator)
        if d != d.quantize(Decimal(1).scaleb(-10), rounding=ROUND_HALF_UP):
            d = d.quantize(Decimal(1).scaleb(-10), rounding=ROUND_HALF_UP)
        d = d.normalize()
        if -d.as_tuple().exponent < places:
            d = d.quantize(Decimal(1).scaleb(-places))
        return f"{d:f}"


def price(value: int) -> str:
    """A unit price stored in 1/10000 as text with four places."""
    return f"{Decimal(int(value)).scaleb(-4):.4f}"


def price_fraction(x: Fraction) -> str:
    """An average unit price, rounded half-up to four places for display only."""
    f = x * 10000
    sign = -1 if f < 0 else 1
    q, r = divmod(abs(f).numerator, abs(f).denominator)
    if 2 * r >= abs(f).denominator:
        q += 1
    return f"{Decimal(sign * q).scaleb(-4):.4f}"


def day_diff(later_day: str, earlier_day: str) -> int:
    """Calendar days from `earlier_day` to `later_day` ('YYYY-MM-DD' prefixes)."""
    a = datetime.strptime(later_day[:10], DATE_FORMAT).date()
    b = datetime.strptime(earlier_day[:10], DATE_FORMAT).date()
    return (a - b).days


def next_day(day: str) -> str:
    return (datetime.strptime(day[:10], DATE_FORMAT).date() + timedelta(days=1)).strftime(DATE_FORMAT)


def zh(msgid: str, **kwargs: Any) -> str:
    """A one-line summary in Chinese, whatever the UI language."""
    return gettext(msgid, SUMMARY_LANGUAGE).format(**kwargs)


def setting_int(ctx: ScreeningContext, key: str) -> int:
    return int(ctx.settings[key])


def setting_fraction(ctx: ScreeningContext, key: str) -> Fraction:
    return Fraction(Decimal(str(ctx.settings[key])))
