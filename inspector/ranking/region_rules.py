"""Set-based forms of the heaviest rules on a PostgreSQL central: one query for the whole region.

A rule's own query (`inspector.screening`) runs per institution under CTEs that present the
institution's slice as snapshot tables in the snapshot's normalised form (times as contract
text, decimals as scaled integers). For the rules that read most rows (S3 over the lines of
limited items, S4 and S8 over every inpatient fee line, S6/S7 over every drug movement) that costs seconds per hospital: the times cast to
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
  - S3 and S4 read the window's lines of every visit of the slices (`_VISITS`, `_STAYS`: the
    slice's visit query for all institutions at once), each line with its visit's institution.
  - the drug ledger (`inspector.screening.ledger`): the opening of a drug is its latest count on
    or before W0's date; movements from the opening's date (or W0's) up to W1, those of one
    (drug, time, kind) applied together (the window frame's peers); counts inside the window. The running balance, its lowest value and
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

# The inpatient stays of every institution's slice (`inspector.sync.slice.visits_query`, for all
# institutions at once): overlapping the window, admitted at V, or ended in the 30 days before W0
# by a person with such a stay at the same institution.
_IN_WINDOW = ("(m.begntime < %(w1)s::timestamp AND (m.endtime IS NULL OR m.endtime >= %(w0)s::timestamp))")
_ADMITTED = ("(m.begntime <= %(v)s::timestamp AND (m.endtime IS NULL OR m.endtime > %(v)s::timestamp))")
_STAYS = f"""
    SELECT m.mdtrt_id, m.fixmedins_code, m.begntime, m.endtime FROM mdtrt m
     WHERE m.med_type = '21' AND ({_IN_WINDOW} OR {_ADMITTED})
    UNION
    SELECT p.mdtrt_id, p.fixmedins_code, p.begntime, p.endtime FROM mdtrt p
     WHERE p.med_type = '21' AND p.endtime >= %(w0m30)s::timestamp AND p.endtime < %(w0)s::timestamp
       AND EXISTS (SELECT 1 FROM mdtrt m WHERE m.psn_no = p.psn_no AND m.fixmedins_code = p.fixmedins_code
                      AND m.med_type = '21' AND ({_IN_WINDOW} OR {_ADMITTED}))"""

# Every visit of every institution's slice (`visits_query` for all institutions at once).
_VISITS = f"""
    SELECT m.mdtrt_id, m.fixmedins_code FROM mdtrt m
     WHERE {_IN_WINDOW} OR (m.med_type = '21' AND {_ADMITTED})
    UNION
    SELECT p.mdtrt_id, p.fixmedins_code FROM mdtrt p
     WHERE p.med_type = '21' AND p.endtime >= %(w0m30)s::timestamp AND p.endtime < %(w0)s::timestamp
       AND EXISTS (SELECT 1 FROM mdtrt m WHERE m.psn_no = p.psn_no AND m.fixmedins_code = p.fixmedins_code
                      AND m.med_type = '21' AND ({_IN_WINDOW} OR {_ADMITTED}))"""

# S3: per (visit, item, day) of the slice's window lines of items with a daily limit, the
# quantity above the limit.
S3_SQL = f"""
SELECT g.c, g.mdtrt_id, g.med_list_codg, to_char(g.d, 'YYYY-MM-DD'), g.q, g.a, g.lim, g.n FROM (
    SELECT f.fixmedins_code AS c, f.mdtrt_id, f.med_list_codg, CAST(f.fee_ocur_time AS date) AS d,
           SUM((f.cnt * 100)::bigint) AS q, SUM({_FEE}) AS a, COUNT(*) AS n, MIN(lim.lim) AS lim
      FROM feedetl f
      JOIN (SELECT med_list_codg, (daily_cnt_limit * 100)::bigint AS lim FROM med_list
             WHERE daily_cnt_limit IS NOT NULL) lim ON lim.med_list_codg = f.med_list_codg
     WHERE f.fee_ocur_time >= %(w0)s::timestamp AND f.fee_ocur_time < %(w1)s::timestamp
       AND (f.mdtrt_id, f.fixmedins_code) IN ({_VISITS})
     GROUP BY f.fixmedins_code, f.mdtrt_id, f.med_list_codg, CAST(f.fee_ocur_time AS date)) g
 WHERE g.q > g.lim
 ORDER BY g.c, g.mdtrt_id COLLATE "C", g.med_list_codg COLLATE "C", g.d
"""

# S4: per stay, its window lines before admission and after a recorded discharge.
S4_SQL = f"""
WITH st AS MATERIALIZED ({_STAYS})
SELECT c, mdtrt_id, to_char(begntime, 'YYYY-MM-DD HH24:MI:SS'), to_char(endtime, 'YYYY-MM-DD HH24:MI:SS'),
       SUM(b), SUM(a), SUM(b + a), SUM(amt) FROM (
    SELECT st.fixmedins_code AS c, st.mdtrt_id, st.begntime, st.endtime,
           COUNT(*) FILTER (WHERE f.fee_ocur_time < st.begntime) AS b,
           COUNT(*) FILTER (WHERE f.fee_ocur_time >= st.begntime) AS a, SUM({_FEE}) AS amt
      FROM st JOIN feedetl f ON f.mdtrt_id = st.mdtrt_id AND f.fixmedins_code = st.fixmedins_code
     WHERE f.fee_ocur_time >= %(w0)s::timestamp AND f.fee_ocur_time < %(w1)s::timestamp
       AND (f.fee_ocur_time < st.begntime OR f.fee_ocur_time > st.endtime)
     GROUP BY st.fixmedins_code, st.mdtrt_id, st.begntime, st.endtime) u
 GROUP BY c, mdtrt_id, begntime, endtime
 ORDER BY c, mdtrt_id COLLATE "C"
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


def region_s4(cur, params: dict[str, Any]) -> dict[str, list[tuple]]:
    """S4's query rows (visit, begin, end, lines before, after, lines, amount) per institution."""
    cur.execute(S4_SQL, params)
    out: dict[str, list[tuple]] = defaultdict(list)
    for c, visit, begin, end, before, after, lines, amt in cur.fetchall():
        out[c].append((visit, begin, end, int(before), int(after), int(lines), int(amt)))
    return out


def region_s3(cur, params: dict[str, Any]) -> dict[str, list[tuple]]:
    """S3's query rows (visit, item, day, quantity, amount, limit, lines) per institution."""
    cur.execute(S3_SQL, params)
    out: dict[str, list[tuple]] = defaultdict(list)
    for c, visit, item, day, q, a, lim, n in cur.fetchall():
        out[c].append((visit, item, day, int(q), int(a), int(lim), int(n)))
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
