"""Sync never blocks work on site: ticks go on during a sync; a stuck store or a frozen central
server ends in a clear message, never a traceback or a wait for ever."""
from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from datetime import date, datetime
from pathlib import Path

import psycopg
import pytest

from inspector import i18n
from inspector.db import BUSY_TIMEOUT_MS, open_store
from inspector.integrity import check_store
from inspector.sync.central import sync_central
from inspector.sync.source import GRACE, public_url
from tests.support import slice_data as sd
from tests.support.central_db import (
    INSTITUTION, _conninfo, build_synthetic_central, create_postgres_central, create_sqlite_central,
)

ROOT = Path(__file__).resolve().parents[2]
WINDOW = (date(2026, 1, 1), date(2026, 3, 31), datetime(2026, 4, 10, 10, 0, 0))


def _main(*args: str) -> list[str]:
    return [sys.executable, "main.py", *args]


@pytest.fixture(scope="module")
def central(tmp_path_factory) -> Path:
    return build_synthetic_central(tmp_path_factory.mktemp("busy") / "central.db", 160_000, other_fee_lines=1_000)


def _admitted(db: Path) -> str:
    con = sqlite3.connect(db)
    try:
        return con.execute(
            "SELECT mdtrt_id FROM snap_mdtrt WHERE med_type = '21' AND begntime <= '2026-04-10 10:00:00'"
            " AND (endtime IS NULL OR endtime > '2026-04-10 10:00:00') ORDER BY mdtrt_id LIMIT 1").fetchone()[0]
    finally:
        con.close()


def _pending_rows(db: Path) -> int:
    """Rows already copied into the store under a pending (not yet published) snapshot; -1: none pending."""
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        row = con.execute("SELECT id FROM snapshot WHERE inspection_id IS NULL").fetchone()
        if row is None:
            return -1
        return con.execute("SELECT count(*) FROM snap_feedetl WHERE snapshot_id = ?", (row[0],)).fetchone()[0]
    finally:
        con.close()


def _lock_wait(db: Path) -> float:
    """Seconds one write transaction waited for the store's write lock."""
    con = sqlite3.connect(db, isolation_level=None)
    try:
        con.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        t0 = time.monotonic()
        con.execute("BEGIN IMMEDIATE")
        waited = time.monotonic() - t0
        con.execute("ROLLBACK")
        return waited
    finally:
        con.close()


