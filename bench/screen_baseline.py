"""The nine screening rules written as plain SQL for sqlite3: the benchmark's baseline.

Each statement returns (key as a JSON array, amount in cents) per lead, everything computed
in SQL, amounts with integer arithmetic rounded half-up once. Parameters: :s snapshot id,
:c institution, :w0/:w1 window bounds, :d0/:d1 their dates, :v visit time, :days, :k,
:tol_num/:tol_den (count tolerance as a fraction).
"""
from __future__ import annotations


def rnd(num: str, den: str) -> str:
    """SQL for num/den (den > 0) rounded half-up (away from zero) to an integer."""
    return (f"(CASE WHEN ({num}) >= 0 THEN (2 * ({num}) + ({den})) / (2 * ({den})) "
            f"ELSE -((2 * (-({num})) + ({den})) / (2 * ({den}))) END)")


S1 = """
SELECT json_array(p.mdtrt_id, n.mdtrt_id),
       (SELECT COALESCE(SUM(f.det_item_fee_sumamt), 0) FROM snap_feedetl f
         WHERE f.snapshot_id = :s AND f.mdtrt_id = n.mdtrt_id AND f.fee_ocur_time >= :w0 AND f.fee_ocur_time < :w1)
  FROM snap_mdtrt p
  JOIN snap_mdtrt n ON n.snapshot_id = :s AND n.mdtrt_id = (
       SELECT x.mdtrt_id FROM snap_mdtrt x
        WHERE x.snapshot_id = :s AND x.psn_no = p.psn_no AND x.med_type = '21' AND x.fixmedins_code = :c
          AND x.mdtrt_id <> p.mdtrt_id AND x.begntime >= p.endtime
        ORDER BY x.begntime, x.mdtrt_id LIMIT 1)
 WHERE p.snapshot_id = :s AND p.med_type = '21' AND p.fixmedins_code = :c AND p.endtime IS NOT NULL
   AND n.begntime >= :w0 AND n.begntime < :w1
   AND julianday(date(n.begntime)) - julianday(date(p.endtime)) BETWEEN 0 AND :days
"""

S2 = f"""
WITH beds AS (SELECT aprv_bed_cnt AS b FROM snap_fixmedins WHERE snapshot_id = :s AND fixmedins_code = :c),
vd AS (SELECT substr(fee_ocur_time, 1, 10) AS d, SUM(cnt) AS q, SUM(det_item_fee_sumamt) AS a
         FROM snap_feedetl
        WHERE snapshot_id = :s AND med_chrgitm_type = '01' AND fee_ocur_time >= :w0 AND fee_ocur_time < :w1
        GROUP BY mdtrt_id, d),
dd AS (SELECT d, COUNT(*) AS n, SUM(a) AS total FROM vd WHERE q > 0 GROUP BY d)
SELECT json_array(d), {rnd("(n - beds.b) * total", "n")} FROM dd, beds WHERE n > beds.b
"""

S3 = f"""
SELECT json_array(v, i, d), {rnd("(q - lim) * a", "q")} FROM (
    SELECT f.mdtrt_id AS v, f.med_list_codg AS i, substr(f.fee_ocur_time, 1, 10) AS d,
           SUM(f.cnt) AS q, SUM(f.det_item_fee_sumamt) AS a, MAX(m.daily_cnt_limit) AS lim
      FROM snap_feedetl f
      JOIN snap_med_list m ON m.snapshot_id = f.snapshot_id AND m.med_list_codg = f.med_list_codg
     WHERE f.snapshot_id = :s AND m.daily_cnt_limit IS NOT NULL
       AND f.fee_ocur_time >= :w0 AND f.fee_ocur_time < :w1
     GROUP BY f.mdtrt_id, f.med_list_codg, d)
 WHERE q > lim
"""

S4 = """
SELECT json_array(m.mdtrt_id), SUM(f.det_item_fee_sumamt)
  FROM snap_mdtrt m
  JOIN snap_feedetl f ON f.snapshot_id = m.snapshot_id AND f.mdtrt_id = m.mdtrt_id
 WHERE m.snapshot_id = :s AND m.med_type = '21'
   AND f.fee_ocur_time >= :w0 AND f.fee_ocur_time < :w1
   AND (f.fee_ocur_time < m.begntime OR (m.endtime IS NOT NULL AND f.fee_ocur_time > m.endtime))
 GROUP BY m.mdtrt_id
"""

S5 = f"""
SELECT json_array(f.feedetl_sn), {rnd("(f.pric - m.pric_uplmt_amt) * f.cnt", "10000")}
  FROM snap_feedetl f
  JOIN snap_med_list m ON m.snapshot_id = f.snapshot_id AND m.med_list_codg = f.med_list_codg
 WHERE f.snapshot_id = :s AND m.pric_uplmt_amt IS NOT NULL AND f.pric > m.pric_uplmt_amt
   AND f.fee_ocur_time >= :w0 AND f.fee_ocur_time < :w1
"""

