"""S1 Split admission (分解住院): readmission within `readmission_days` of a discharge."""
from __future__ import annotations

from collections.abc import Iterator

from inspector.i18n import N_
from inspector.screening.base import LOCAL_SQL, LeadResult, RuleSQL, ScreeningContext, day_diff, money, raw_cursor, round_cents, scaled, setting_int, zh

TITLE = N_("Split admission")
SUMMARY = N_("Stay {prev} discharged {prev_end}, stay {next} admitted {next_begin}, {gap} days later "
             "({severity}); fees of the later stay in the window {amount} yuan")
SEVERITY = {"high": N_("high"), "medium": N_("medium")}

# For every discharged inpatient stay `p`: the person's first other inpatient stay beginning
# at or after p's discharge, by (begntime, mdtrt_id) (`_next_stays`). In the store the plan is
# pinned (INDEXED BY, CROSS JOIN for the order): p by type, then the person's stays by psn_no
# equality through ix_snap_mdtrt_psn, never a begntime range over the hospital (see plans.py);
# on a central it is a hash join on psn_no.
def sql(q: RuleSQL) -> str:
    """The query of S1 in dialect `q`."""
    return f"""
SELECT p.mdtrt_id, p.endtime, COALESCE(r.dscg_maindiag_codg, p.adm_diag_codg),
       n.mdtrt_id, n.begntime, n.adm_diag_codg,
       (SELECT COALESCE(SUM(f.det_item_fee_sumamt), 0) FROM snap_feedetl f{q.indexed('ix_snap_feedetl_mdtrt')}
         WHERE f.snapshot_id = :s AND f.mdtrt_id = n.mdtrt_id
           AND f.fee_ocur_time >= :w0 AND f.fee_ocur_time < :w1)
FROM ({_next_stays(q)}) k
{q.cross} snap_mdtrt p{q.indexed('sqlite_autoindex_snap_mdtrt_1')} ON p.snapshot_id = :s AND p.mdtrt_id = k.pid
{q.cross} snap_mdtrt n{q.indexed('sqlite_autoindex_snap_mdtrt_1')} ON n.snapshot_id = :s AND n.mdtrt_id = k.nid
LEFT JOIN snap_medrcd r{q.indexed('sqlite_autoindex_snap_medrcd_1')} ON r.snapshot_id = :s AND r.mdtrt_id = p.mdtrt_id
WHERE n.begntime >= :w0 AND n.begntime < :w1
  AND {q.daynum('n.begntime')} - {q.daynum('p.endtime')} <= :days
ORDER BY {q.binary('p.mdtrt_id')}
"""


def _next_stays(q: RuleSQL) -> str:
    """(pid, nid): each discharged inpatient stay and the person's first other inpatient stay
    beginning at or after its discharge, by (begntime, mdtrt_id). In the store one correlated
    lookup per stay, which reads the person's stays in begntime order and stops at the first
    (linear in the stays; numbering every later stay of the person, as a window would, grows
    with the square of a person's stays); on a central a window over the pairs (a hash join)."""
    if q.local:
        return f"""SELECT p.mdtrt_id AS pid,
                (SELECT x.mdtrt_id FROM snap_mdtrt x{q.indexed('ix_snap_mdtrt_psn')}
                  WHERE x.snapshot_id = :s AND x.psn_no = p.psn_no AND x.begntime >= p.endtime
                    AND x.med_type = '21' AND x.fixmedins_code = :c AND x.mdtrt_id <> p.mdtrt_id
                  ORDER BY x.begntime, x.mdtrt_id LIMIT 1) AS nid
           FROM snap_mdtrt p{q.indexed('ix_snap_mdtrt_type_begn')}
          WHERE p.snapshot_id = :s AND p.med_type = '21' AND p.fixmedins_code = :c AND p.endtime IS NOT NULL
          LIMIT -1"""
    return f"""SELECT pid, nid FROM (
        SELECT p.mdtrt_id AS pid, x.mdtrt_id AS nid,
             ROW_NUMBER() OVER (PARTITION BY p.mdtrt_id ORDER BY x.begntime, {q.binary('x.mdtrt_id')}) AS rn
        FROM snap_mdtrt p
        JOIN snap_mdtrt x
             ON x.snapshot_id = :s AND x.psn_no = p.psn_no AND x.begntime >= p.endtime
            AND x.med_type = '21' AND x.fixmedins_code = :c AND x.mdtrt_id <> p.mdtrt_id
       WHERE p.snapshot_id = :s AND p.med_type = '21' AND p.fixmedins_code = :c AND p.endtime IS NOT NULL) w
       WHERE rn = 1"""


SQL = sql(LOCAL_SQL)


def same_group(a: str | None, b: str | None) -> bool:
    """Whether two ICD-10 codes share their first three characters (missing codes never do)."""
    return bool(a) and bool(b) and a.strip()[:3].upper() == b.strip()[:3].upper()


def screen(conn, ctx: ScreeningContext) -> Iterator[LeadResult]:
    """Pairs (prev, next) of one person's stays with next admitted 0..readmission_days days after prev."""
    days = setting_int(ctx, "readmission_days")
    cur = raw_cursor(conn)
    cur.execute(sql(ctx.sql), {"s": ctx.snapshot_id, "c": ctx.fixmedins_code, "w0": ctx.w0, "w1": ctx.w1, "days": days})
    for prev_id, prev_end, prev_diag, next_id, next_begin, next_diag, fees in cur:
        gap = day_diff(next_begin, prev_end)
        if not 0 <= gap <= days:  # already filtered in SQL; exact check on dates here
            continue
        severity = "high" if same_group(next_diag, prev_diag) else "medium"
        amount = round_cents(scaled(fees, 2))
        yield LeadResult(
            rule="S1",
            key=[prev_id, next_id],
            amount=amount,
            severity=severity,
            figures={"prev_mdtrt_id": prev_id, "next_mdtrt_id": next_id, "prev_endtime": prev_end,
                     "next_begntime": next_begin, "gap_days": gap, "readmission_days": days,
                     "prev_diag_codg": prev_diag, "next_adm_diag_codg": next_diag, "severity": severity},
            summary=zh(SUMMARY, prev=prev_id, prev_end=prev_end, next=next_id, next_begin=next_begin, gap=gap,
                       severity=zh(SEVERITY[severity]), amount=money(amount)),
        )
