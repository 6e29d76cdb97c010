"""Bench: the encrypted store (SQLCipher 4) against a plain store, in one run.

Syncs the same central slice into a plain and an encrypted store, screens both (all nine
rules), ticks the census on a 1,500-bed hospital in both, and times opening the encrypted
store with the product's Argon2id parameters (key derivation from the password, unwrapping
the store key, SQLCipher open and a first query). Runs alternate plain/encrypted to share
the machine's load fairly; the best of `--repeat` runs of each is kept.
Usage: .venv/bin/python bench/crypt.py [--fee-lines N] [--repeat N] [--ticks N]
The last line printed is one JSON object.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from datetime import date, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from inspector.db import lock_store, open_store  # noqa: E402
from inspector.keyslots import ARGON2_PARAMS  # noqa: E402
from inspector.storecrypt import create_encrypted_store, unlock_store  # noqa: E402

PASSWORD = "bench password 2026"


def new_store(path: Path, encrypted: bool):
    if encrypted:
        engine, _recovery = create_encrypted_store(path, "bench", PASSWORD, params={"time_cost": 1, "memory_cost": 8192, "parallelism": 1})
        return engine
    return open_store(path)


def run_sync(central: Path, spec: dict, path: Path, encrypted: bool) -> tuple[float, int]:
    from inspector.sync.central import sync_central

    engine = new_store(path, encrypted)
    t0 = time.perf_counter()
    r = sync_central(engine, str(central), spec["institution"], date.fromisoformat(spec["date_from"]),
                     date.fromisoformat(spec["date_to"]), datetime.strptime(spec["visit_time"], "%Y-%m-%d %H:%M:%S"))
    seconds = time.perf_counter() - t0
    engine.dispose()
    return seconds, r.inspection_id


def run_screen(path: Path, inspection_id: int) -> float:
    from inspector.screening.runner import run_screening

    engine = open_store(path)
    t0 = time.perf_counter()
    run_screening(engine, inspection_id)
    seconds = time.perf_counter() - t0
    engine.dispose()
    return seconds


def run_census(path: Path, encrypted: bool, ticks: int) -> float:
    from census_tick import build  # bench/census_tick.py
    from inspector.checks.census import record_outcome, roster

    engine = new_store(path, encrypted)
    iid = build(engine, 30, 50, 20_000)
    with engine.connect() as c:
        ids = [e.mdtrt_id for e in roster(c, iid)][:ticks]
    times = []
    for mid in ids:
        t0 = time.perf_counter()
        record_outcome(engine, iid, mid, "present", note="bench: confirmed by eye")
        times.append((time.perf_counter() - t0) * 1000)
    engine.dispose()
    return statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--fee-lines", type=int, default=300_000, help="fee lines in the window (synthetic central)")
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument("--ticks", type=int, default=300)
    args = ap.parse_args()
    from sync import build_central  # bench/sync.py

    best: dict[str, dict[str, float]] = {"plain": {}, "encrypted": {}}
    with tempfile.TemporaryDirectory(dir=os.environ.get("BENCH_DIR")) as d:
        d = Path(d)
        central = d / "central.db"
        spec = build_central(central, args.fee_lines)
        for n in range(args.repeat):
            for kind in (("plain", "encrypted") if n % 2 == 0 else ("encrypted", "plain")):
                enc = kind == "encrypted"
                store = d / f"{kind}{n}.db"
                s, iid = run_sync(central, spec, store, enc)
                sc = run_screen(store, iid)
                lock_store()
                tick = run_census(d / f"{kind}{n}-census.db", enc, args.ticks)
                lock_store()
                for name, v in (("sync_s", s), ("screen_s", sc), ("tick_median_ms", tick)):
                    best[kind][name] = min(best[kind].get(name, float("inf")), v)
                print(f"{kind} run {n + 1}: sync {s:.2f} s, screen {sc:.2f} s, census tick median {tick:.2f} ms",
                      file=sys.stderr)
        # opening with the product's Argon2id parameters: derive, unwrap, open, first query
        store = d / "open.db"
        engine, _ = create_encrypted_store(store, "lead", PASSWORD, params=None)
        engine.dispose()
        lock_store()
        opens = []
        for _ in range(5):
            t0 = time.perf_counter()
            engine = unlock_store(store, "lead", PASSWORD)
            with engine.connect() as c:
                c.exec_driver_sql("SELECT count(*) FROM inspection").scalar()
            opens.append(time.perf_counter() - t0)
            lock_store()
        size = {k: os.path.getsize(d / f"{k}0.db") for k in ("plain", "encrypted")}
    ratios = {m: round(best["encrypted"][m] / best["plain"][m], 2) for m in best["plain"]}
    for m, r in ratios.items():
        print(f"{m}: plain {best['plain'][m]:.3f}, encrypted {best['encrypted'][m]:.3f}: ratio {r}", file=sys.stderr)
    print(f"open (Argon2id {ARGON2_PARAMS}): median {statistics.median(opens):.3f} s", file=sys.stderr)
    print(json.dumps({
        "bench": "crypt", "date": datetime.now().strftime("%Y-%m-%d"), "machine": platform.machine(),
        "python": platform.python_version(), "load_avg": os.getloadavg()[0], "fee_lines_target": args.fee_lines,
        "plain": best["plain"], "encrypted": best["encrypted"], "ratios": ratios,
        "goal_ratio": 1.3, "ratio_goal_met": all(r <= 1.3 for r in ratios.values()),
        "open_median_s": round(statistics.median(opens), 3), "open_goal_s": 1.0, "argon2id": ARGON2_PARAMS,
        "file_bytes": size,
    }))


if __name__ == "__main__":
    main()
