"""Time the stock-count summary and the record sample on a large synthetic slice.

Usage: .venv/bin/python bench/bench_stock_records.py [DRUGS] [SALES_PER_DRUG] [RECORDS]
"""
from __future__ import annotations

import os
import random
import sys
import tempfile
import time
from datetime import date, datetime, timedelta
from pathlib import Path

from inspector.checks import records, stock
from inspector.db import open_store
from inspector.snapshot import NewInspection, TableFeed, write_snapshot

INST = "H61010000001"


def main(n_drugs: int = 3000, sales_per_drug: int = 200, n_records: int = 20000) -> None:
    rnd = random.Random(0)
    codes = [("X" + str(i).zfill(22)) if i % 3 else ("Z" + str(i).zfill(19)) for i in range(n_drugs)]
    ml = [(c, f"药品{i}", "101", "10mg", "盒", rnd.choice(["01", "02", "03"]), 0, None, None) for i, c in enumerate(codes)]
    inv = [(INST, c, f"2026-{m:02d}-01", rnd.randint(0, 50000)) for c in codes for m in range(1, 11)]
    t0 = datetime(2026, 7, 1)

    def sales():
        batch, k = [], 0
        for c in codes:
            for j in range(sales_per_drug):
                k += 1
                t = t0 + timedelta(minutes=rnd.randint(0, 150 * 24 * 60))
                batch.append((f"S{k}", INST, c, rnd.randint(100, 500), rnd.randint(1000, 99999),
                              t.strftime("%Y-%m-%d %H:%M:%S"), None, f"T{rnd.randint(0, 10**7)}",
                              "1" if j % 20 == 0 else "0"))
                if len(batch) == 50000:
                    yield batch
                    batch = []
        yield batch

    purc = [(f"P{i}", INST, c, "s", "l", 100000, 5000, "2026-08-15 09:00:00", "0") for i, c in enumerate(codes)]
    rec = [(f"M{i:07d}", INST, "P1", None, "2026-08-01 08:00:00",
            (datetime(2026, 8, 2) + timedelta(minutes=rnd.randint(0, 80 * 24 * 60))).strftime("%Y-%m-%d %H:%M:%S"),
            5, "J18.9", "肺炎", None, f"D{rnd.randint(1, 25):02d}", None, 100000) for i in range(n_records)]
    fix = [(INST, "医院", "1", "2", "610100", 100, None, None, "active")]
    with tempfile.TemporaryDirectory() as d:
        engine = open_store(Path(os.environ.get("BENCH_DIR", d)) / "b.db")
        t = time.perf_counter()
        r = write_snapshot(engine, NewInspection(INST, date(2026, 8, 1), date(2026, 10, 31), datetime(2026, 11, 2, 10)),
                           source_kind="central", source="bench", extract_meta={"schema_version": "1", "extract_id": "B"},
                           feeds={"fixmedins": TableFeed(1, [fix]), "med_list": TableFeed(len(ml), [ml]),
                                  "drug_inv": TableFeed(len(inv), [inv]), "drug_purc": TableFeed(len(purc), [purc]),
                                  "drug_sel": TableFeed(None, sales()), "medrcd": TableFeed(len(rec), [rec])})
        print(f"load: {time.perf_counter() - t:.1f} s, {r.row_counts['drug_sel']} sales, {n_drugs} drugs")
        iid = r.inspection_id
        for label, fn in [
            ("stock sample", lambda: stock.draw_sample(engine, iid)),
            ("stock count", lambda: stock.record_count(engine, iid, stock.draw_sample(engine, iid).top[0], "12")),
            ("stock summary", lambda: _summary(engine, iid)),
            ("records sample (stratified)", lambda: records.draw_sample(engine, iid, stratify=True)),
            ("records summary", lambda: _rsummary(engine, iid)),
        ]:
            t = time.perf_counter()
            fn()
            print(f"{label}: {time.perf_counter() - t:.2f} s")


def _summary(engine, iid):
    with engine.connect() as c:
        return stock.stock_summary(c, iid)


def _rsummary(engine, iid):
    with engine.connect() as c:
        return records.records_summary(c, iid)


if __name__ == "__main__":
    main(*(int(a) for a in sys.argv[1:]))
