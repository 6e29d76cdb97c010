"""Benchmark: screening rules S1-S9 over a hospital-scale slice, against plain SQL in sqlite3.

    .venv/bin/python bench/screen.py [--db PATH] [--rounds N] [--source auto|demo|synthetic]

Builds the slice once (in a child process, so its memory does not count) and keeps the store
at --db for later runs. Then, per round, runs `run_screening` (all nine rules, leads stored)
and the baseline (`bench/screen_baseline.py`: the same rules as plain SQL through sqlite3),
checks that both find the same leads with the same amounts, and prints both times (best of
the rounds), the ratio and the process's peak memory. The last line is one JSON object.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from inspector.coltypes import to_scaled  # noqa: E402
from inspector.db import open_store  # noqa: E402
from inspector.screening import run_screening  # noqa: E402
from inspector.screening.base import context_for  # noqa: E402
from inspector.screening.runner import screening_settings  # noqa: E402
from inspector.settings import effective_settings  # noqa: E402

import screen_baseline  # noqa: E402

DEFAULT_DB = Path(tempfile.gettempdir()) / "inspector-bench-screen.db"


def build(db: Path, source: str) -> str:
    """Create the hospital-scale store at `db`; returns what it holds ('demo' or 'synthetic')."""
    if source in ("auto", "demo"):
        try:
            from inspector.demo.central import build_demo_central  # noqa: F401
            from inspector.sync.central import sync_central  # noqa: F401
        except ImportError:
            if source == "demo":
                raise
        else:
            from bench_demo import build_demo_store  # type: ignore[import-not-found]

            build_demo_store(db)
            return "demo"
    from synthetic_slice import build_synthetic_store

    build_synthetic_store(db)
    return "synthetic"


def baseline(db: Path, inspection_id: int) -> tuple[dict[str, float], dict[tuple[str, str], int]]:
    """Run the nine plain-SQL rules; seconds per rule and {(rule, key json): amount cents}."""
    engine = open_store(db)
    with engine.connect() as conn:
        settings = screening_settings(effective_settings(conn, inspection_id))
        insp = conn.exec_driver_sql("SELECT fixmedins_code, date_from, date_to, visit_time FROM inspection WHERE id = ?",
                                    (inspection_id,)).one()
        sid = conn.exec_driver_sql("SELECT id FROM snapshot WHERE inspection_id = ? ORDER BY version DESC LIMIT 1",
                                   (inspection_id,)).scalar()
    engine.dispose()
    ctx = context_for(sid, insp[0], datetime.strptime(insp[1], "%Y-%m-%d").date(),
                      datetime.strptime(insp[2], "%Y-%m-%d").date(), datetime.strptime(insp[3], "%Y-%m-%d %H:%M:%S"),
                      settings)
    tol = Fraction(Decimal(str(settings["count_tolerance"])))
    params = {"s": sid, "c": ctx.fixmedins_code, "w0": ctx.w0, "w1": ctx.w1, "d0": ctx.d0, "d1": ctx.d1_excl,
              "v": ctx.v, "days": int(settings["readmission_days"]), "k": int(settings["bed_only_days"]),
              "tol_num": tol.numerator, "tol_den": tol.denominator}
    con = sqlite3.connect(db)
    seconds: dict[str, float] = {}
    leads: dict[tuple[str, str], int] = {}
    for rule, sql in screen_baseline.RULES.items():
        t = time.perf_counter()
        rows = con.execute(sql, params).fetchall()
        seconds[rule] = time.perf_counter() - t
        for key, cents in rows:
            leads[(rule, key)] = int(cents)
    con.close()
    return seconds, leads


def ours(db: Path, inspection_id: int) -> tuple[float, dict[str, float], dict[tuple[str, str], int]]:
    engine = open_store(db)
    t = time.perf_counter()
    result = run_screening(engine, inspection_id)
    total = time.perf_counter() - t
    engine.dispose()
    return total, result.seconds, {(lead.rule, lead.key_json): to_scaled(lead.amount, 2) for lead in result.leads}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--db", type=Path, default=DEFAULT_DB, help=f"store to build or reuse (default {DEFAULT_DB})")
    ap.add_argument("--source", choices=["auto", "demo", "synthetic"], default="auto")
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--rebuild", action="store_true")
    ap.add_argument("--build-only", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)

    marker = args.db.with_suffix(".source")
    if args.build_only:
        marker.write_text(build(args.db, args.source))
        return 0
    if args.rebuild or not args.db.exists() or not marker.exists():
        for p in (args.db, Path(f"{args.db}-wal"), Path(f"{args.db}-shm"), marker):
            p.unlink(missing_ok=True)
        t = time.perf_counter()
        subprocess.run([sys.executable, __file__, "--db", str(args.db), "--source", args.source, "--build-only"],
                       check=True)
        print(f"built {args.db} in {time.perf_counter() - t:.1f} s")
    source = marker.read_text().strip()
    engine = open_store(args.db)
    with engine.connect() as conn:
        inspection_id = conn.exec_driver_sql("SELECT max(id) FROM inspection").scalar()
        fee_lines = conn.exec_driver_sql(
            "SELECT json_extract(row_counts, '$.feedetl') FROM snapshot WHERE inspection_id = ? "
            "ORDER BY version DESC LIMIT 1", (inspection_id,)).scalar()
    engine.dispose()

    best_ours = best_base = float("inf")
    per_ours: dict[str, float] = {}
    per_base: dict[str, float] = {}
    mismatches: list[str] = []
    counts: dict[str, int] = {}
    for _ in range(max(1, args.rounds)):
        b_seconds, b_leads = baseline(args.db, inspection_id)
        o_total, o_seconds, o_leads = ours(args.db, inspection_id)
        if sum(b_seconds.values()) < best_base:
            best_base, per_base = sum(b_seconds.values()), b_seconds
        if o_total < best_ours:
            best_ours, per_ours = o_total, o_seconds
        if o_leads != b_leads:
            only_o = sorted(set(o_leads) - set(b_leads))[:5]
            only_b = sorted(set(b_leads) - set(o_leads))[:5]
            diff = sorted(k for k in set(o_leads) & set(b_leads) if o_leads[k] != b_leads[k])[:5]
            mismatches = [f"only ours: {only_o}", f"only baseline: {only_b}", f"amounts differ: {diff}"]
        counts = {r: sum(1 for k in o_leads if k[0] == r) for r in screen_baseline.RULES}

    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    ratio = best_ours / best_base if best_base else float("inf")
    print(f"slice: {source}, {fee_lines:,} fee lines; leads per rule: {counts}")
    print(f"{'rule':<6}{'ours (s)':>10}{'baseline (s)':>14}")
    for r in screen_baseline.RULES:
        print(f"{r:<6}{per_ours.get(r, 0):>10.2f}{per_base.get(r, 0):>14.2f}")
    print(f"all nine rules: ours {best_ours:.2f} s (leads stored), plain SQL {best_base:.2f} s, "
          f"ratio {ratio:.2f}; peak memory {peak_mb:.0f} MB")
    print("same leads and amounts as the baseline" if not mismatches else "MISMATCH: " + "; ".join(mismatches))
    ok = not mismatches and ratio <= 1.5 and best_ours < 10 and peak_mb <= 300
    print(json.dumps({
        "bench": "screen", "source": source, "fee_lines": fee_lines, "ours_s": round(best_ours, 3),
        "baseline_s": round(best_base, 3), "ratio": round(ratio, 3), "peak_mb": round(peak_mb, 1),
        "leads": sum(counts.values()), "same_results": not mismatches, "goal_met": ok,
        "machine": f"{platform.machine()} {os.cpu_count()} cores, Python {platform.python_version()}, "
                   f"SQLite {sqlite3.sqlite_version}",
        "date": datetime.now().strftime("%Y-%m-%d"),
    }, ensure_ascii=False))
    return 0 if not mismatches else 1


if __name__ == "__main__":
    sys.exit(main())