_LEDGER = """
inv AS (SELECT med_list_codg AS g, invdate, inv_cnt FROM snap_drug_inv
         WHERE snapshot_id = :s AND fixmedins_code = :c AND invdate < :d1),
mv AS (SELECT med_list_codg AS g, purc_time AS t, CASE WHEN retn_flag = '1' THEN -purc_cnt ELSE purc_cnt END AS v
         FROM snap_drug_purc WHERE snapshot_id = :s AND fixmedins_code = :c AND purc_time < :w1
       UNION ALL
       SELECT med_list_codg, sel_retn_time, CASE WHEN retn_flag = '1' THEN sel_retn_cnt ELSE -sel_retn_cnt END
         FROM snap_drug_sel WHERE snapshot_id = :s AND fixmedins_code = :c AND sel_retn_time < :w1),
drugs AS (SELECT g FROM inv UNION SELECT g FROM mv),
op AS (SELECT d.g, o.od,
              COALESCE((SELECT i.inv_cnt FROM inv i WHERE i.g = d.g AND i.invdate = o.od), 0) AS oc,
              COALESCE(o.od, :d0) || ' 00:00:00' AS t0
         FROM drugs d LEFT JOIN (SELECT g, MAX(invdate) AS od FROM inv WHERE invdate <= :d0 GROUP BY g) o ON o.g = d.g),
b AS (SELECT mv.g, mv.t, SUM(mv.v) AS dv FROM mv JOIN op ON op.g = mv.g WHERE mv.t >= op.t0 GROUP BY mv.g, mv.t)
"""

S6 = f"""
WITH {_LEDGER},
run AS (SELECT g, SUM(dv) OVER (PARTITION BY g ORDER BY t ROWS UNBOUNDED PRECEDING) AS cum FROM b),
lowrun AS (SELECT g, MIN(cum) AS mc FROM run GROUP BY g),
low AS (SELECT op.g, min(op.oc, op.oc + COALESCE(lowrun.mc, 0)) AS lowest FROM op LEFT JOIN lowrun ON lowrun.g = op.g),
sales AS (SELECT med_list_codg AS g, SUM(sel_retn_cnt * pric) AS sa, SUM(sel_retn_cnt) AS sq
            FROM snap_drug_sel
           WHERE snapshot_id = :s AND fixmedins_code = :c AND retn_flag = '0'
             AND sel_retn_time >= :w0 AND sel_retn_time < :w1
           GROUP BY med_list_codg)
SELECT json_array(low.g), CASE WHEN sales.sq > 0 THEN {rnd("-low.lowest * sales.sa", "sales.sq * 10000")} ELSE 0 END
  FROM low LEFT JOIN sales ON sales.g = low.g
 WHERE low.lowest < 0
"""

S7 = f"""
WITH {_LEDGER},
cnts AS (SELECT i.g, i.invdate, i.inv_cnt FROM inv i JOIN op ON op.g = i.g WHERE i.invdate > COALESCE(op.od, :d0)),
ev AS (SELECT g, t, 1 AS kind, dv, NULL AS invdate, NULL AS declared FROM b
       UNION ALL
       SELECT g, invdate || ' 00:00:00', 0, 0, invdate, inv_cnt FROM cnts),
run AS (SELECT g, kind, invdate, declared,
               SUM(dv) OVER (PARTITION BY g ORDER BY t, kind ROWS UNBOUNDED PRECEDING) AS cum FROM ev),
chk AS (SELECT run.g, run.invdate, run.declared, op.oc + run.cum AS expected
          FROM run JOIN op ON op.g = run.g WHERE run.kind = 0),
pp AS (SELECT med_list_codg AS g, SUM(purc_cnt * purc_pric) AS pa, SUM(purc_cnt) AS pq
         FROM snap_drug_purc
        WHERE snapshot_id = :s AND fixmedins_code = :c AND retn_flag = '0'
          AND purc_time >= :w0 AND purc_time < :w1
        GROUP BY med_list_codg)
SELECT json_array(chk.g, chk.invdate),
       CASE WHEN pp.pq > 0 THEN {rnd("abs(chk.declared - chk.expected) * pp.pa", "pp.pq * 10000")} ELSE 0 END
  FROM chk LEFT JOIN pp ON pp.g = chk.g
 WHERE abs(chk.declared - chk.expected) * :tol_den > max(100 * :tol_den, :tol_num * abs(chk.expected))
"""

S8 = """
WITH days AS (
    SELECT m.mdtrt_id, substr(f.fee_ocur_time, 1, 10) AS d,
           SUM(f.med_chrgitm_type NOT IN ('01', '07')) AS other, SUM(f.det_item_fee_sumamt) AS amt
      FROM snap_mdtrt m
      JOIN snap_feedetl f ON f.snapshot_id = m.snapshot_id AND f.mdtrt_id = m.mdtrt_id
     WHERE m.snapshot_id = :s AND m.med_type = '21' AND m.fixmedins_code = :c
       AND f.fee_ocur_time >= max(:w0, date(m.begntime) || ' 00:00:00')
       AND f.fee_ocur_time < min(:w1, date(COALESCE(m.endtime, :v), '+1 day') || ' 00:00:00')
     GROUP BY m.mdtrt_id, d),
bo AS (SELECT mdtrt_id, amt, julianday(d) - ROW_NUMBER() OVER (PARTITION BY mdtrt_id ORDER BY d) AS island
         FROM days WHERE other = 0),
runs AS (SELECT mdtrt_id, SUM(amt) AS a FROM bo GROUP BY mdtrt_id, island HAVING COUNT(*) >= :k)
SELECT json_array(mdtrt_id), SUM(a) FROM runs GROUP BY mdtrt_id
"""

