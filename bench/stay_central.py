"""A central database of long and repeated stays, for the screening and sync benchmarks.

    .venv/bin/python bench/stay_central.py --out FILE --shape long|3y [--seed N]

Beds are simulated one by one: each bed holds one stay after another, with a short gap.
Stays are short (2-10 days), medium (11-59) or long (60-200); a pool of frequent patients
comes back again and again (persons with five or more stays, readmissions within days,
and, when a frequent patient is admitted on a second bed before leaving the first, stays
that overlap). Stays still running at the visit time are open (no endtime): with thousands
of beds that is thousands of stays open for 60-200 days. Every stay-day bills a bed and a
nursing line and, on most days, drugs, exams or treatments; a few lines are priced above
the ceiling, beyond a daily limit or outside the stay. A small second institution and a
drug ledger complete the contract tables.

Shapes (`SHAPES`): "long" — 3,000 beds, a 90-day window, about 1 M fee lines in the
slice; "3y" — 1,000 beds over three years, about 3 M fee lines in the window (the benchmarks
also sync its first one and two years for the 1 M / 2 M points of the time curve).
Writes FILE and FILE.manifest.json (institution, window, visit time, row counts).
"""
from __future__ import annotations

import argparse
import hashlib
import json
import random
import sqlite3
import sys
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.support.central_db import schema_statements  # noqa: E402

MAIN = "H61019900001"
OTHER = "H61019900002"
TS = "%Y-%m-%d %H:%M:%S"

SHAPES = {
    "long": {"beds": 3000, "date_from": "2026-01-01", "date_to": "2026-03-31", "visit_time": "2026-04-08 10:00:00",
             "history_days": 210, "outpatients_per_day": 150, "long_share": 0.16, "extra_lines": 2.6},
    "3y": {"beds": 1000, "date_from": "2023-01-01", "date_to": "2025-12-31", "visit_time": "2026-01-08 10:00:00",
           "history_days": 60, "outpatients_per_day": 120, "long_share": 0.05, "extra_lines": 1.2},
}

# (code, name, type, price, ceiling, daily limit)
ITEMS = [
    ("B0001", "普通床位费", "01", "45.00", "50.00", "1"),
    ("N0001", "一级护理", "07", "28.00", None, "2"),
    ("N0002", "二级护理", "07", "18.00", None, "2"),
    ("E0001", "血常规", "04", "20.00", "25.00", "2"),
    ("E0002", "胸部CT", "03", "260.00", "280.00", "1"),
    ("T0001", "静脉输液", "05", "8.50", "10.00", "6"),
    ("T0002", "换药", "05", "15.00", None, "3"),
    ("C0001", "住院诊查费", "02", "10.00", None, "1"),
] + [(f"X{k:05d}", f"西药{k}", "09", f"{3 + (k * 7) % 90}.{k % 100:02d}", None, None) for k in range(40)]
DRUGS = [i for i in ITEMS if i[0].startswith("X")]