def test_census_ticks_are_recorded_in_another_process_while_a_sync_stages_and_copies(tmp_path, central, cli_account):
    """A tick while the sync (its own process) streams into its staging file, and one while it copies
    the staged rows into the store (small chunks force a long copy phase), both from this process,
    each ending at once: both recorded, the lock never held long."""
    from inspector.checks import census

    db = tmp_path / "store.db"
    li = cli_account(db, "li")["li"]          # the sync process acts as a logged-in account
    engine = open_store(db)
    first = sync_central(engine, str(central), INSTITUTION, *WINDOW)
    engine.dispose()

    def tick_here(note: str) -> float:
        """One census tick as li from this process; the seconds it took."""
        here = open_store(db)
        try:
            t0 = time.monotonic()
            census.record_outcome(here, first.inspection_id, mdtrt, "present", note=note, actor=li)
            return time.monotonic() - t0
        finally:
            here.dispose()
    mdtrt = _admitted(db)
    env = {**os.environ, "INSPECTOR_SYNC_CHUNK_ROWS": "1500"}
    sync = subprocess.Popen(_main("sync", "--central", str(central), "--inspection", str(first.inspection_id),
                                  "--db", str(db)), cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    waits = []
    try:
        deadline = time.monotonic() + 120
        while not list(tmp_path.glob("store.db.staging-*")):   # the sync is streaming into its staging file
            assert sync.poll() is None, sync.communicate()
            assert time.monotonic() < deadline
            time.sleep(0.05)
        staged_time = tick_here("ID card seen")
        assert _pending_rows(db) == -1 and sync.poll() is None, "the sync left staging before the tick: use a bigger central"

        while _pending_rows(db) <= 0:                           # the sync copies into the store now
            assert sync.poll() is None, sync.communicate()
            assert time.monotonic() < deadline
            time.sleep(0.02)
        copied_before = _pending_rows(db)
        tick_time = tick_here("patient in bed")
        while len(waits) < 10 and _pending_rows(db) > 0:
            waits.append(_lock_wait(db))
            time.sleep(0.03)
        copied_after = _pending_rows(db)
        assert copied_after > copied_before, "the copy phase ended before the tick: use smaller chunks"
        out, err = sync.communicate(timeout=300)
        assert sync.returncode == 0, err
    finally:
        if sync.poll() is None:
            sync.kill()
            sync.wait()
    # each write waited at most about one chunk (well under a second), never the whole copy
    assert len(waits) >= 5 and max(waits) < 1.0, waits
    assert staged_time < 1.0 and tick_time < 1.0, (staged_time, tick_time)   # never a wait for the copy to end
    con = sqlite3.connect(db)
    try:
        notes = [r[0] for r in con.execute(
            "SELECT json_extract(payload, '$.note') FROM event WHERE inspection_id = ? AND kind LIKE 'census.%' "
            "ORDER BY seq", (first.inspection_id,))]
        versions = con.execute("SELECT count(*) FROM snapshot WHERE inspection_id = ?", (first.inspection_id,)).fetchone()[0]
        pending = con.execute("SELECT count(*) FROM snapshot WHERE inspection_id IS NULL").fetchone()[0]
    finally:
        con.close()
    assert "ID card seen" in notes and "patient in bed" in notes
    assert versions == 2 and pending == 0
    assert not list(tmp_path.glob("store.db.staging-*"))   # removed after success
    engine = open_store(db)
    try:
        check = check_store(engine)   # the chunked copy holds exactly the rows the digests were taken of
    finally:
        engine.dispose()
    assert check.ok and check.snapshots == 2, check.as_dict()


def test_a_tick_meeting_a_held_lock_says_so_clearly(tmp_path, cli_account):
    db = tmp_path / "store.db"
    cli_account(db, "li")                     # the tick: as a logged-in account
    engine = open_store(db)
    first = sync_central(engine, str(create_sqlite_central(tmp_path / "c.db", sd.TABLES)), sd.C, sd.D0, sd.D1, sd.V)
    engine.dispose()
    mdtrt = "M_IN_ADMITTED_AT_V"
    holder = sqlite3.connect(db, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")    # another writer that does not let go
    try:
        t0 = time.monotonic()
        tick = subprocess.run(_main("census", "--inspection", str(first.inspection_id), "--mdtrt", mdtrt,
                                    "--outcome", "present", "--note", "ID card seen", "--db", str(db)),
                              cwd=ROOT, capture_output=True, text=True, timeout=120)
        waited = time.monotonic() - t0
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert tick.returncode == 2
    assert "Traceback" not in tick.stderr and "locked" not in tick.stderr
    expected = i18n.gettext("the store is busy (another task, such as a sync saving its data, is writing to it) and "
                            "did not free up within {n:g} seconds; nothing was recorded: try again", "zh_CN")
    assert expected.format(n=BUSY_TIMEOUT_MS / 1000) in tick.stderr
    assert waited >= BUSY_TIMEOUT_MS / 1000


def _backend_waiting_on_a_lock(conninfo: str, timeout: float = 60) -> int:
    deadline = time.monotonic() + timeout
    with psycopg.connect(conninfo, autocommit=True) as con:
        while time.monotonic() < deadline:
            row = con.execute("SELECT pid FROM pg_stat_activity WHERE application_name = 'inspector-sync'"
                              " AND wait_event_type = 'Lock'").fetchone()
            if row:
                return int(row[0])
            time.sleep(0.05)
    raise AssertionError("the sync's backend never waited on the lock")


def test_statement_timeout_and_a_frozen_server_end_the_sync_with_a_message(tmp_path, postgres_db, cli_account):
    create_postgres_central(postgres_db, sd.TABLES)
    conninfo = _conninfo(postgres_db)
    db = tmp_path / "store.db"
    open_store(db).dispose()
    cli_account(db, "li")
    args = _main("sync", "--central", postgres_db, "--institution", sd.C, "--from", "2026-03-01", "--to", "2026-03-31",
                 "--visit-time", "2026-04-03 10:00:00", "--timeout", "2", "--db", str(db))
    url = public_url(postgres_db)

    # A live server: its own statement timeout fires.
    with psycopg.connect(conninfo) as locker:
        locker.execute("LOCK TABLE extract_meta IN ACCESS EXCLUSIVE MODE")
        out = subprocess.run(args, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.returncode == 2, out.stderr
    assert "Traceback" not in out.stderr
    assert i18n.gettext("the central database {url} did not finish a query within {n:g} s (statement timeout); "
                        "nothing was changed", "zh_CN").format(url=url, n=2.0) in out.stderr

    # A frozen server (SIGSTOP on the sync's backend): the client gives up by itself.
    locker = psycopg.connect(conninfo)
    locker.execute("LOCK TABLE extract_meta IN ACCESS EXCLUSIVE MODE")
    sync = subprocess.Popen(args, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    pid = None
    try:
        pid = _backend_waiting_on_a_lock(conninfo)
        os.kill(pid, signal.SIGSTOP)
        locker.rollback()                         # the lock is free, but the backend cannot go on
        t0 = time.monotonic()
        _out, err = sync.communicate(timeout=120)
        waited = time.monotonic() - t0
    finally:
        if pid is not None:
            os.kill(pid, signal.SIGCONT)
        locker.close()
        if sync.poll() is None:
            sync.kill()
            sync.wait()
    assert sync.returncode == 2, err
    assert "Traceback" not in err
    assert i18n.gettext("the central database {url} did not answer for {n:g} s (the server or the network is stuck); "
                        "nothing was changed", "zh_CN").format(url=url, n=2.0 + GRACE) in err
    assert waited < 2 + GRACE + 30
    con = sqlite3.connect(db)
    assert con.execute("SELECT count(*) FROM inspection").fetchone()[0] == 0
    con.close()
