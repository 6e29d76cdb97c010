"""Set-based forms of the heaviest rules on a PostgreSQL central: one query for the whole region.

A rule's own query (`inspector.screening`) runs per institution under CTEs that present the
institution's slice as snapshot tables in the snapshot's normalised form (times as contract
text, decimals as scaled integers). For the rules that read most rows (S8 over every inpatient
fee line, S6/S7 over every drug movement) that costs seconds per hospital: the times cast to
text cannot use an index or be estimated, and the per-institution plans repeat the slice's
visit lookup. Here the same computations are written once over the contract tables, for every
institution at once (GROUP BY / PARTITION BY fixmedins_code), comparing the columns in their
own types (sargable), and the results are handed to the rules' own Python per institution.

Equivalence with the slice (`inspector.sync.slice`), which the ranking test checks against
`sync` + `screen` per institution:
  - S8 reads inpatient stays (med_type '21') overlapping the window: each is in its institution's
    slice by the slice's window condition; its fee lines are those of its institution inside
    the window. Times compare as timestamps: the contract has whole seconds, for which the
    text order of 'YYYY-MM-DD HH:MM:SS' is the time order.
  - the drug ledger (`inspector.screening.ledger`): the opening of a drug is its latest count on
    or before W0's date; movements from the opening's date (or W0's) up to W1, summed per
    (drug, time, kind); counts inside the window. The running balance, its lowest value and
    when it was first reached, and the expected balance at each count are computed with window
    functions; only one row per drug and one per count come back.
"""
from __future__ import annotations

from collections import defaultdict
from typing import Any

from inspector.screening.ledger import DrugWalk

# Scaled integers exactly as the slice normalises them (`inspector.sync.slice._expr`).
_FEE = "(f.det_item_fee_sumamt * 100)::bigint"

S8_SQL = f"""
SELECT c, v, to_char(MIN(d), 'YYYY-MM-DD'), to_char(MAX(d), 'YYYY-MM-DD'), COUNT(*), SUM(amt) FROM (
  SELECT c, v, d, amt, (d - DATE '2000-01-01') - ROW_NUMBER() OVER (PARTITION BY v ORDER BY d) AS island FROM (
    SELECT m.fixmedins_code AS c, m.mdtrt_id AS v, CAST(f.fee_ocur_time AS date) AS d, SUM({_FEE}) AS amt
      FROM mdtrt m
      JOIN feedetl f ON f.mdtrt_id = m.mdtrt_id AND f.fixmedins_code = m.fixmedins_code
     WHERE m.med_type = '21'
       AND m.begntime < %(w1)s::timestamp AND COALESCE(m.endtime, %(v)s::timestamp) >= %(w0)s::timestamp
       AND f.fee_ocur_time >= %(w0)s::timestamp AND f.fee_ocur_time < %(w1)s::timestamp
       AND f.fee_ocur_time >= date_trunc('day', m.begntime)
       AND f.fee_ocur_time < date_trunc('day', COALESCE(m.endtime, %(v)s::timestamp)) + interval '1 day'
     GROUP BY m.fixmedins_code, m.mdtrt_id, CAST(f.fee_ocur_time AS date)
    HAVING SUM(CASE WHEN f.med_chrgitm_type NOT IN ('01', '07') THEN 1 ELSE 0 END) = 0) days) islands
 GROUP BY c, v, island HAVING COUNT(*) >= %(k)s
 ORDER BY c, v COLLATE "C", MIN(d)
"""

OPENINGS_SQL = """
SELECT DISTINCT ON (fixmedins_code, med_list_codg) fixmedins_code, med_list_codg, to_char(invdate, 'YYYY-MM-DD'),
       (inv_cnt * 100)::bigint
  FROM drug_inv WHERE invdate <= %(d0)s::date
 ORDER BY fixmedins_code, med_list_codg, invdate DESC
"""

def _movements(table: str, alias: str, time: str, qty: str, sign: str) -> str:
    """A ledger table's movements from each drug's opening date (or W0's) up to W1: the rows on or
    after W0's date, plus those from an earlier opening date (`op`), each bound index friendly."""
    q = f"CASE WHEN {alias}.retn_flag = '1' THEN {sign}({alias}.{qty} * 100)::bigint ELSE {'-' if not sign else ''}({alias}.{qty} * 100)::bigint END"
    cols = f"{alias}.fixmedins_code, {alias}.med_list_codg, {alias}.{time}, 1, {q}, NULL::bigint"
    return (f"SELECT {cols} FROM {table} {alias} WHERE {alias}.{time} >= %(d0)s::date AND {alias}.{time} < %(w1)s::timestamp\n"
            f"      UNION ALL\n"
            # OFFSET 0 keeps the lateral subquery a parameterised index range scan per opening
            # (usually empty: a count on W0's date), where a join was planned as a scan of the table.
            f"      SELECT x.* FROM op CROSS JOIN LATERAL (SELECT {cols} FROM {table} {alias}\n"
            f"         WHERE {alias}.fixmedins_code = op.c AND {alias}.{time} >= op.od AND {alias}.{time} < %(d0)s::date\n"
            f"           AND {alias}.med_list_codg = op.g OFFSET 0) x")


