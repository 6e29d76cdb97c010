"""Excel extract throughput: write a central database as a contract workbook, then check and stage it.

    .venv/bin/python bench/xlsx.py [FEE_LINES] [--empty-rows N]      (default 100000, 0)

Builds a synthetic central (one hospital, FEE_LINES fee lines over 2,000 visits), writes it
with `write_central_xlsx` and reads it back with `load_xlsx_central` (every check of the
import, no store). Prints rows per second of both directions, file size and peak memory.
`--empty-rows N` appends N formatted empty rows to the fee sheet (Excel's "formatted to the
bottom": `<row r=".." s="1" customFormat="1"/>`). The read runs in a child process, so its
peak memory is its own; the baseline, in another child, is openpyxl's own read-only
`iter_rows(values_only=True)` over the same workbook with no checks at all.
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


def add_empty_rows(path: Path, sheet: str, n: int) -> None:
    """Append `n` formatted empty rows to `sheet` of the workbook at `path` (rewritten in place)."""
    import re
    import zipfile

    import openpyxl

    wb = openpyxl.load_workbook(path, read_only=True)
    part = wb[sheet]._worksheet_path
    wb.close()
    tmp = path.with_suffix(".tmp.xlsx")
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == part:
                text = data.decode("utf-8")
                last = max(int(m) for m in re.findall(r'<row r="(\d+)"', text))
                empty = "".join(f'<row r="{last + i}" s="1" customFormat="1" ht="15" customHeight="1"/>'
                                for i in range(1, n + 1))
                data = text.replace("</sheetData>", empty + "</sheetData>").encode("utf-8")
            dst.writestr(info, data)
    tmp.replace(path)


def child(kind: str, xlsx: Path, out: Path) -> None:
    t0, c0 = time.perf_counter(), time.process_time()
    if kind == "ours":
        load_xlsx_central(xlsx, out, HOSP)
    else:
        import openpyxl

        wb = openpyxl.load_workbook(xlsx, read_only=True, data_only=True)
        for ws in wb.worksheets:
            ws.reset_dimensions()
            for _row in ws.iter_rows(values_only=True):
                pass
        wb.close()
    # VmHWM, not ru_maxrss: Linux carries ru_maxrss across exec, so a child would report the
    # parent's peak (the workbook writer) instead of its own.
    peak = next(int(line.split()[1]) for line in open("/proc/self/status") if line.startswith("VmHWM:")) / 1024
    print(f"{time.perf_counter() - t0} {time.process_time() - c0} {peak}")


def _run_child(kind: str, xlsx: Path, out: Path) -> tuple[float, float, float]:
    import subprocess

    res = subprocess.run([sys.executable, __file__, "--child", kind, str(xlsx), str(out)],
                         capture_output=True, text=True, check=True)
    wall, cpu, peak = map(float, res.stdout.split()[-3:])
    return wall, cpu, peak


def main() -> None:
    import argparse
    import json

    ap = argparse.ArgumentParser()
    ap.add_argument("fee_lines", nargs="?", type=int, default=100_000)
    ap.add_argument("--empty-rows", type=int, default=0)
    ap.add_argument("--child", nargs=3, metavar=("KIND", "XLSX", "OUT"))
    args = ap.parse_args()
    if args.child:
        child(args.child[0], Path(args.child[1]), Path(args.child[2]))
        return
    fee_lines = args.fee_lines
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        total = build(d / "central.db", fee_lines)
        t0, c0 = time.perf_counter(), time.process_time()
        write_central_xlsx(d / "central.db", d / "extract.xlsx")
        t1, c1 = time.perf_counter(), time.process_time()
        if args.empty_rows:
            add_empty_rows(d / "extract.xlsx", "feedetl", args.empty_rows)
        size = (d / "extract.xlsx").stat().st_size
        wall, cpu, peak = _run_child("ours", d / "extract.xlsx", d / "staged.db")
        bwall, bcpu, bpeak = _run_child("baseline", d / "extract.xlsx", d / "unused.db")
    print(f"{total:,} rows ({fee_lines:,} fee lines) + {args.empty_rows:,} formatted empty rows, "
          f"workbook {size / 1e6:.1f} MB")
    print(f"write: {t1 - t0:.1f} s wall, {c1 - c0:.1f} s cpu, {total / (c1 - c0):,.0f} rows/s cpu")
    print(f"check + stage: {wall:.1f} s wall, {cpu:.1f} s cpu, {total / cpu:,.0f} rows/s cpu, peak {peak:.0f} MB")
    print(f"baseline openpyxl iter_rows (no checks): {bwall:.1f} s wall, {bcpu:.1f} s cpu, peak {bpeak:.0f} MB")
    print(f"ratio cpu ours/baseline {cpu / bcpu:.2f}, memory ours/baseline {peak / bpeak:.2f}")
    print(json.dumps({"rows": total, "empty_rows": args.empty_rows, "check_stage_cpu_s": round(cpu, 2),
                      "peak_mb": round(peak, 1), "baseline_cpu_s": round(bcpu, 2), "baseline_peak_mb": round(bpeak, 1),
                      "cpu_ratio": round(cpu / bcpu, 2), "memory_ratio": round(peak / bpeak, 2)}))


if __name__ == "__main__":
    main()
