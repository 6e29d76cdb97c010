"""Every screening statement runs the intended plan whatever the store's statistics say:
none (a fresh store), real ones (ANALYZE after the snapshot is written), or statistics that
make the wrong index look best; and the store the shipped `sync` command leaves behind
screens with those plans too."""
from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import pytest

from inspector.db import open_store
from inspector.screening.base import context_for
from inspector.screening.plans import INTENDED, check_plans
from inspector.screening.runner import screening_settings
from inspector.settings import default_settings
from tests.core.slice_builder import SliceBuilder

ROOT = Path(__file__).resolve().parents[2]


def _slice() -> SliceBuilder:
    """A small hospital with long open stays, persons with many stays, overlaps and readmissions."""
    b = SliceBuilder(beds=20)
    b.item("C001", limit="2")
    b.item("P001", ceiling="10")
    for p in range(12):
        psn = f"P{p:02d}"
        for k in range(5):
            day = 1 + 5 * k + p % 3
            b.stay(f"V{p:02d}{k}", f"2026-10-{day:02d} 08:00:00", f"2026-10-{day + 3:02d} 09:00:00" if k < 4 else None,
                   psn=psn, diag="I10")
            b.fee(f"V{p:02d}{k}", f"2026-10-{day:02d} 09:00:00", "3", item="C001")
            b.fee(f"V{p:02d}{k}", f"2026-10-{day + 1:02d} 10:00:00", "1", "12", item="P001")
    b.stay("LONG", "2026-07-01 08:00:00", None, psn="P99")             # open for months
    b.fee("LONG", "2026-10-03 08:00:00", "1", "50", type="01")
    b.stay("OUT", "2026-10-05 08:00:00", "2026-10-05 09:00:00", psn="P98", med_type="11")
    b.fee("OUT", "2026-10-05 08:30:00", "1", "5")
    b.inv("D1", "2026-09-30", "10")
    b.purc("D1", "2026-10-02 08:00:00", "5")
    b.sel("D1", "2026-10-03 08:00:00", "20")
    for k in range(40):
        b.sel(f"D{k % 4}", f"2026-10-{4 + k % 20:02d} 08:{k:02d}:00", "1")
    return b


def _context(engine, iid: int):
    with engine.connect() as conn:
        insp = conn.exec_driver_sql("SELECT fixmedins_code, date_from, date_to, visit_time FROM inspection WHERE id = ?",
                                    (iid,)).one()
        sid = conn.exec_driver_sql("SELECT max(id) FROM snapshot WHERE inspection_id = ?", (iid,)).scalar()
    day = lambda s: datetime.strptime(s, "%Y-%m-%d").date()  # noqa: E731
    return context_for(sid, insp[0], day(insp[1]), day(insp[2]), datetime.strptime(insp[3], "%Y-%m-%d %H:%M:%S"),
                       screening_settings(default_settings()))


def _assert_intended(engine, ctx) -> None:
    with engine.connect() as conn:
        checks = check_plans(conn, ctx)
    assert {(c.rule, c.statement) for c in checks} == {(r, s) for r, ss in INTENDED.items() for s in ss}
    wrong = [f"{c.rule}.{c.statement}: {c.actual} instead of {c.intended}" for c in checks if not c.ok]
    assert not wrong, "\n".join(wrong)


def _stat_rows(db: Path) -> dict[str, str]:
    con = sqlite3.connect(db)
    try:
        return {idx: stat for idx, stat in con.execute("SELECT idx, stat FROM sqlite_stat1 WHERE tbl = 'snap_mdtrt'")}
    finally:
        con.close()


def test_writing_a_snapshot_refreshes_the_statistics(tmp_path):
    db = tmp_path / "s.db"
    engine = open_store(db)
    _slice().write(engine)
    engine.dispose()
    stats = _stat_rows(db)
    # 62 stays of the snapshot; the person index and the type index both have statistics
    assert stats["ix_snap_mdtrt_psn"].split()[0] == "62"
    assert stats["ix_snap_mdtrt_type_begn"].split()[0] == "62"


def test_plans_hold_without_with_and_against_the_statistics(tmp_path):
    db = tmp_path / "s.db"
    engine = open_store(db)
    iid = _slice().write(engine)
    engine.dispose()

    def reopen():
        return open_store(db)

    # 1. the statistics ANALYZE wrote with the snapshot
    engine = reopen()
    ctx = _context(engine, iid)
    _assert_intended(engine, ctx)
    engine.dispose()

    # 2. no statistics at all (a store written before they were refreshed)
    con = sqlite3.connect(db)
    con.execute("DELETE FROM sqlite_stat1")
    con.commit()
    con.close()
    engine = reopen()
    _assert_intended(engine, ctx)
    engine.dispose()

    # 3. statistics that lie: every person has thousands of stays, begntime is nearly unique,
    #    and the fee index looks useless, so an unpinned planner would pick the wrong paths.
    con = sqlite3.connect(db)
    con.execute("DELETE FROM sqlite_stat1")
    con.executemany("INSERT INTO sqlite_stat1 (tbl, idx, stat) VALUES (?, ?, ?)", [
        ("snap_mdtrt", "ix_snap_mdtrt_psn", "1000000 1000000 500000 400000"),
        ("snap_mdtrt", "ix_snap_mdtrt_type_begn", "1000000 1000000 10 1"),
        ("snap_mdtrt", "sqlite_autoindex_snap_mdtrt_1", "1000000 1000000 1000000"),
        ("snap_feedetl", "ix_snap_feedetl_mdtrt", "9000000 9000000 9000000 9000000"),
        ("snap_feedetl", None, "9000000"),
        ("snap_med_list", "sqlite_autoindex_snap_med_list_1", "10 10 10"),
    ])
    con.commit()
    con.close()
    engine = reopen()
    _assert_intended(engine, ctx)
    engine.dispose()


def test_the_store_left_by_the_shipped_sync_screens_with_the_intended_plans(tmp_path, cli_account):
    store = tmp_path / "inspector.db"
    cli_account(store, "li")                      # sync authenticates as an account of the store
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    central = tmp_path / "central.db"

    def run(*args: str) -> subprocess.CompletedProcess:
        r = subprocess.run([sys.executable, "main.py", *args, "--db", str(store)], cwd=ROOT, env=env,
                           capture_output=True, text=True, timeout=300)
        assert r.returncode == 0, r.stderr
        return r

    run("demo-central", "--out", str(central), "--scale", "small")
    manifest = json.loads(Path(f"{central}.manifest.json").read_text(encoding="utf-8"))
    iid = int(run("sync", "--central", str(central), "--institution", manifest["main_institution"],
                  "--from", manifest["date_from"], "--to", manifest["date_to"],
                  "--visit-time", manifest["visit_time"]).stdout.split()[-1])
    assert _stat_rows(store)["ix_snap_mdtrt_psn"]          # sync left statistics behind
    engine = open_store(store)
    _assert_intended(engine, _context(engine, iid))
    engine.dispose()
    out = json.loads(run("screen", "--inspection", str(iid), "--format", "json").stdout)
    assert {lead["rule"] for lead in out["leads"]} >= {"S1", "S4", "S9"}


@pytest.mark.parametrize("rule", ["S1", "S9"])
def test_the_self_joins_go_through_the_person_index(rule):
    # The regression, spelled out: the inner stays are read by psn_no equality.
    inner = [line for line in INTENDED[rule]["SQL"] if "ix_snap_mdtrt_psn" in line]
    assert inner and all("psn_no=?" in line for line in inner)