# The partitions are sorted by a 64-bit hash of (institution, drug) first, then the two codes
# themselves (so equal hashes never merge drugs): sorting 3 M movements on an integer first key
# took 30 s where the text keys took 41 s (measured, load 6).
# Per drug of each institution, the running balance relative to the opening count (a window SUM
# whose RANGE frame applies simultaneous movements together, as the walk's per-timestamp sums do),
# its minimum, and the rows that reach it or are counts: one group per (drug, count date or none).
LEDGER_SQL = f"""
WITH op AS (
  SELECT DISTINCT ON (fixmedins_code, med_list_codg) fixmedins_code AS c, med_list_codg AS g, invdate AS od
    FROM drug_inv WHERE invdate <= %(d0)s::date
   ORDER BY fixmedins_code, med_list_codg, invdate DESC)
SELECT c, g, to_char(CASE WHEN kind = 0 THEN t END, 'YYYY-MM-DD'),
       to_char(MIN(t) FILTER (WHERE b = mb), 'YYYY-MM-DD HH24:MI:SS'), MIN(mb), MIN(b), MAX(declared)
  FROM (SELECT c, g, t, kind, declared, b, MIN(b) OVER (PARTITION BY h, c, g) AS mb
          FROM (SELECT h, c, g, t, kind, declared,
                       SUM(q) OVER (PARTITION BY h, c, g ORDER BY t, kind RANGE UNBOUNDED PRECEDING) AS b
                  FROM (SELECT hashtextextended(c || chr(31) || g, 0) AS h, * FROM (
                        SELECT i.fixmedins_code AS c, i.med_list_codg AS g, CAST(i.invdate AS timestamp) AS t,
                               0 AS kind, 0::bigint AS q, (i.inv_cnt * 100)::bigint AS declared
                          FROM drug_inv i WHERE i.invdate > %(d0)s::date AND i.invdate < %(d1)s::date
                        UNION ALL
                        {_movements("drug_purc", "p", "purc_time", "purc_cnt", "-")}
                        UNION ALL
                        {_movements("drug_sel", "s", "sel_retn_time", "sel_retn_cnt", "")}) u0) u) running) marked
 WHERE b = mb OR kind = 0
 GROUP BY c, g, CASE WHEN kind = 0 THEN t END
"""
# The ledger's one sort holds every movement of the region (3 M rows for 30 institutions): in
# memory it takes a third of the time of an external merge (measured). Set for that query only.
LEDGER_WORK_MEM = "768MB"


def region_s8(cur, params: dict[str, Any], threshold: int) -> dict[str, list[tuple]]:
    """S8's query rows (visit, first day, last day, days, amount) per institution, in the rule's order."""
    cur.execute(S8_SQL, {**params, "k": threshold})
    out: dict[str, list[tuple]] = defaultdict(list)
    for c, *row in cur.fetchall():
        out[c].append(tuple(int(x) if i >= 3 else x for i, x in enumerate(row)))
    return out


def region_ledgers(cur, params: dict[str, Any], work_mem: str) -> dict[str, list[DrugWalk]]:
    """Every institution's drug walks (`inspector.screening.ledger.walk_drugs`), drugs in code order."""
    w0 = params["w0"]
    cur.execute(OPENINGS_SQL, params)
    openings = {(c, g): (od, int(oc)) for c, g, od, oc in cur.fetchall()}
    cur.execute("SELECT set_config('work_mem', %(wm)s, true)", {"wm": LEDGER_WORK_MEM})
    cur.execute(LEDGER_SQL, params)
    found = cur.fetchall()
    cur.execute("SELECT set_config('work_mem', %(wm)s, true)", {"wm": work_mem})
    lowest: dict[tuple[str, str], tuple[int, str]] = {}          # relative to the opening count
    counts: dict[tuple[str, str], list[tuple[str, int, int]]] = defaultdict(list)
    for c, g, count_day, t_min, mb, b, declared in found:
        low = lowest.get((c, g))
        if t_min is not None and (low is None or t_min < low[1]):
            lowest[(c, g)] = (int(mb), t_min)
        if count_day is not None:
            counts[(c, g)].append((count_day, int(declared), int(b)))
    out: dict[str, list[DrugWalk]] = defaultdict(list)
    for c, g in sorted(set(lowest) | set(openings), key=lambda k: (k[0].encode(), k[1].encode())):
        od, oc = openings.get((c, g), (None, 0))
        start = f"{od} 00:00:00" if od else w0
        mb, t_min = lowest.get((c, g), (0, start))
        # The walk's first minimum of [opening, balances...]: the opening itself on a tie.
        w = DrugWalk(g, od, oc, oc + mb, t_min) if mb < 0 else DrugWalk(g, od, oc, oc, start)
        w.counts = sorted((day, declared, oc + b) for day, declared, b in counts.get((c, g), []))
        out[c].append(w)
    return out
