"""S3 Over the daily quantity limit (超频次/重复收费): per visit, item and day."""
from __future__ import annotations

from collections.abc import Iterator

from inspector.i18n import N_
from inspector.screening.base import LOCAL_SQL, LeadResult, RuleSQL, ScreeningContext, fee_params, money, qty, raw_cursor, round_cents, scaled, zh

TITLE = N_("Over the daily quantity limit")
SUMMARY = N_("Visit {visit}: {item} billed {q} on {day}, daily limit {limit} ({excess} over); amount {amount} yuan")

# Reversals (negative cnt) are included in q.
def sql(q: RuleSQL) -> str:
    """The query of S3 in dialect `q`."""
    return f"""
SELECT g.mdtrt_id, g.med_list_codg, g.d, g.q, g.a, m.daily_cnt_limit, g.n FROM (
    SELECT f.mdtrt_id, f.med_list_codg, substr(f.fee_ocur_time, 1, 10) AS d,
           SUM(f.cnt) AS q, SUM(f.det_item_fee_sumamt) AS a, COUNT(*) AS n
      FROM snap_feedetl f{q.not_indexed}
     WHERE {q.scan('f')}
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
    cur.execute(sql(ctx.sql), fee_params(cur, ctx))
    yield from leads(cur.fetchall(), ctx)


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
