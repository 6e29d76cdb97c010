"""S8 Bed-only days (疑似挂床): runs of days billed only bed and nursing."""
from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from itertools import groupby

from inspector.i18n import N_
from inspector.screening.base import LOCAL_SQL, LeadResult, RuleSQL, ScreeningContext, money, raw_cursor, round_cents, scaled, setting_int, visit_chunks, zh

TITLE = N_("Bed-only days")
SUMMARY = N_("Stay {visit}: {days} bed-only days in {runs} run(s) of at least {threshold} days ({spans}); "
             "amount {amount} yuan")

# Per inpatient stay, its bed-only days inside the window (days with lines, all of them bed or
# nursing) with their fees. Any other day of the stay (a day with another line, or with no line)
# shows as a gap in the dates, which breaks a run. Consecutive days share one island (the
# day's number minus its rank among the stay's bed-only days), so each run comes out of SQL
# as one row, and only the runs of at least :k days reach Python. In the store the query runs
# once per range of visits (`visit_chunks`: stays through their primary key, in mdtrt_id order),
# so its GROUP BY and window sort one range's lines at a time (`+m.mdtrt_id`: the range on m
# must not become a range on f, whose lines are read per stay).
def sql(q: RuleSQL) -> str:
    """The query of S8 in dialect `q`."""
    other = "CASE WHEN f.med_chrgitm_type NOT IN ('01', '07') THEN 1 ELSE 0 END"
    stays = (f"snap_mdtrt m{q.indexed('sqlite_autoindex_snap_mdtrt_1')}" if q.local
             else "snap_mdtrt m")
    chunk = " AND m.mdtrt_id BETWEEN :a AND :b" if q.local else ""
    return f"""
SELECT v, MIN(d), MAX(d), COUNT(*), SUM(amt) FROM (
  SELECT v, d, amt, {q.daynum('d')} - ROW_NUMBER() OVER (PARTITION BY v ORDER BY d) AS island FROM (
    SELECT m.mdtrt_id AS v, substr(f.fee_ocur_time, 1, 10) AS d, SUM(f.det_item_fee_sumamt) AS amt
      FROM {stays}
     {q.cross} snap_feedetl f{q.indexed('ix_snap_feedetl_mdtrt')} ON f.snapshot_id = m.snapshot_id AND f.mdtrt_id = {q.plus('m.mdtrt_id')}
     WHERE m.snapshot_id = :s{chunk} AND m.med_type = '21' AND m.fixmedins_code = :c
       AND m.begntime < :w1 AND COALESCE(m.endtime, :v) >= :w0
       AND f.fee_ocur_time >= {q.greatest(':w0', "substr(m.begntime, 1, 10) || ' 00:00:00'")}
       AND f.fee_ocur_time < {q.least(':w1', q.next_day('COALESCE(m.endtime, :v)') + " || ' 00:00:00'")}
     GROUP BY m.mdtrt_id, substr(f.fee_ocur_time, 1, 10)
    HAVING SUM({other}) = 0) days) islands
 GROUP BY v, island HAVING COUNT(*) >= :k
 ORDER BY {q.binary('v')}, MIN(d)
"""


SQL = sql(LOCAL_SQL)


def screen(conn, ctx: ScreeningContext) -> Iterator[LeadResult]:
    """Stays with a run of >= bed_only_days consecutive bed-only days; amount = fees of those days."""
    threshold = setting_int(ctx, "bed_only_days")
    cur = raw_cursor(conn)
    statement = sql(ctx.sql)
    params = {"s": ctx.snapshot_id, "c": ctx.fixmedins_code, "w0": ctx.w0, "w1": ctx.w1, "v": ctx.v, "k": threshold}
    for a, b in visit_chunks(cur, ctx) if ctx.sql.local else [("", "")]:
        ctx.progress.check()
        yield from leads(cur.execute(statement, {**params, "a": a, "b": b}).fetchall(), ctx)


def leads(runs_found: list[tuple], ctx: ScreeningContext) -> Iterator[LeadResult]:
    """The leads of the query's rows (visit, first day, last day, days, amount), ordered by visit."""
    threshold = setting_int(ctx, "bed_only_days")
    n = 0
    for visit, rows in groupby(runs_found, key=lambda r: r[0]):
        n += 1
        if n % 500 == 0:
            ctx.progress.check()
        runs = [(a, b, int(k), t) for _, a, b, k, t in rows]
        total = sum(r[3] for r in runs)
        amount = round_cents(scaled(total, 2))
        days = sum(r[2] for r in runs)
        yield LeadResult(
            rule="S8",
            key=[visit],
            amount=amount,
            figures={"mdtrt_id": visit, "bed_only_days": days, "threshold": threshold,
                     "run_days": [d for a, b, _, _ in runs for d in _days(a, b)],
                     "runs": [{"from": a, "to": b, "days": k, "amount": money(scaled(t, 2))} for a, b, k, t in runs]},
            summary=zh(SUMMARY, visit=visit, days=days, runs=len(runs), threshold=threshold,
                       spans=", ".join(f"{a}..{b}" for a, b, _, _ in runs), amount=money(amount)),
        )


def _days(first: str, last: str) -> list[str]:
    a, b = date.fromisoformat(first).toordinal(), date.fromisoformat(last).toordinal()
    return [date.fromordinal(o).isoformat() for o in range(a, b + 1)]
