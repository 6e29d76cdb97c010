"""The drug ledger walk shared by S6 and S7: opening count, then movements in time order.

The opening of a drug is its latest `drug_inv` on or before W0's date, at 00:00 of that day
(none: 0 at W0). One SQL stream, ordered by (drug, time, kind), carries every movement batch
from the opening up to W1 (kind 1: purchases minus purchase returns minus sales plus sales
returns, summed per timestamp, so simultaneous movements apply together; rows before the
drug's opening are dropped) and every declared count after the opening (kind 0, at 00:00 of
its date, with a zero movement). A count sorts
before a movement at 00:00:00 of its day, so that movement comes after it. Per drug the
running balance is an `accumulate` over its batches; only one drug is in memory at a time.
"""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from itertools import accumulate, groupby
from operator import itemgetter

from inspector.screening.base import LOCAL_SQL, RuleSQL, ScreeningContext, raw_cursor, table_bounds

def openings_sql(q: RuleSQL) -> str:
    """Each drug's opening count, in dialect `q`."""
    return f"""
SELECT i.med_list_codg, i.invdate, i.inv_cnt
  FROM snap_drug_inv i{q.indexed('sqlite_autoindex_snap_drug_inv_1')}
 WHERE i.snapshot_id = :s AND i.fixmedins_code = :c AND i.invdate <= :d0
   AND NOT EXISTS (SELECT 1 FROM snap_drug_inv j{q.indexed('sqlite_autoindex_snap_drug_inv_1')}
                    WHERE j.snapshot_id = :s AND j.fixmedins_code = :c AND j.med_list_codg = i.med_list_codg
                      AND j.invdate > i.invdate AND j.invdate <= :d0)
"""


OPENINGS_SQL = openings_sql(LOCAL_SQL)


def stream_sql(q: RuleSQL) -> str:
    """The movement stream, in dialect `q`."""
    return f"""
SELECT g, t, kind, SUM(v), MAX(declared) FROM (
    SELECT med_list_codg AS g, invdate || ' 00:00:00' AS t, 0 AS kind, 0 AS v, inv_cnt AS declared
      FROM snap_drug_inv{q.indexed('sqlite_autoindex_snap_drug_inv_1')}
     WHERE snapshot_id = :s AND fixmedins_code = :c AND invdate > :d0 AND invdate < :d1
    UNION ALL
    SELECT med_list_codg, purc_time, 1, CASE WHEN retn_flag = '1' THEN -purc_cnt ELSE purc_cnt END, NULL
      FROM snap_drug_purc{q.indexed('ix_snap_purc_drug')} WHERE snapshot_id = :s AND fixmedins_code = :c AND purc_time < :w1
    UNION ALL
    SELECT med_list_codg, sel_retn_time, 1, CASE WHEN retn_flag = '1' THEN sel_retn_cnt ELSE -sel_retn_cnt END, NULL
      FROM snap_drug_sel{q.not_indexed}
     WHERE {q.scan(lo='slo', hi='shi')} AND fixmedins_code = :c AND sel_retn_time < :w1) u
GROUP BY g, t, kind
ORDER BY {q.binary('g')}, t, kind
"""


STREAM_SQL = stream_sql(LOCAL_SQL)


@dataclass
class DrugWalk:
    """One drug's ledger over [opening, W1): quantities in 1/100 units."""

    code: str
    opening_date: str | None          # None: no count on or before W0 (opening 0 at W0)
    opening_cnt: int
    lowest: int                       # lowest running balance from the opening on
    lowest_time: str                  # when it was first reached
    counts: list[tuple[str, int, int]] = field(default_factory=list)  # (invdate, declared, expected)


def walk_drugs(conn, ctx: ScreeningContext) -> Iterator[DrugWalk]:
    """Every drug of the institution's ledgers, in code order, walked up to W1.

    The per-drug summaries (not the movements) are kept on the context once walked, so S6
    and S7 in one run share one walk."""
    if "ledger" in ctx.cache:
        yield from ctx.cache["ledger"]
        return
    walked: list[DrugWalk] = []
    for w in _walk_all(conn, ctx):
        walked.append(w)
        yield w
    ctx.cache["ledger"] = walked


def _walk_all(conn, ctx: ScreeningContext) -> Iterator[DrugWalk]:
    cur = raw_cursor(conn)
    params = {"s": ctx.snapshot_id, "c": ctx.fixmedins_code, "w0": ctx.w0, "d0": ctx.d0, "w1": ctx.w1,
              "d1": ctx.d1_excl}
    # Openings: one row per drug that has one (a few per drug at most).
    openings = {g: (d, n) for g, d, n in cur.execute(openings_sql(ctx.sql), params)}
    slo, shi = table_bounds(cur, ctx, "snap_drug_sel") if ctx.sql.local else (0, -1)
    cur.execute(stream_sql(ctx.sql), {**params, "slo": slo, "shi": shi})
    n = 0
    for code, rows in groupby(_rows(cur), key=itemgetter(0)):
        n += 1
        if n % 100 == 0:
            ctx.progress.check()
        yield _walk(code, list(rows), openings.pop(code, None), ctx)
    for code in sorted(openings):      # drugs with an opening count and nothing after it
        yield _walk(code, [], openings[code], ctx)


def _rows(cur):
    while batch := cur.fetchmany(20000):
        yield from batch


def _walk(code: str, rows: list[tuple], opening: tuple[str, int] | None, ctx: ScreeningContext) -> DrugWalk:
    od, oc = opening if opening else (None, 0)
    start = f"{od} 00:00:00" if od else ctx.w0
    k = 0
    while k < len(rows) and rows[k][1] < start:   # movements before the opening are not in the ledger
        k += 1
    if k:
        rows = rows[k:]
    balances = list(accumulate((r[3] for r in rows), initial=oc))   # balances[i + 1]: after rows[i]
    lowest = min(balances)
    i = balances.index(lowest)
    w = DrugWalk(code, od, oc, lowest, rows[i - 1][1] if i else start)
    w.counts = [(r[1][:10], r[4], balances[k]) for k, r in enumerate(rows) if r[2] == 0]
    return w
