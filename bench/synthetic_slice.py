"""A synthetic hospital-scale slice written straight into a local store (about 1M fee lines).

Used by bench/screen.py when the demo central is not available. Deterministic for a seed;
rows are generated in batches, so memory stays small. Every rule has some hits: readmissions,
overlapping stays, lines outside stays, over the ceiling or the daily limit, bed-only runs,
days above the approved beds, ledgers going negative and counts that differ.
"""
from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from inspector.db import open_store
from inspector.snapshot import NewInspection, TableFeed, write_snapshot

INST = "H61010000001"
D0 = date(2026, 8, 3)
D1 = date(2026, 10, 31)
V = datetime(2026, 11, 2, 10, 0, 0)
FMT = "%Y-%m-%d %H:%M:%S"


def _t(dt: datetime) -> str:
    return dt.strftime(FMT)


def _amount(cnt: int, pric: int) -> int:
    """cnt (1/100) x pric (1/10000) rounded half-up to cents, as the contract states."""
    return int((Decimal(cnt * pric) / Decimal(10000)).quantize(Decimal(1), rounding=ROUND_HALF_UP))


class Catalogue:
    def __init__(self, rng: random.Random) -> None:
        self.services: list[tuple[str, str, int, int | None, int | None]] = []  # code, type, price, ceiling, limit
        self.drugs: list[tuple[str, int]] = []                                 # code, price
        self.rows: list[tuple] = []
        self.rows.append(("S0001", "床位费", "201", None, "日", "01", 0, 800000, None))
        self.rows.append(("S0002", "护理费", "201", None, "日", "01", 0, 300000, None))
        for i in range(3, 400):
            code = f"S{i:04d}"
            typ = rng.choice(["03", "04", "05", "06", "08", "12", "14"])
            price = rng.choice([50000, 120000, 250000, 800000, 1500000, 3800000])
            ceiling = price if rng.random() < 0.4 else None
            limit = rng.choice([100, 200, 300]) if rng.random() < 0.25 else None
            self.services.append((code, typ, price, ceiling, limit))
            self.rows.append((code, f"项目{i}", "201", None, "次", "01", 0, ceiling, limit))
        for i in range(600):
            code = ("X" + f"{i:022d}") if i < 500 else ("Z" + f"{i:019d}")
            price = rng.choice([1250, 5600, 12345, 35000, 98000, 250000])
            self.drugs.append((code, price))
            self.rows.append((code, f"药品{i}", "101", "规格", "片", rng.choice(["01", "02", "03"]), 0,
                              price if rng.random() < 0.3 else None, None))


