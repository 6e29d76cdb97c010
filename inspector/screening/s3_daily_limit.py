"""S3 Over the daily quantity limit (超频次/重复收费): per visit, item and day."""
from __future__ import annotations

from collections.abc import Iterator

from inspector.i18n import N_
from inspector.screening.base import LOCAL_SQL, LeadResult, RuleSQL, ScreeningContext, fee_params, money, qty, raw_cursor, round_cents, scaled, visit_chunks, zh

TITLE = N_("Over the daily quantity limit")
SUMMARY = N_("Visit {visit}: {item} billed {q} on {day}, daily limit {limit} ({excess} over); amount {amount} yuan")

# Reversals (negative cnt) are included in q. In the store the query runs once per range of
# visits (`visit_chunks`, lines read through ix_snap_feedetl_mdtrt), so its GROUP BY sorts one
# range's lines at a time; ranges come in mdtrt_id order, so the leads do too.
def sql(q: RuleSQL) -> str:
    """The query of S3 in dialect `q`."""
    lines = (f"snap_feedetl f{q.indexed('ix_snap_feedetl_mdtrt')}\n     WHERE f.snapshot_id = :s AND f.mdtrt_id BETWEEN :a AND :b"
             if q.local else f"snap_feedetl f\n     WHERE {q.scan('f')}")
    return f"""
SELECT g.mdtrt_id, g.med_list_codg, g.d, g.q, g.a, m.daily_cnt_limit, g.n FROM (
    SELECT f.mdtrt_id, f.med_list_codg, substr(f.fee_ocur_time, 1, 10) AS d,
           SUM(f.cnt) AS q, SUM(f.det_item_fee_sumamt) AS a, COUNT(*) AS n
      FROM {lines}
       AND f.med_list_codg IN (SELECT med_list_codg FROM snap_med_list{q.indexed('sqlite_autoindex_snap_med_list_1')}
                                WHERE snapshot_id = :s AND daily_cnt_limit IS NOT NULL)
       AND f.fee_ocur_time >= :w0 AND f.fee_ocur_time < :w1
     GROUP BY f.mdtrt_id, f.med_list_codg, substr(f.fee_ocur_time, 1, 10)) g
{q.cross} snap_med_list m{q.indexed('sqlite_autoindex_snap_med_list_1')} ON m.snapshot_id = :s AND m.med_list_codg = g.med_list_codg
WHERE g.q > m.daily_cnt_limit
ORDER BY {q.binary('g.mdtrt_id')}, {q.binary('g.med_list_codg')}, g.d
"""


SQL = sql(LOCAL_SQL)


def screen(conn, ctx: ScreeningContext) -> Iterator[LeadResult]:
    """Leads where q = sum(cnt) > daily_cnt_limit; amount = excess x (sum of amounts / q)."""
    cur = raw_cursor(conn)
    statement = sql(ctx.sql)
    chunks = visit_chunks(cur, ctx) if ctx.sql.local else [("", "")]
    params = fee_params(cur, ctx)
    for a, b in chunks:
        ctx.progress.check()
        yield from leads(cur.execute(statement, {**params, "a": a, "b": b}).fetchall(), ctx)


def leads(rows: list[tuple], ctx: ScreeningContext) -> Iterator[LeadResult]:
    """The leads of the query's rows (visit, item, day, quantity, amount, limit, lines)."""
    for visit, item, day, q, total, limit, lines in rows:
        excess = q - limit                                   # scaled by 100, exact
        amount = round_cents(scaled(excess, 2) * scaled(total, 2) / scaled(q, 2))
        yield LeadResult(
            rule="S3",
            key=[visit, item, day],
            amount=amount,
            figures={"mdtrt_id": visit, "med_list_codg": item, "day": day, "q": qty(q), "limit": qty(limit),
                     "excess": qty(excess), "fee_total": money(scaled(total, 2)), "lines": lines},
            summary=zh(SUMMARY, visit=visit, item=item, q=qty(q), day=day, limit=qty(limit), excess=qty(excess),
                       amount=money(amount)),
        )
