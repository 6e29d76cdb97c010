"""S2 Bed fees beyond approved beds (超床位收费): more visits billed a bed on a day than beds."""
from __future__ import annotations

from collections.abc import Iterator

from inspector.i18n import N_
from inspector.screening.base import LOCAL_SQL, LeadResult, RuleSQL, ScreeningContext, fee_params, money, raw_cursor, round_cents, scaled, zh

TITLE = N_("Bed fees beyond approved beds")
SUMMARY = N_("On {day} {n} visits were billed a bed against {beds} approved beds ({excess} too many); "
             "amount {amount} yuan")

# Per visit and day, the bed-fee lines ('01') in the window; a visit counts on a day when its
# quantity there adds up to more than zero (a charge and its reversal cancel out).
def sql(q: RuleSQL) -> str:
    """The query of S2 in dialect `q`."""
    return f"""
SELECT d, COUNT(*), SUM(a) FROM (
    SELECT substr(fee_ocur_time, 1, 10) AS d, SUM(cnt) AS q, SUM(det_item_fee_sumamt) AS a
      FROM snap_feedetl{q.not_indexed}
     WHERE {q.scan()} AND med_chrgitm_type = '01'
       AND fee_ocur_time >= :w0 AND fee_ocur_time < :w1
     GROUP BY mdtrt_id, substr(fee_ocur_time, 1, 10)) g
WHERE q > 0
GROUP BY d HAVING COUNT(*) > :beds
ORDER BY d
"""


SQL = sql(LOCAL_SQL)


def approved_beds(cur, ctx: ScreeningContext) -> int:
    row = cur.execute("SELECT aprv_bed_cnt FROM snap_fixmedins WHERE snapshot_id = :s AND fixmedins_code = :c",
                      {"s": ctx.snapshot_id, "c": ctx.fixmedins_code}).fetchone()
    return int(row[0]) if row else 0


def screen(conn, ctx: ScreeningContext) -> Iterator[LeadResult]:
    """Days D with n(D) > aprv_bed_cnt; amount = excess x (bed-fee total of D / n(D))."""
    cur = raw_cursor(conn)
    beds = approved_beds(cur, ctx)
    cur.execute(sql(ctx.sql), fee_params(cur, ctx, beds=beds))
    for day, n, total in cur.fetchall():
        excess = n - beds
        amount = round_cents(excess * scaled(total, 2) / n)
        yield LeadResult(
            rule="S2",
            key=[day],
            amount=amount,
            figures={"day": day, "n": n, "aprv_bed_cnt": beds, "excess": excess, "bed_fee_total": money(scaled(total, 2))},
            summary=zh(SUMMARY, day=day, n=n, beds=beds, excess=excess, amount=money(amount)),
        )
