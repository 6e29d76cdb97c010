"""Bench: a census tick from the core API to the committed event, and the live summary.

Builds a 1,500-bed hospital (30 wards x 50 beds, every bed occupied, 20 fee lines per stay,
plus outpatient visits), then times `record_outcome` (each tick its own committed,
fsync'd transaction) and `census_summary` over the whole hospital after every bed was ticked.
Usage: .venv/bin/python bench/census_tick.py [--ticks N] [--outpatients N]
The last line printed is one JSON object.
"""
from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys
import tempfile
import time
from datetime import date, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from inspector.checks.census import census_summary, record_outcome, roster  # noqa: E402
from inspector.db import open_store  # noqa: E402
from inspector.snapshot import NewInspection, TableFeed, write_snapshot  # noqa: E402

CODE = "H61010000001"
DRUG = "X" + "0" * 22
V = "2026-11-02 10:00:00"


def build(engine, wards: int, beds: int, outpatients: int) -> int:
    fix = [(CODE, "基准医院", "1", "3", "610100", wards * beds, "addr", "A", "active")]
    ward_rows = [(CODE, f"W{w:02d}", f"病区{w}", "D1", "内科", beds) for w in range(wards)]
    psn, mdtrt, fees = [], [], []
    n = 0
    for w in range(wards):
        for b in range(beds):
            pid, mid = f"P{n:06d}", f"M{n:06d}"
            psn.append((pid, f"病人{n}", "1", "1970-01-01", "610102********0000", "0" * 64, "310"))
            mdtrt.append((mid, CODE, pid, "21", f"I{n}", "2026-10-20 08:00:00", None, f"W{w:02d}", str(b + 1),
                          "J18.9", "肺炎", "D1", "李医生", "DEP1"))
            for k in range(20):
                fees.append((f"F{n:06d}-{k:02d}", mid, CODE, pid, f"2026-10-{21 + k % 10:02d} 09:00:00", DRUG, "09",
                             100, 123400, 1234, None, None))
            n += 1
    for i in range(outpatients):
        mdtrt.append((f"O{i:07d}", CODE, "P000000", "11", None, "2026-09-01 08:00:00", "2026-09-01 09:00:00",
                      None, None, None, None, None, None, None))
    meta = {"schema_version": "1", "extract_id": "BENCH", "created_at": V, "certno_salt": "salt", "admdvs": "610100"}
    feeds = {"fixmedins": TableFeed(1, [fix]), "wards": TableFeed(None, [ward_rows]), "psn_info": TableFeed(None, [psn]),
             "med_list": TableFeed(1, [[(DRUG, "药", "101", None, "粒", "01", 1, None, None)]]),
             "mdtrt": TableFeed(None, [mdtrt]), "feedetl": TableFeed(None, [fees])}
    new = NewInspection(CODE, date(2026, 8, 1), date(2026, 10, 31), datetime.strptime(V, "%Y-%m-%d %H:%M:%S"))
    return write_snapshot(engine, new, source_kind="central", source="bench", extract_meta=meta, feeds=feeds).inspection_id


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--wards", type=int, default=30)
    ap.add_argument("--beds", type=int, default=50)
    ap.add_argument("--outpatients", type=int, default=100_000)
    ap.add_argument("--summaries", type=int, default=15)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as d:
        engine = open_store(Path(d) / "bench.db")
        iid = build(engine, args.wards, args.beds, args.outpatients)
        with engine.connect() as c:
            ids = [(e.mdtrt_id, e.ward_codg) for e in roster(c, iid)]
        ticks = []
        for i, (mid, _ward) in enumerate(ids):
            outcome = "absent" if i % 10 == 0 else "discharged" if i % 10 == 1 else "present"
            t0 = time.perf_counter()
            record_outcome(engine, iid, mid, outcome, note="bench: confirmed by eye")
            ticks.append((time.perf_counter() - t0) * 1000)
        ward_rosters, summaries = [], []
        for _ in range(args.summaries):
            with engine.connect() as c:
                t0 = time.perf_counter()
                roster(c, iid, "W00")
                ward_rosters.append((time.perf_counter() - t0) * 1000)
                t0 = time.perf_counter()
                s = census_summary(c, iid)
                summaries.append((time.perf_counter() - t0) * 1000)
        engine.dispose()
    assert s["overall"]["checked"] == len(ids)
    result = {
        "bench": "census_tick", "date": datetime.now().strftime("%Y-%m-%d"), "machine": platform.machine(),
        "python": platform.python_version(), "beds": len(ids), "outpatient_visits": args.outpatients,
        "ticks": len(ticks), "tick_median_ms": round(statistics.median(ticks), 2),
        "tick_p95_ms": round(sorted(ticks)[int(len(ticks) * 0.95)], 2),
        "ward_roster_median_ms": round(statistics.median(ward_rosters), 2),
        "hospital_summary_median_ms": round(statistics.median(summaries), 2),
        "goal_tick_median_ms": 10, "tick_goal_met": statistics.median(ticks) < 10,
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
