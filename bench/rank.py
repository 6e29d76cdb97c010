"""Benchmark: the region-wide risk ranking (`rank`) on a PostgreSQL central of 30 institutions.

    .venv/bin/python bench/rank.py [--scale hospital|small] [--copies 5]

Builds the demo central (`--scale hospital`: six institutions, 2.1 M fee lines, most of them
in the 1,500-bed hospital) with the demo generator, copies it into a private PostgreSQL
server, then clones its six institutions `--copies - 1` more times inside PostgreSQL (new
institution codes and visit/line/settlement ids, the same persons and catalogue), giving
6 x copies institutions. Then, in the same run:
  baseline: one aggregate pass over the window's fee lines of the whole region
            (SELECT fixmedins_code, count(*), sum(det_item_fee_sumamt) ... GROUP BY 1);
  ranking:  `rank_region` (S1-S9 per institution, pushed down into PostgreSQL);
prints both times and their ratio, checks that every clone ranks with exactly its original's
lead amount, and ends with one JSON line. The machine is shared: read the ratio.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import sys
import tempfile
import time
from datetime import date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from inspector.demo.central import build_demo_central  # noqa: E402
from inspector.demo.pgcopy import conninfo_from_url, copy_to_postgres  # noqa: E402
from inspector.ranking import rank_region  # noqa: E402
from tests.support.pg_server import create_database, private_postgres  # noqa: E402

# Per table: the expression of each cloned column (k = the copy's digit); others copied as they are.
CODE = "overlay(fixmedins_code placing %(k)s from 8 for 1)"
CLONES = {
    "fixmedins": {"fixmedins_code": CODE, "fixmedins_name": "fixmedins_name || ' (' || %(k)s || ')'"},
    "wards": {"fixmedins_code": CODE},
    "mdtrt": {"mdtrt_id": "'c' || %(k)s || mdtrt_id", "fixmedins_code": CODE},
    "leave_rec": {"leave_id": "'c' || %(k)s || leave_id", "mdtrt_id": "'c' || %(k)s || mdtrt_id"},
    "setl": {"setl_id": "'c' || %(k)s || setl_id", "mdtrt_id": "'c' || %(k)s || mdtrt_id", "fixmedins_code": CODE},
    "feedetl": {"feedetl_sn": "'c' || %(k)s || feedetl_sn", "mdtrt_id": "'c' || %(k)s || mdtrt_id",
                "fixmedins_code": CODE},
    "medrcd": {"mdtrt_id": "'c' || %(k)s || mdtrt_id", "fixmedins_code": CODE},
    "drug_inv": {"fixmedins_code": CODE},
    "drug_purc": {"purc_id": "'c' || %(k)s || purc_id", "fixmedins_code": CODE},
    "drug_sel": {"sel_id": "'c' || %(k)s || sel_id", "fixmedins_code": CODE,
                 "mdtrt_id": "CASE WHEN mdtrt_id IS NULL THEN NULL ELSE 'c' || %(k)s || mdtrt_id END"},
}


def clone(url: str, copies: int) -> float:
    import psycopg

    t = time.perf_counter()
    with psycopg.connect(conninfo_from_url(url)) as pg:
        pg.execute("SET session_replication_role = replica")   # bench data only: no FK trigger per row
        for table, exprs in CLONES.items():
            cols = [r[0] for r in pg.execute(
                "SELECT column_name FROM information_schema.columns WHERE table_name = %s ORDER BY ordinal_position",
                (table,))]
            sel = ", ".join(exprs.get(c, c) for c in cols)
            base = pg.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
            for k in range(1, copies):
                pg.execute(f"INSERT INTO {table} ({', '.join(cols)}) SELECT {sel} FROM {table} "
                           f"WHERE {_originals(table)}", {"k": str(k)})
            print(f"  {table}: {base:,} -> {pg.execute(f'SELECT count(*) FROM {table}').fetchone()[0]:,}", flush=True)
        pg.commit()
        pg.autocommit = True
        pg.execute("VACUUM ANALYZE")
    return time.perf_counter() - t


def _originals(table: str) -> str:
    """Only the original rows are cloned (their codes carry '0' at position 8)."""
    if table == "leave_rec":
        return "mdtrt_id NOT LIKE 'c%%'"
    return "substr(fixmedins_code, 8, 1) = '0'"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--scale", choices=["small", "hospital"], default="hospital")
    ap.add_argument("--copies", type=int, default=5, help="region = 6 demo institutions x copies (at most 9)")
    args = ap.parse_args()
    assert 1 <= args.copies <= 9
    with tempfile.TemporaryDirectory(prefix="inspector-bench-rank-") as tmp:
        t = time.perf_counter()
        m = build_demo_central(Path(tmp) / "central.db", seed=1, scale=args.scale)
        t_demo = time.perf_counter() - t
        print(f"demo central ({args.scale}) built in {t_demo:.0f} s", flush=True)
        with private_postgres() as server:
            url = create_database(server, "region")
            t = time.perf_counter()
            copy_to_postgres(Path(tmp) / "central.db", url)
            t_copy = time.perf_counter() - t
            print(f"copied into PostgreSQL in {t_copy:.0f} s; cloning x{args.copies}", flush=True)
            t_clone = clone(url, args.copies)
            import psycopg

            d0, d1 = date.fromisoformat(m.date_from), date.fromisoformat(m.date_to)
            v = datetime.strptime(m.visit_time, "%Y-%m-%d %H:%M:%S")
            with psycopg.connect(conninfo_from_url(url)) as pg:
                n_inst = pg.execute("SELECT count(*) FROM fixmedins").fetchone()[0]
                n_fee = pg.execute("SELECT count(*) FROM feedetl").fetchone()[0]
                t = time.perf_counter()
                window_lines = sum(r[1] for r in pg.execute(
                    "SELECT fixmedins_code, count(*), sum(det_item_fee_sumamt) FROM feedetl "
                    "WHERE fee_ocur_time >= %s AND fee_ocur_time < %s GROUP BY 1", (d0, d1 + timedelta(days=1))))
                t_base = time.perf_counter() - t
            print(f"region: {n_inst} institutions, {n_fee:,} fee lines ({window_lines:,} in the window); "
                  f"baseline pass {t_base:.1f} s", flush=True)
            t = time.perf_counter()
            ranking = rank_region(url, d0, d1, v)
            t_rank = time.perf_counter() - t
            by_code = {r.fixmedins_code: r for r in ranking.institutions}
            mismatched = [c for c, r in by_code.items()
                          if r.lead_amount != by_code[c[:7] + "0" + c[8:]].lead_amount]
            assert len(by_code) == n_inst and not mismatched, mismatched
            leads = sum(len(r.leads) for r in ranking.institutions)
            print(f"ranking: {t_rank:.1f} s ({leads:,} leads); ratio to one aggregate pass {t_rank / t_base:.1f}",
                  flush=True)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"benchmark": "rank", "scale": args.scale, "institutions": n_inst, "fee_lines": n_fee,
                      "window_fee_lines": window_lines, "rank_s": round(t_rank, 1), "baseline_s": round(t_base, 1),
                      "ratio": round(t_rank / t_base, 2), "goal_s": 120, "leads": leads, "peak_mb": round(peak_mb),
                      "build_s": {"demo": round(t_demo), "copy": round(t_copy), "clone": round(t_clone)},
                      "load": os.getloadavg(), "machine": platform.platform(), "python": platform.python_version()}))


if __name__ == "__main__":
    main()
