"""Excel extract throughput: write a central database as a contract workbook, then check and stage it.

    .venv/bin/python bench/xlsx.py [FEE_LINES]      (default 100000)

Builds a synthetic central (one hospital, FEE_LINES fee lines over 2,000 visits), writes it
with `write_central_xlsx` and reads it back with `load_xlsx_central` (every check of the
import, no store). Prints rows per second of both directions, file size and peak memory.
"""
from __future__ import annotations

import random
import resource
import sqlite3
import sys
import tempfile
import time
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from inspector.resources import central_schema_sql  # noqa: E402
from inspector.sync.xlsx_extract import write_central_xlsx  # noqa: E402
from inspector.sync.xlsx_load import load_xlsx_central  # noqa: E402

HOSP = "H61010000001"
DRUG = "X" + "A01AB0001" + "0" * 13


def build(path: Path, fee_lines: int, visits: int = 2000) -> int:
    """A consistent synthetic central; returns its total row count."""
    rnd = random.Random(1)
    con = sqlite3.connect(path)
    con.executescript(central_schema_sql())
    con.executemany("INSERT INTO extract_meta VALUES (?, ?)", [
        ("schema_version", "1"), ("extract_id", "BENCH"), ("created_at", "2026-11-01 08:00:00"),
        ("certno_salt", "s"), ("admdvs", "610100")])
    con.execute("INSERT INTO fixmedins VALUES (?, 'bench', '1', '3', '610100', 500, NULL, 'A', 'active')", (HOSP,))
    con.execute("INSERT INTO med_list VALUES (?, 'drug', '101', NULL, 'pc', '01', 0, '9.0000', NULL)", (DRUG,))
    con.executemany("INSERT INTO psn_info VALUES (?, 'name', '1', '1970-01-01', 'mask', ?, '310')",
                    [(f"PSN{i:06d}", "ab" * 32) for i in range(visits)])
    con.executemany(
        "INSERT INTO mdtrt (mdtrt_id, fixmedins_code, psn_no, med_type, begntime, endtime) VALUES (?, ?, ?, '11', ?, ?)",
        [(f"M{i:06d}", HOSP, f"PSN{i:06d}", "2026-10-01 08:00:00", "2026-10-01 09:00:00") for i in range(visits)])
    rows = []
    for i in range(fee_lines):
        cnt = Decimal(rnd.randint(1, 500)) / 100
        pric = Decimal(rnd.randint(1, 90000)) / 10000
        amount = (cnt * pric).quantize(Decimal("0.01"), ROUND_HALF_UP)
        rows.append((f"F{i:09d}", f"M{i % visits:06d}", HOSP, f"PSN{i % visits:06d}",
                     f"2026-10-01 08:{i % 60:02d}:{(i * 7) % 60:02d}", DRUG, "09", str(cnt), str(pric), str(amount),
                     "DR1", "D01"))
    con.executemany("INSERT INTO feedetl VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
    con.commit()
    con.close()
    return 5 + 1 + 1 + 2 * visits + fee_lines


def main() -> None:
    fee_lines = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        total = build(d / "central.db", fee_lines)
        t0, c0 = time.perf_counter(), time.process_time()
        write_central_xlsx(d / "central.db", d / "extract.xlsx")
        t1, c1 = time.perf_counter(), time.process_time()
        load_xlsx_central(d / "extract.xlsx", d / "staged.db", HOSP)
        t2, c2 = time.perf_counter(), time.process_time()
        size = (d / "extract.xlsx").stat().st_size
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{total:,} rows ({fee_lines:,} fee lines), workbook {size / 1e6:.1f} MB")
    print(f"write: {t1 - t0:.1f} s wall, {c1 - c0:.1f} s cpu, {total / (c1 - c0):,.0f} rows/s cpu")
    print(f"check + stage: {t2 - t1:.1f} s wall, {c2 - c1:.1f} s cpu, {total / (c2 - c1):,.0f} rows/s cpu")
    print(f"peak memory {peak:.0f} MB")


if __name__ == "__main__":
    main()
