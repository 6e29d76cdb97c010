"""S9 Overlapping stays (重叠住院): one person in two inpatient stays at once."""
from __future__ import annotations

from collections.abc import Iterator

from inspector.i18n import N_
from inspector.screening.base import LOCAL_SQL, LeadResult, RuleSQL, ScreeningContext, money, raw_cursor, round_cents, scaled, zh

TITLE = N_("Overlapping stays")
SUMMARY = N_("Stays {earlier} and {later} of the same person overlap from {start} to {end}; "
             "fees of the later stay in the overlap {amount} yuan")

# Stays are half-open [begntime, endtime or V). Earlier/later by (begntime, mdtrt_id); the
# overlap [later.begntime, min(ends)) must be non-empty and meet [W0, W1). The plan is pinned
# (INDEXED BY, CROSS JOIN): each stay `a` by type, then the same person's later stays by
# psn_no equality and a begntime range inside that person's stays (see plans.py).
def sql(q: RuleSQL) -> str:
    """The query of S9 in dialect `q`."""
    return f"""
SELECT e, l, ob, oe,
       (SELECT COALESCE(SUM(f.det_item_fee_sumamt), 0) FROM snap_feedetl f{q.indexed('ix_snap_feedetl_mdtrt')}
         WHERE f.snapshot_id = :s AND f.mdtrt_id = l
           AND f.fee_ocur_time >= {q.greatest('ob', ':w0')} AND f.fee_ocur_time < {q.least('oe', ':w1')})
FROM (
    SELECT a.mdtrt_id AS e, b.mdtrt_id AS l, b.begntime AS ob,
           {q.least('COALESCE(a.endtime, :v)', 'COALESCE(b.endtime, :v)')} AS oe
      FROM snap_mdtrt a{q.indexed('ix_snap_mdtrt_type_begn')}
     {q.cross} snap_mdtrt b{q.indexed('ix_snap_mdtrt_psn')} ON b.snapshot_id = a.snapshot_id AND b.psn_no = a.psn_no
                       AND b.begntime >= a.begntime AND b.begntime < COALESCE(a.endtime, :v)
     WHERE a.snapshot_id = :s AND a.med_type = '21' AND a.begntime < :w1 AND a.fixmedins_code = :c
       AND b.med_type = '21' AND b.fixmedins_code = :c
       AND (b.begntime > a.begntime OR {q.binary('b.mdtrt_id')} > {q.binary('a.mdtrt_id')})) o
WHERE ob < oe AND ob < :w1 AND oe > :w0
ORDER BY {q.binary('e')}, {q.binary('l')}
"""


SQL = sql(LOCAL_SQL)


def screen(conn, ctx: ScreeningContext) -> Iterator[LeadResult]:
    """Overlapping pairs (earlier, later); amount = fees of the later stay inside the overlap (and window)."""
    cur = raw_cursor(conn)
    cur.execute(sql(ctx.sql), {"s": ctx.snapshot_id, "c": ctx.fixmedins_code, "w0": ctx.w0, "w1": ctx.w1, "v": ctx.v})
    for earlier, later, start, end, fees in cur.fetchall():
        amount = round_cents(scaled(fees, 2))
        yield LeadResult(
            rule="S9",
            key=[earlier, later],
            amount=amount,
            figures={"earlier_mdtrt_id": earlier, "later_mdtrt_id": later, "overlap_from": start, "overlap_to": end},
            summary=zh(SUMMARY, earlier=earlier, later=later, start=start, end=end, amount=money(amount)),
        )