def build_synthetic_store(path, *, seed: int = 1, stays: int = 9000, outpatients: int = 50000, beds: int = 700) -> int:
    """Write the synthetic slice as a new inspection in the store at `path`; returns its id."""
    rng = random.Random(seed)
    cat = Catalogue(rng)
    mdtrt: list[tuple] = []
    medrcd: list[tuple] = []
    persons: list[tuple] = []
    plans: list[tuple] = []          # (mdtrt_id, psn, begin, end_or_None, kind) drives the fee generator

    def person(n: int) -> str:
        return f"P{n:07d}"

    # inpatient stays: chains per person, with planted readmissions and overlaps
    n_person = 0
    made = 0
    start0 = datetime.combine(D0, datetime.min.time()) - timedelta(days=30)
    span = (V - start0).total_seconds()
    while made < stays:
        n_person += 1
        psn = person(n_person)
        persons.append((psn, f"患者{n_person}", "1", "1960-01-01", "610102********0000", "0" * 64, "310"))
        begin = start0 + timedelta(seconds=rng.random() * span * 0.9)
        for _ in range(rng.choice([1, 1, 1, 2, 2, 3])):
            if made >= stays or begin >= V:
                break
            made += 1
            mid = f"M{made:07d}"
            days = max(1, int(rng.expovariate(1 / 8)))
            end = begin + timedelta(days=days, hours=rng.randint(-5, 5))
            if end <= begin:
                end = begin + timedelta(hours=6)
            open_stay = end > V
            diag = rng.choice(["J18.9", "I10", "K35.8", "E11.9", "I63.9", "N18.5"])
            kind = "normal"
            r = rng.random()
            if r < 0.01:
                kind = "bed_only"
            elif r < 0.013:
                kind = "outside"
            mdtrt.append((mid, INST, psn, "21", f"IPT{made}", _t(begin), None if open_stay else _t(end), "W01", "1",
                          diag, "诊断", "D001", "医生", "DEP1"))
            if not open_stay:
                medrcd.append((mid, INST, psn, f"IPT{made}", _t(begin), _t(end), days, diag, "诊断", None, "DEP1",
                               "D001", 0))
            plans.append((mid, psn, begin, None if open_stay else end, kind))
            if open_stay:
                break
            gap = rng.random()
            if gap < 0.05:
                begin = end + timedelta(days=rng.randint(0, 10), hours=rng.randint(0, 12))   # readmission
            elif gap < 0.06:
                begin = end - timedelta(hours=rng.randint(1, 30))                             # overlap
            else:
                begin = end + timedelta(days=rng.randint(15, 90))
    inpatients = len(plans)
    for i in range(outpatients):
        n_person += 1
        psn = person(n_person)
        persons.append((psn, f"门诊{i}", "2", "1980-01-01", "610102********0000", "0" * 64, "390"))
        begin = datetime.combine(D0, datetime.min.time()) + timedelta(seconds=rng.random() * 90 * 86400)
        mid = f"O{i:07d}"
        mdtrt.append((mid, INST, psn, "11", None, _t(begin), _t(begin + timedelta(minutes=30)), None, None,
                      "J06.9", "上感", "D002", "医生", "DEP2"))
        plans.append((mid, psn, begin, begin + timedelta(minutes=30), "outpatient"))

    def fee_batches() -> Iterator[list[tuple]]:
        frng = random.Random(seed + 1)
        batch: list[tuple] = []
        sn = 0
        w0 = datetime.combine(D0, datetime.min.time()) - timedelta(days=30)
        for mid, psn, begin, end, kind in plans:
            if kind == "outpatient":
                for _ in range(frng.randint(1, 4)):
                    code, typ, price, ceiling, limit = frng.choice(cat.services)
                    sn += 1
                    cnt = 100
                    pric = price + (100 if ceiling is not None and frng.random() < 0.002 else 0)
                    batch.append((f"F{sn:09d}", mid, INST, psn, _t(begin + timedelta(minutes=5)), code, typ, cnt, pric,
                                  _amount(cnt, pric), None, None))
                if len(batch) >= 20000:
                    yield batch
                    batch = []
                continue
            last = (end or V) - timedelta(seconds=1)
            day = begin.date()
            k = 0
            while datetime.combine(day, datetime.min.time()) <= last:
                t0 = max(begin, datetime.combine(day, datetime.min.time()))
                bed_only = kind == "bed_only" and k >= 1
                lines = [("S0001", "01", 100, 800000), ("S0002", "07", 100, 300000)]
                if not bed_only:
                    for _ in range(frng.randint(4, 14)):
                        if frng.random() < 0.5:
                            code, price = frng.choice(cat.drugs)
                            lines.append((code, "09", frng.choice([100, 200, 300, 50]), price))
                        else:
                            code, typ, price, ceiling, limit = frng.choice(cat.services)
                            if ceiling is not None and frng.random() < 0.002:
                                price += 1
                            cnt = 100
                            if limit is not None and frng.random() < 0.01:
                                cnt = limit + 100
                            lines.append((code, typ, cnt, price))
                for code, typ, cnt, pric in lines:
                    sn += 1
                    when = t0 + timedelta(minutes=frng.randint(0, 600))
                    if when > last:
                        when = last
                    if kind == "outside" and k == 0 and code == "S0002":
                        when = begin - timedelta(hours=3)
                    batch.append((f"F{sn:09d}", mid, INST, psn, _t(when), code, typ, cnt, pric, _amount(cnt, pric),
                                  None, None))
                k += 1
                day += timedelta(days=1)
            if frng.random() < 0.01:  # a reversal of the first bed line
                sn += 1
                batch.append((f"F{sn:09d}", mid, INST, psn, _t(begin + timedelta(hours=1)), "S0001", "01", -100, 800000,
                              -8000, None, None))
            if len(batch) >= 20000:
                yield batch
                batch = []
        if batch:
            yield batch

    inv, purc, sel = [], [], []
    drng = random.Random(seed + 2)
    opening_day = D0 - timedelta(days=2)
    n_mv = 0
    for code, price in cat.drugs:
        balance = drng.randint(50, 400) * 100
        has_opening = drng.random() < 0.9
        if has_opening:
            inv.append((INST, code, opening_day.isoformat(), balance))
        else:
            balance = 0
        t = datetime.combine(opening_day if has_opening else D0, datetime.min.time())
        counts = [date(2026, 9, 1), date(2026, 10, 1), date(2026, 10, 15)]
        while t < V:
            t += timedelta(minutes=drng.randint(60, 900))
            while counts and t >= datetime.combine(counts[0], datetime.min.time()):
                declared = balance if drng.random() > 0.05 else balance + drng.choice([-500, -150, 300, 2000])
                inv.append((INST, code, counts.pop(0).isoformat(), declared))
            n_mv += 1
            if balance < 3000 and drng.random() < 0.97:
                q = drng.randint(100, 400) * 100
                purc.append((f"PU{n_mv:08d}", INST, code, "供应商", "L1", q, price * 8 // 10, _t(t), "0"))
                balance += q
            elif drng.random() < 0.01:
                q = 1000
                purc.append((f"PU{n_mv:08d}", INST, code, "供应商", "L1", q, price * 8 // 10, _t(t), "1"))
                balance -= q
            else:
                q = drng.choice([100, 200, 300, 600])
                ret = drng.random() < 0.02
                sel.append((f"SE{n_mv:08d}", INST, code, q, price, _t(t), None, None, "1" if ret else "0"))
                balance += q if ret else -q

    def batches(rows: list[tuple], size: int = 20000) -> Iterator[list[tuple]]:
        for i in range(0, len(rows), size):
            yield rows[i:i + size]

    fix = [(INST, "示范医院", "1", "3", "610100", beds, "地址", "A", "active")]
    feeds = {
        "fixmedins": TableFeed(1, [fix]),
        "psn_info": TableFeed(len(persons), batches(persons)),
        "med_list": TableFeed(len(cat.rows), [cat.rows]),
        "mdtrt": TableFeed(len(mdtrt), batches(mdtrt)),
        "medrcd": TableFeed(len(medrcd), batches(medrcd)),
        "feedetl": TableFeed(None, fee_batches()),
        "drug_inv": TableFeed(len(inv), batches(inv)),
        "drug_purc": TableFeed(len(purc), batches(purc)),
        "drug_sel": TableFeed(len(sel), batches(sel)),
    }
    meta = {"schema_version": "1", "extract_id": f"SYNTH-{seed}", "created_at": _t(V), "certno_salt": "s",
            "admdvs": "610100"}
    engine = open_store(path)
    try:
        r = write_snapshot(engine, NewInspection(INST, D0, D1, V), source_kind="central", source="synthetic",
                           extract_meta=meta, feeds=feeds)
    finally:
        engine.dispose()
    print(f"synthetic slice: {inpatients} stays, {outpatients} outpatient visits, "
          f"{r.row_counts['feedetl']:,} fee lines, {len(sel):,} sales, {len(purc):,} purchases")
    return r.inspection_id
