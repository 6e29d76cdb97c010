"""UI test fixtures: a real store with a small synthetic snapshot, and an app context."""
from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path

import pytest

from inspector.db import open_store
from inspector.snapshot import NewInspection, TableFeed, write_snapshot

CODE = "H61010200001"


def synthetic_feeds(n_fee: int = 3000, n_visits: int = 40) -> dict[str, TableFeed]:
    """A tiny, deterministic slice: one hospital, two wards, persons, visits, fee lines, drugs."""
    fix = [(CODE, "测试医院", "1", "2", "610102", 60, "西安市", "A", "active")]
    wards = [(CODE, "W01", "内科一病区", "D01", "内科", 30), (CODE, "W02", "外科病区", "D02", "外科", 30)]
    persons = [(f"P{i:05d}", f"病人{i}", "1" if i % 2 else "2", "1970-01-01", f"610102********{i:04d}", f"h{i}", "310")
               for i in range(n_visits)]
    meds = [("X" + f"{i:022d}", f"药品{i}", "101", "10mg", "片", "01", 0, 1000, None) for i in range(20)]
    meds.append(("C0001", "床位费", "201", None, "日", "01", 0, None, 100))
    t0 = datetime(2026, 8, 1, 8, 0, 0)
    visits = []
    for i in range(n_visits):
        beg = t0 + timedelta(days=i % 30)
        visits.append((f"M{i:06d}", CODE, f"P{i:05d}", "21", f"IPT{i}", beg.strftime("%Y-%m-%d %H:%M:%S"),
                       None if i % 3 else (beg + timedelta(days=5)).strftime("%Y-%m-%d %H:%M:%S"),
                       "W01" if i % 2 else "W02", str(i % 30 + 1), "I10", "高血压", "D1", "张医生", "D01"))
    fees = []
    for j in range(n_fee):
        v = j % n_visits
        code = meds[j % len(meds)][0]
        cnt, pric = 100 + (j % 7) * 50, 1234 + j % 100  # 1/100 units and 1/10000 yuan
        amount = (cnt * pric + 5000) // 10000           # cents, half-up
        fees.append((f"F{j:08d}", f"M{v:06d}", CODE, f"P{v:05d}",
                     (t0 + timedelta(minutes=j)).strftime("%Y-%m-%d %H:%M:%S"), code,
                     "09" if code.startswith("X") else "01", cnt, pric, amount, "D1", "D01"))
    return {
        "fixmedins": TableFeed(len(fix), [fix]),
        "wards": TableFeed(len(wards), [wards]),
        "psn_info": TableFeed(len(persons), [persons]),
        "med_list": TableFeed(len(meds), [meds]),
        "mdtrt": TableFeed(len(visits), [visits]),
        "feedetl": TableFeed(len(fees), [fees[i:i + 1000] for i in range(0, len(fees), 1000)]),
    }


def make_store(path: Path, n_fee: int = 3000) -> tuple[Path, int]:
    """Write a store at `path` with one inspection; returns (path, snapshot id)."""
    engine = open_store(path)
    res = write_snapshot(
        engine,
        NewInspection(CODE, date(2026, 8, 1), date(2026, 10, 31), datetime(2026, 11, 3, 10, 0, 0)),
        source_kind="xlsx", source="synthetic.xlsx",
        extract_meta={"extract_id": "test-1", "schema_version": "1", "certno_salt": "s", "admdvs": "610102"},
        feeds=synthetic_feeds(n_fee),
    )
    engine.dispose()
    return path, res.snapshot_id


@pytest.fixture
def store_path(tmp_path) -> Path:
    return make_store(tmp_path / "store.db")[0]


@pytest.fixture
def ctx(qapp, tmp_path, store_path):
    """An ApplicationContext on the synthetic store with its own settings file."""
    from inspector import i18n
    from ui.context import create_context

    context = create_context(store_path, tmp_path / "settings.ini")
    yield context
    context.close()
    i18n.set_language(i18n.DEFAULT_LANGUAGE)
