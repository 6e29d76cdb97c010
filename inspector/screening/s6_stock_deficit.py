"""S6 Sales beyond stock (进销存倒挂): the running drug balance goes below zero."""
from __future__ import annotations

from collections.abc import Iterator

from inspector.i18n import N_
from inspector.screening.base import (LOCAL_SQL, LeadResult, RuleSQL, ScreeningContext, money, price_fraction, qty, raw_cursor, round_cents,
                                      scaled, zh)
from inspector.screening.ledger import walk_drugs

TITLE = N_("Sales beyond stock")
SUMMARY = N_("Drug {drug}: the ledger balance fell to {lowest} at {when} (opening {opening}); "
             "shortfall {shortfall}; amount {amount} yuan")

def sales_sql(q: RuleSQL) -> str:
    """One drug's sales in the window, in dialect `q`."""
    return f"""
SELECT COALESCE(SUM(sel_retn_cnt * pric), 0), COALESCE(SUM(sel_retn_cnt), 0)
  FROM snap_drug_sel{q.indexed('ix_snap_sel_drug')}
 WHERE snapshot_id = :s AND med_list_codg = :g AND fixmedins_code = :c AND retn_flag = '0'
   AND sel_retn_time >= :w0 AND sel_retn_time < :w1
"""


SALES_SQL = sales_sql(LOCAL_SQL)


def screen(conn, ctx: ScreeningContext) -> Iterator[LeadResult]:
    """Drugs whose balance goes below 0; amount = shortfall x window sales amount / sales quantity."""
    cur = raw_cursor(conn)
    for w in walk_drugs(conn, ctx):
        if w.lowest >= 0:
            continue
        sales_amount, sales_qty = cur.execute(
            sales_sql(ctx.sql), {"s": ctx.snapshot_id, "g": w.code, "c": ctx.fixmedins_code, "w0": ctx.w0,
                                 "w1": ctx.w1}).fetchone()
        shortfall = -w.lowest
        if sales_qty:
            avg = scaled(sales_amount, 6) / scaled(sales_qty, 2)
            amount = round_cents(scaled(shortfall, 2) * avg)
        else:
            avg, amount = None, round_cents(0)
        opening = f"{qty(w.opening_cnt)} @ {w.opening_date}" if w.opening_date else "0"
        yield LeadResult(
            rule="S6",
            key=[w.code],
            amount=amount,
            figures={"med_list_codg": w.code, "opening_date": w.opening_date, "opening_cnt": qty(w.opening_cnt),
                     "lowest_balance": qty(w.lowest), "lowest_time": w.lowest_time, "shortfall": qty(shortfall),
                     "sales_qty": qty(sales_qty), "sales_amount": money(scaled(sales_amount, 6)),
                     "avg_sale_price": price_fraction(avg) if avg is not None else None},
            summary=zh(SUMMARY, drug=w.code, lowest=qty(w.lowest), when=w.lowest_time, opening=opening,
                       shortfall=qty(shortfall), amount=money(amount)),
        )