def _cents(cnt: Decimal, pric: Decimal) -> float:
    return float((cnt * pric).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


class Writer:
    def __init__(self, path: Path) -> None:
        path.unlink(missing_ok=True)
        self.con = sqlite3.connect(path)
        self.con.execute("PRAGMA journal_mode=OFF")
        self.con.execute("PRAGMA synchronous=OFF")
        for stmt in schema_statements():
            self.con.execute(stmt)
        self.buf: dict[str, list[tuple]] = {}
        self.counts: dict[str, int] = {}

    def add(self, table: str, row: tuple) -> None:
        rows = self.buf.setdefault(table, [])
        rows.append(row)
        if len(rows) >= 50_000:
            self.flush(table)

    def flush(self, table: str) -> None:
        rows = self.buf.get(table)
        if rows:
            self.con.executemany(f"INSERT INTO {table} VALUES ({', '.join('?' * len(rows[0]))})", rows)
            self.counts[table] = self.counts.get(table, 0) + len(rows)
            rows.clear()

    def close(self) -> None:
        for t in list(self.buf):
            self.flush(t)
        self.con.commit()
        self.con.close()


def build(out: Path, shape: str, seed: int = 1) -> dict:
    """Write the central of `shape` to `out`; returns the manifest."""
    cfg = SHAPES[shape]
    rnd = random.Random(seed)
    w = Writer(out)
    d0 = date.fromisoformat(cfg["date_from"])
    d1 = date.fromisoformat(cfg["date_to"])
    visit = datetime.strptime(cfg["visit_time"], TS)
    start = datetime.combine(d0, datetime.min.time()) - timedelta(days=cfg["history_days"])
    beds = cfg["beds"]

    for k, v in (("schema_version", "1"), ("extract_id", f"STAYS-{shape}-{seed}"), ("created_at", visit.strftime(TS)),
                 ("certno_salt", "stays-salt"), ("admdvs", "610100")):
        w.add("extract_meta", (k, v))
    w.add("fixmedins", (MAIN, "长住院测试医院", "1", "3", "610100", beds - beds // 50, "测试路1号", "A", "active"))
    w.add("fixmedins", (OTHER, "第二测试医院", "1", "2", "610100", 40, "测试路2号", "B", "active"))
    n_wards = max(1, beds // 40)
    for k in range(n_wards):
        w.add("wards", (MAIN, f"W{k:03d}", f"病区{k}", f"D{k % 30:02d}", f"科室{k % 30}", 40))
    w.add("wards", (OTHER, "W000", "病区0", "D00", "科室0", 40))
    for code, name, typ, price, ceiling, limit in ITEMS:
        w.add("med_list", (code, name, "101" if code.startswith("X") else "201", None, "次", "01", 0,
                           float(ceiling) if ceiling else None, float(limit) if limit else None))

    persons: list[str] = []

    def person() -> str:
        p = f"PS{len(persons):09d}"
        persons.append(p)
        certno = f"610102{1950 + len(persons) % 60}0101{len(persons) % 10000:04d}"
        w.add("psn_info", (p, f"患者{len(persons)}", "12"[len(persons) % 2], f"{1940 + len(persons) % 70}-01-01",
                           certno[:6] + "********" + certno[-4:],
                           hashlib.sha256(("stays-salt" + certno).encode()).hexdigest(), "310"))
        return p

    frequent = [person() for _ in range(max(50, beds // 4))]
    fee_sn = 0
    n_stay = 0
    pr = {code: (Decimal(price), typ) for code, _, typ, price, _, _ in ITEMS}

    def fee(mdtrt: str, psn: str, when: datetime, code: str, cnt: str = "1", price: Decimal | None = None) -> None:
        nonlocal fee_sn
        fee_sn += 1
        p, typ = pr[code]
        p = price if price is not None else p
        c = Decimal(cnt)
        w.add("feedetl", (f"F{fee_sn:011d}", mdtrt, MAIN, psn, when.strftime(TS), code, typ, float(c), float(p),
                          _cents(c, p), "DR001", "D01"))

    def stay(psn: str, begin: datetime, end: datetime, bed: int) -> None:
        nonlocal n_stay
        n_stay += 1
        mid = f"M{n_stay:010d}"
        open_ = end > visit
        ward = f"W{bed // 40 % n_wards:03d}"
        diag = rnd.choice(("J18.9", "I10", "E11.9", "I63.9", "N18.5"))
        w.add("mdtrt", (mid, MAIN, psn, "21", f"IPT{n_stay:08d}", begin.strftime(TS), None if open_ else end.strftime(TS),
                        ward, str(bed % 40 + 1), diag, "诊断", "DR001", "医生", "D01"))
        last = min(end, visit)
        total = Decimal(0)
        day = begin.replace(hour=9, minute=0, second=0)
        n_day = 0
        while day <= last:
            bed_only = n_day > 14 and rnd.random() < 0.7      # long stays: mostly bed and nursing
            fee(mid, psn, day, "B0001")
            fee(mid, psn, day.replace(hour=9, minute=5), "N0001" if n_day < 7 else "N0002")
            if not bed_only:
                for j in range(int(cfg["extra_lines"] + rnd.random() * 1.5)):
                    code = rnd.choice(DRUGS)[0] if rnd.random() < 0.6 else rnd.choice(("E0001", "T0001", "T0002", "C0001"))
                    cnt = "2" if code == "T0001" else "1"
                    price = None
                    r = rnd.random()
                    if code == "E0001" and r < 0.01:
                        price = Decimal("27.50")                 # above the ceiling (S5)
                    if code == "T0001" and r < 0.01:
                        cnt = "8"                                # beyond the daily limit (S3)
                    fee(mid, psn, day.replace(hour=10 + j % 8, minute=j), code, cnt, price)
            total += 1
            day += timedelta(days=1)
            n_day += 1
        if rnd.random() < 0.01:
            fee(mid, psn, begin - timedelta(hours=5), "E0002")  # before admission (S4)
        if not open_:
            w.add("medrcd", (mid, MAIN, psn, f"IPT{n_stay:08d}", begin.strftime(TS), end.strftime(TS),
                             max(1, (end - begin).days), diag, "出院诊断", None, "D01", "DR001", 1000.0))
            w.add("setl", (f"S{mid}", mid, MAIN, psn, end.strftime(TS), 1000.0, 700.0, 0.0, 300.0, 0.0))
            if (end - begin).days > 20 and rnd.random() < 0.05:
                lb = begin + timedelta(days=3)
                w.add("leave_rec", (f"L{mid}", mid, lb.strftime(TS), (lb + timedelta(hours=8)).strftime(TS), "回家"))

    # Beds: stays one after another; frequent patients come back within days, or on another bed.
    horizon = visit + timedelta(days=1)
    keep_from = datetime.combine(d0, datetime.min.time()) - timedelta(days=35)
    for bed in range(beds):
        t = start - timedelta(days=rnd.randint(0, 200), hours=rnd.randint(0, 23))
        psn = None
        while t < horizon:
            r = rnd.random()
            days = rnd.randint(60, 200) if r < cfg["long_share"] else rnd.randint(11, 59) if r < 0.3 else rnd.randint(2, 10)
            end = t + timedelta(days=days, hours=rnd.randint(0, 6))
            if psn is None:
                psn = rnd.choice(frequent) if rnd.random() < 0.35 else person()
            if end > keep_from:                        # the slice's stays and the 30 days before
                stay(psn, t, end, bed)
            gap = timedelta(days=rnd.randint(0, 3), hours=rnd.randint(1, 20))
            t = end + gap
            # a readmission of the same person within days, or someone new (often a frequent patient)
            psn = psn if rnd.random() < 0.12 else None
        if bed % 50 == 0:
            print(f"  bed {bed}/{beds}: {fee_sn:,} fee lines", file=sys.stderr, end="\r")

    # Outpatient visits: one to three lines each.
    n_out = 0
    day = start
    while day < horizon:
        for _ in range(cfg["outpatients_per_day"]):
            n_out += 1
            mid = f"O{n_out:010d}"
            psn = rnd.choice(frequent) if rnd.random() < 0.2 else person()
            b = day.replace(hour=8 + rnd.randint(0, 9), minute=rnd.randint(0, 59))
            w.add("mdtrt", (mid, MAIN, psn, "11", None, b.strftime(TS), (b + timedelta(minutes=30)).strftime(TS),
                            None, None, "J06.9", "上感", "DR002", "医生", "D02"))
            for j in range(rnd.randint(1, 3)):
                fee(mid, psn, b + timedelta(minutes=j), rnd.choice(DRUGS)[0])
            w.add("setl", (f"S{mid}", mid, MAIN, psn, b.strftime(TS), 50.0, 30.0, 0.0, 20.0, 0.0))
        day += timedelta(days=1)
    # The other institution: a few stays that the slice must leave out.
    for k in range(50):
        psn = frequent[k]
        b = start + timedelta(days=k * 3)
        mid = f"Q{k:010d}"
        w.add("mdtrt", (mid, OTHER, psn, "21", None, b.strftime(TS), (b + timedelta(days=4)).strftime(TS), "W000", "1",
                        "I10", "诊断", "DR9", "医生", "D00"))
        fee_sn += 1
        w.add("feedetl", (f"F{fee_sn:011d}", mid, OTHER, psn, b.strftime(TS), "B0001", "01", 1.0, 45.0, 45.0, None, None))

    # Drug ledger: a count on the first of each month, purchases weekly, sales daily.
    sel = purc = 0
    for code, *_rest in DRUGS:
        p = float(pr[code][0])
        stock = 1000
        day = start
        while day < horizon:
            if day.day == 1:
                declared = stock + (rnd.randint(-30, -5) if rnd.random() < 0.03 else 0)
                w.add("drug_inv", (MAIN, code, day.strftime("%Y-%m-%d"), float(declared)))
                stock = declared
            if day.weekday() == 0:
                purc += 1
                n = rnd.randint(200, 400)
                stock += n
                w.add("drug_purc", (f"PU{purc:09d}", MAIN, code, "供应商", "LOT1", float(n), p * 0.8,
                                    (day + timedelta(hours=8)).strftime(TS), "0"))
            sel += 1
            n = rnd.randint(20, 60)
            stock -= n
            w.add("drug_sel", (f"SE{sel:010d}", MAIN, code, float(n), p, (day + timedelta(hours=15)).strftime(TS),
                               None, None, "0"))
            day += timedelta(days=1)
    w.close()
    con = sqlite3.connect(out)
    w0 = f"{d0} 00:00:00"
    w1 = f"{d1 + timedelta(days=1)} 00:00:00"
    in_window = con.execute("SELECT count(*) FROM feedetl WHERE fixmedins_code = ? AND fee_ocur_time >= ? "
                            "AND fee_ocur_time < ?", (MAIN, w0, w1)).fetchone()[0]
    open_long = con.execute("SELECT count(*) FROM mdtrt WHERE fixmedins_code = ? AND med_type = '21' AND endtime IS NULL "
                            "AND julianday(?) - julianday(begntime) >= 60", (MAIN, visit.strftime(TS))).fetchone()[0]
    many = con.execute("SELECT count(*) FROM (SELECT psn_no FROM mdtrt WHERE med_type = '21' GROUP BY psn_no "
                       "HAVING count(*) >= 5)").fetchone()[0]
    con.close()
    manifest = {"shape": shape, "seed": seed, "main_institution": MAIN, "date_from": cfg["date_from"],
                "date_to": cfg["date_to"], "visit_time": cfg["visit_time"], "row_counts": w.counts,
                "feedetl_in_window": in_window, "open_stays_60_days_or_more": open_long, "persons_with_5_stays": many}
    Path(f"{out}.manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")
    return manifest


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--shape", choices=sorted(SHAPES), required=True)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    m = build(args.out, args.shape, args.seed)
    print(json.dumps({k: v for k, v in m.items() if k != "row_counts"} | {"fee_lines": m["row_counts"]["feedetl"]}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
