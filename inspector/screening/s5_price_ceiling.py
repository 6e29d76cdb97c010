"""S5 Above the price ceiling (超限价收费): one lead per fee line priced above its ceiling."""
from __future__ import annotations

from collections.abc import Iterator

from inspector.i18n import N_
from inspector.screening.base import LOCAL_SQL, LeadResult, RuleSQL, ScreeningContext, fee_params, money, price, qty, raw_cursor, round_cents, scaled, zh

TITLE = N_("Above the price ceiling")
SUMMARY = N_("Line {sn} (visit {visit}, {item}, {time}): price {pric} above the ceiling {ceiling}, "
             "quantity {cnt}; amount {amount} yuan")

def sql(q: RuleSQL) -> str:
    """The query of S5 in dialect `q`."""
    return f"""
SELECT f.feedetl_sn, f.mdtrt_id, f.med_list_codg, f.fee_ocur_time, f.cnt, f.pric, m.pric_uplmt_amt
  FROM snap_feedetl f{q.not_indexed}
 {q.cross} snap_med_list m{q.indexed('sqlite_autoindex_snap_med_list_1')} ON m.snapshot_id = :s AND m.med_list_codg = f.med_list_codg
 WHERE {q.scan('f')} AND m.pric_uplmt_amt IS NOT NULL
   AND f.pric > m.pric_uplmt_amt
   AND f.fee_ocur_time >= :w0 AND f.fee_ocur_time < :w1
 ORDER BY {q.binary('f.feedetl_sn')}
"""


SQL = sql(LOCAL_SQL)


def screen(conn, ctx: ScreeningContext) -> Iterator[LeadResult]:
    """Lines with pric > pric_uplmt_amt; amount = (pric - ceiling) x cnt (negative for a reversal)."""
    cur = raw_cursor(conn)
    cur.execute(sql(ctx.sql), fee_params(cur, ctx))
    while rows := cur.fetchmany(5000):
        ctx.progress.check()
        for sn, visit, item, time, cnt, pric, ceiling in rows:
            amount = round_cents(scaled((pric - ceiling) * cnt, 6))
            yield LeadResult(
                rule="S5",
                key=[sn],
                amount=amount,
                figures={"feedetl_sn": sn, "mdtrt_id": visit, "med_list_codg": item, "fee_ocur_time": time,
                         "pric": price(pric), "ceiling": price(ceiling), "cnt": qty(cnt),
                         "excess_per_unit": price(pric - ceiling)},
                summary=zh(SUMMARY, sn=sn, visit=visit, item=item, time=time, pric=price(pric), ceiling=price(ceiling),
                           cnt=qty(cnt), amount=money(amount)),
            )