S9 = """
SELECT json_array(e, l),
       (SELECT COALESCE(SUM(f.det_item_fee_sumamt), 0) FROM snap_feedetl f
         WHERE f.snapshot_id = :s AND f.mdtrt_id = l AND f.fee_ocur_time >= max(ob, :w0) AND f.fee_ocur_time < min(oe, :w1))
  FROM (SELECT a.mdtrt_id AS e, b.mdtrt_id AS l, b.begntime AS ob,
               min(COALESCE(a.endtime, :v), COALESCE(b.endtime, :v)) AS oe
          FROM snap_mdtrt a
          JOIN snap_mdtrt b ON b.snapshot_id = a.snapshot_id AND b.psn_no = a.psn_no
                           AND (b.begntime > a.begntime OR (b.begntime = a.begntime AND b.mdtrt_id > a.mdtrt_id))
         WHERE a.snapshot_id = :s AND a.med_type = '21' AND a.fixmedins_code = :c
           AND b.med_type = '21' AND b.fixmedins_code = :c)
 WHERE ob < oe AND ob < :w1 AND oe > :w0
"""

RULES = {"S1": S1, "S2": S2, "S3": S3, "S4": S4, "S5": S5, "S6": S6, "S7": S7, "S8": S8, "S9": S9}


def params_of(con, inspection_id: int) -> dict:
    """The statement parameters of an inspection's latest snapshot, read with plain sqlite3."""
    import json
    from datetime import date, timedelta
    from fractions import Fraction
    from decimal import Decimal

    code, d0, d1, v, settings = con.execute(
        "SELECT fixmedins_code, date_from, date_to, visit_time, settings FROM inspection WHERE id = ?",
        (inspection_id,)).fetchone()
    sid = con.execute("SELECT id FROM snapshot WHERE inspection_id = ? ORDER BY version DESC LIMIT 1",
                      (inspection_id,)).fetchone()[0]
    s = json.loads(settings)
    tol = Fraction(Decimal(str(s["count_tolerance"])))
    d1x = (date.fromisoformat(d1) + timedelta(days=1)).isoformat()
    return {"s": sid, "c": code, "w0": f"{d0} 00:00:00", "w1": f"{d1x} 00:00:00", "d0": d0, "d1": d1x, "v": v,
            "days": int(s["readmission_days"]), "k": int(s["bed_only_days"]),
            "tol_num": tol.numerator, "tol_den": tol.denominator}


def _cipher_connect(db: str):
    """A read-only sqlcipher3 connection to the encrypted store `db`, keyed from the slot of
    $INSPECTOR_USER (password in $INSPECTOR_PASSWORD_FILE): the same Argon2id unwrapping a user pays."""
    import os
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from sqlcipher3 import dbapi2 as sqlcipher

    from inspector import keyslots

    password = Path(os.environ["INSPECTOR_PASSWORD_FILE"]).read_text(encoding="utf-8").rstrip("\r\n")
    raw = keyslots.unwrap_with_password(db, os.environ["INSPECTOR_USER"], password)
    con = sqlcipher.connect(f"file:{db}?mode=ro", uri=True)
    con.execute(f"PRAGMA key = \"x'{bytes(raw).hex()}'\"")
    keyslots.wipe(raw)
    return con


def main(argv: list[str] | None = None) -> int:
    """Run the nine statements on a store in this process (the DB-API driver alone: plain sqlite3,
    or sqlcipher3 for an encrypted store, whose key is unwrapped from the account's slot exactly as
    the shipped commands do, with INSPECTOR_USER and INSPECTOR_PASSWORD_FILE); print one JSON
    object: seconds per rule and the leads {rule: {key: cents}}."""
    import argparse
    import json
    import sqlite3
    import time

    ap = argparse.ArgumentParser(description="plain-SQL screening baseline")
    ap.add_argument("--db", required=True)
    ap.add_argument("--inspection", type=int, required=True)
    args = ap.parse_args(argv)
    with open(args.db, "rb") as f:
        plain = f.read(16) == b"SQLite format 3\x00"
    if plain:
        con = sqlite3.connect(f"file:{args.db}?mode=ro", uri=True)
    else:
        con = _cipher_connect(args.db)
    params = params_of(con, args.inspection)
    seconds, leads = {}, {}
    for rule, sql in RULES.items():
        t = time.perf_counter()
        leads[rule] = {key: int(cents) for key, cents in con.execute(sql, params)}
        seconds[rule] = round(time.perf_counter() - t, 3)
    con.close()
    print(json.dumps({"seconds": seconds, "leads": leads}, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
