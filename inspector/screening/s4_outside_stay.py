"""S4 Charges outside the stay (住院期外收费): lines before admission or after discharge."""
from __future__ import annotations

from collections.abc import Iterator

from inspector.i18n import N_
from inspector.screening.base import LOCAL_SQL, LeadResult, RuleSQL, ScreeningContext, money, raw_cursor, round_cents, scaled, zh

TITLE = N_("Charges outside the stay")
SUMMARY = N_("Stay {visit} ({begin} to {end}): {lines} lines billed outside the stay "
             "({before} before admission, {after} after discharge); amount {amount} yuan")

# Two range scans of ix_snap_feedetl_mdtrt per inpatient stay: before begntime, after endtime.
# A line counts once: "after discharge" takes only lines not already before admission, which
# matters when a stay's begntime is after its endtime (bad data that exists). The unary `+`
# keeps the second scan's range on (endtime, W1) whatever the statistics say.
def sql(q: RuleSQL) -> str:
    """The query of S4 in dialect `q`."""
    return f"""
SELECT mdtrt_id, begntime, endtime, SUM(b), SUM(a), SUM(n), SUM(amt) FROM (
    SELECT m.mdtrt_id, m.begntime, m.endtime, COUNT(*) AS n, COUNT(*) AS b, 0 AS a,
           SUM(f.det_item_fee_sumamt) AS amt
      FROM snap_mdtrt m{q.indexed('ix_snap_mdtrt_type_begn')}
     {q.cross} snap_feedetl f{q.indexed('ix_snap_feedetl_mdtrt')} ON f.snapshot_id = m.snapshot_id AND f.mdtrt_id = m.mdtrt_id
     WHERE m.snapshot_id = :s AND m.med_type = '21'
       AND f.fee_ocur_time < m.begntime AND f.fee_ocur_time >= :w0 AND f.fee_ocur_time < :w1
     GROUP BY m.mdtrt_id, m.begntime, m.endtime
    UNION ALL
    SELECT m.mdtrt_id, m.begntime, m.endtime, COUNT(*), 0, COUNT(*), SUM(f.det_item_fee_sumamt)
      FROM snap_mdtrt m{q.indexed('ix_snap_mdtrt_type_begn')}
     {q.cross} snap_feedetl f{q.indexed('ix_snap_feedetl_mdtrt')} ON f.snapshot_id = m.snapshot_id AND f.mdtrt_id = m.mdtrt_id
     WHERE m.snapshot_id = :s AND m.med_type = '21' AND m.endtime IS NOT NULL
       AND f.fee_ocur_time > m.endtime AND f.fee_ocur_time < :w1
       AND {q.plus('f.fee_ocur_time')} >= :w0 AND {q.plus('f.fee_ocur_time')} >= m.begntime
     GROUP BY m.mdtrt_id, m.begntime, m.endtime) u
GROUP BY mdtrt_id, begntime, endtime ORDER BY {q.binary('mdtrt_id')}
"""


SQL = sql(LOCAL_SQL)


def screen(conn, ctx: ScreeningContext) -> Iterator[LeadResult]:
    """Inpatient visits with window lines before begntime or after a recorded endtime."""
    cur = raw_cursor(conn)
    cur.execute(sql(ctx.sql), {"s": ctx.snapshot_id, "w0": ctx.w0, "w1": ctx.w1})
    yield from leads(cur.fetchall(), ctx)


def leads(rows: list[tuple], ctx: ScreeningContext) -> Iterator[LeadResult]:
    """The leads of the query's rows (visit, begin, end, lines before, after, lines, amount)."""
    for visit, begin, end, before, after, lines, total in rows:
        amount = round_cents(scaled(total, 2))
        yield LeadResult(
            rule="S4",
            key=[visit],
            amount=amount,
            figures={"mdtrt_id": visit, "begntime": begin, "endtime": end, "lines": lines,
                     "lines_before": before, "lines_after": after},
            summary=zh(SUMMARY, visit=visit, begin=begin, end=end or "—", lines=lines, before=before, after=after,
                       amount=money(amount)),
        )
