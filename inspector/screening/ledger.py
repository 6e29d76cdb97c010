"""The drug ledger walk shared by S6 and S7: opening count, then movements in time order.

One SQL stream, ordered by (drug, time, kind), carries every declared count (kind 0, at
00:00 of its date) and every movement batch (kind 1: purchases minus purchase returns minus
sales plus sales returns, summed per timestamp so simultaneous movements apply together).
A count on a day sorts before a movement at 00:00:00 that day, so the movement comes after.
Only one drug's state is in memory at a time.
"""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from itertools import groupby

from inspector.screening.base import ScreeningContext, raw_cursor

STREAM_SQL = """
SELECT g, t, kind, SUM(v) FROM (
    SELECT med_list_codg AS g, invdate || ' 00:00:00' AS t, 0 AS kind, inv_cnt AS v
      FROM snap_drug_inv WHERE snapshot_id = :s AND fixmedins_code = :c AND invdate < :d1
    UNION ALL
    SELECT med_list_codg, purc_time, 1, CASE WHEN retn_flag = '1' THEN -purc_cnt ELSE purc_cnt END
      FROM snap_drug_purc WHERE snapshot_id = :s AND fixmedins_code = :c AND purc_time < :w1
    UNION ALL
    SELECT med_list_codg, sel_retn_time, 1, CASE WHEN retn_flag = '1' THEN sel_retn_cnt ELSE -sel_retn_cnt END
      FROM snap_drug_sel WHERE snapshot_id = :s AND fixmedins_code = :c AND sel_retn_time < :w1)
GROUP BY g, t, kind
ORDER BY g, t, kind
"""


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
    cur.execute(STREAM_SQL, {"s": ctx.snapshot_id, "c": ctx.fixmedins_code, "w1": ctx.w1, "d1": ctx.d1_excl})
    n = 0
    for code, rows in groupby(_rows(cur), key=lambda r: r[0]):
        n += 1
        if n % 200 == 0:
            ctx.progress.check()
        yield _walk(code, rows, ctx)


def _rows(cur):
    while batch := cur.fetchmany(10000):
        yield from batch


def _walk(code: str, rows, ctx: ScreeningContext) -> DrugWalk:
    w = DrugWalk(code, None, 0, 0, ctx.w0)
    balance = 0
    for _, t, kind, v in rows:
        if kind == 0:
            day = t[:10]
            if day <= ctx.d0:                      # a later opening replaces an earlier one
                w.opening_date, w.opening_cnt = day, v
                balance = w.lowest = v
                w.lowest_time = t
                w.counts.clear()
            else:
                w.counts.append((day, v, balance))
            continue
        if w.opening_date is None and t < ctx.w0:  # no opening count: the ledger starts at W0
            continue
        balance += v
        if balance < w.lowest:
            w.lowest, w.lowest_time = balance, t
    return w
