"""S7 Declared count differs from the ledger (盘存不符)."""
from __future__ import annotations

from collections.abc import Iterator
from fractions import Fraction

from inspector.i18n import N_
from inspector.screening.base import (LOCAL_SQL, LeadResult, RuleSQL, ScreeningContext, money, price_fraction, qty, exact_text, raw_cursor,
                                      round_cents, scaled, setting_fraction, zh)
from inspector.screening.ledger import walk_drugs

TITLE = N_("Declared count differs from the ledger")
SUMMARY = N_("Drug {drug} counted {declared} on {day}, the ledger expects {expected} (difference {difference}, "
             "tolerance {tolerance}); amount {amount} yuan")

def purchases_sql(q: RuleSQL) -> str:
    """One drug's purchases in the window, in dialect `q`."""
    return f"""
SELECT COALESCE(SUM(purc_cnt * purc_pric), 0), COALESCE(SUM(purc_cnt), 0)
  FROM snap_drug_purc{q.indexed('ix_snap_purc_drug')}
 WHERE snapshot_id = :s AND med_list_codg = :g AND fixmedins_code = :c AND retn_flag = '0'
   AND purc_time >= :w0 AND purc_time < :w1
"""


PURCHASES_SQL = purchases_sql(LOCAL_SQL)


def screen(conn, ctx: ScreeningContext) -> Iterator[LeadResult]:
    """Counts after the opening date and before W1 with |declared - expected| > max(1, tol x |expected|)."""
    tol = setting_fraction(ctx, "count_tolerance")
    cur = raw_cursor(conn)
    for w in walk_drugs(conn, ctx):
        avg: Fraction | None = None
        priced = False
        for day, declared, expected in w.counts:
            diff = declared - expected                     # 1/100 units
            allowed = max(Fraction(1), tol * scaled(abs(expected), 2))
            if not scaled(abs(diff), 2) > allowed:
                continue
            if not priced:
                amt, q = cur.execute(purchases_sql(ctx.sql), {"s": ctx.snapshot_id, "g": w.code, "c": ctx.fixmedins_code,
                                                              "w0": ctx.w0, "w1": ctx.w1}).fetchone()
                avg = scaled(amt, 6) / scaled(q, 2) if q else None
                priced = True
            amount = round_cents(scaled(abs(diff), 2) * avg) if avg is not None else round_cents(0)
            yield LeadResult(
                rule="S7",
                key=[w.code, day],
                amount=amount,
                figures={"med_list_codg": w.code, "invdate": day, "declared": qty(declared), "expected": qty(expected),
                         "difference": qty(diff), "tolerance": exact_text(allowed),
                         "count_tolerance": str(ctx.settings["count_tolerance"]),
                         "avg_purchase_price": price_fraction(avg) if avg is not None else None},
                summary=zh(SUMMARY, drug=w.code, declared=qty(declared), day=day, expected=qty(expected),
                           difference=qty(diff), tolerance=exact_text(allowed), amount=money(amount)),
            )
