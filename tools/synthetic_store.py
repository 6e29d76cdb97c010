"""A small deterministic store for tests, screenshots and benchmarks before the demo exists.

`make_store(path, n_fee)` writes one inspection through the real snapshot writer.
"""
from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path

from inspector.db import open_store
from inspector.snapshot import NewInspection, TableFeed, write_snapshot

CODE = "H61010200001"
SALT = "s"
_FMT = "%Y-%m-%d %H:%M:%S"
_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def synthetic_certno(i: int) -> str:
    """Person i's (made-up but well-formed) 18-character resident ID number."""
    first17 = f"61010219700101{i % 1000:03d}"
    return first17 + "10X98765432"[sum(int(c) * w for c, w in zip(first17, _WEIGHTS)) % 11]


def _certno_hash(certno: str) -> str:
    import hashlib

    return hashlib.sha256((SALT + certno).encode("utf-8")).hexdigest()


def _fee_batches(n_fee: int, n_visits: int, meds: list[tuple], t0: datetime) -> Iterator[list[tuple]]:
    batch: list[tuple] = []
    for j in range(n_fee):
        v = j % n_visits
        code = meds[j % len(meds)][0]
        cnt, pric = 100 + (j % 7) * 50, 1234 + j % 100  # 1/100 units and 1/10000 yuan
        amount = (cnt * pric + 5000) // 10000           # cents, half-up
        batch.append((f"F{j:08d}", f"M{v:06d}", CODE, f"P{v:05d}",
                      (t0 + timedelta(seconds=j * 7)).strftime(_FMT), code,
                      "09" if code.startswith("X") else "01", cnt, pric, amount, "D1", "D01"))
        if len(batch) == 20_000:
            yield batch
            batch = []
    if batch:
        yield batch


def synthetic_feeds(n_fee: int = 3000, n_visits: int = 40) -> dict[str, TableFeed]:
    """One hospital, two wards, persons, visits, fee lines and a few drugs."""
    fix = [(CODE, "测试医院", "1", "2", "610102", 60, "西安市", "A", "active")]
    wards = [(CODE, "W01", "内科一病区", "D01", "内科", 30), (CODE, "W02", "外科病区", "D02", "外科", 30)]
    persons = [(f"P{i:05d}", f"病人{i}", "1" if i % 2 else "2", "1970-01-01",
                synthetic_certno(i)[:6] + "********" + synthetic_certno(i)[-4:], _certno_hash(synthetic_certno(i)), "310")
               for i in range(n_visits)]
    meds = [("X" + f"{i:022d}", f"药品{i}", "101", "10mg", "片", "01", 0, 1000, None) for i in range(20)]
    meds.append(("C0001", "床位费", "201", None, "日", "01", 0, None, 100))
    t0 = datetime(2026, 8, 1, 8, 0, 0)
    visits = []
    for i in range(n_visits):
        beg = t0 + timedelta(days=i % 30)
        visits.append((f"M{i:06d}", CODE, f"P{i:05d}", "21", f"IPT{i}", beg.strftime(_FMT),
                       None if i % 3 else (beg + timedelta(days=5)).strftime(_FMT),
                       "W01" if i % 2 else "W02", str(i % 30 + 1), "I10", "高血压", "D1", "张医生", "D01"))
    drugs = [m[0] for m in meds if m[0].startswith("X")]
    inv = [(CODE, code, "2026-07-31", 100_00 + k * 1000) for k, code in enumerate(drugs)]
    purc = [(f"PU{k:04d}", CODE, code, "供应商", f"L{k}", 50_00, 1100, "2026-08-10 09:00:00", "0")
            for k, code in enumerate(drugs)]
    sel = []
    for k, code in enumerate(drugs):
        for j in range(k % 5 + 1):
            sel.append((f"SE{k:04d}{j}", CODE, code, (j + 1) * 3_00, 1234, f"2026-09-{j + 1:02d} 10:00:00",
                        f"M{j:06d}", f"TR{k:04d}{j}", "0"))
    medrcd = []
    for i, v in enumerate(visits):
        if v[6] is not None:
            medrcd.append((v[0], CODE, v[2], v[4], v[5], v[6], 5, "I10", "高血压", None, "D01", "D1", 12345_67))
    return {
        "fixmedins": TableFeed(len(fix), [fix]),
        "drug_inv": TableFeed(len(inv), [inv]),
        "drug_purc": TableFeed(len(purc), [purc]),
        "drug_sel": TableFeed(len(sel), [sel]),
        "medrcd": TableFeed(len(medrcd), [medrcd]),
        "wards": TableFeed(len(wards), [wards]),
        "psn_info": TableFeed(len(persons), [persons]),
        "med_list": TableFeed(len(meds), [meds]),
        "mdtrt": TableFeed(len(visits), [visits]),
        "feedetl": TableFeed(n_fee, _fee_batches(n_fee, n_visits, meds, t0)),
    }


def make_store(path: Path, n_fee: int = 3000, n_visits: int = 40) -> tuple[Path, int]:
    """Write a store at `path` with one inspection; returns (path, snapshot id)."""
    engine = open_store(path)
    res = write_snapshot(
        engine,
        NewInspection(CODE, date(2026, 8, 1), date(2026, 10, 31), datetime(2026, 11, 3, 10, 0, 0)),
        source_kind="xlsx", source="synthetic.xlsx",
        extract_meta={"extract_id": "synthetic-1", "schema_version": "1", "certno_salt": SALT, "admdvs": "610102"},
        feeds=synthetic_feeds(n_fee, n_visits),
    )
    engine.dispose()
    return path, res.snapshot_id
