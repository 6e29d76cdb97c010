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


def test_census_tick_is_recorded_in_another_process_while_a_sync_runs(tmp_path, central, cli_account):
    db = tmp_path / "store.db"
    cli_account(db, "li")                     # the processes act as a logged-in account
    engine = open_store(db)
    first = sync_central(engine, str(central), INSTITUTION, *WINDOW)
    engine.dispose()
    mdtrt = _admitted(db)
    sync = subprocess.Popen(_main("sync", "--central", str(central), "--inspection", str(first.inspection_id),
                                  "--db", str(db)), cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 120
        while not list(tmp_path.glob("store.db.staging-*")):   # the sync is streaming into its staging file
            assert sync.poll() is None, sync.communicate()
            assert time.monotonic() < deadline
            time.sleep(0.05)
        tick = subprocess.run(_main("census", "--inspection", str(first.inspection_id), "--mdtrt", mdtrt,
                                    "--outcome", "present", "--note", "ID card seen", "--db", str(db)),
                              cwd=ROOT, capture_output=True, text=True, timeout=120)
        still_syncing = sync.poll() is None
        assert tick.returncode == 0, tick.stderr
        assert still_syncing, "the sync ended before the tick: use a bigger central"
        out, err = sync.communicate(timeout=300)
        assert sync.returncode == 0, err
    finally:
        if sync.poll() is None:
            sync.kill()
            sync.wait()
    con = sqlite3.connect(db)
    try:
        kinds = [r[0] for r in con.execute("SELECT kind FROM event WHERE inspection_id = ? ORDER BY seq",
                                           (first.inspection_id,))]
        versions = con.execute("SELECT count(*) FROM snapshot WHERE inspection_id = ?", (first.inspection_id,)).fetchone()[0]
    finally:
        con.close()
    assert any(k.startswith("census.") for k in kinds)
    assert versions == 2
    assert not list(tmp_path.glob("store.db.staging-*"))   # removed after success


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
