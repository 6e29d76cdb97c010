"""A real `main.py sync` killed with SIGKILL at several points leaves the store as it was."""
from __future__ import annotations

import re
import signal
import sqlite3
from datetime import date, datetime
from pathlib import Path

import pytest

from inspector.db import open_store
from inspector.models import SNAPSHOT_MODELS
from inspector.integrity import check_store
from inspector.snapshot import latest_snapshot_id, table_digest
from inspector.sync.central import sync_central
from tests.support.central_db import INSTITUTION, build_synthetic_central
from tests.support.kill import run_and_kill

BAR = re.compile(r"^(\w+)\s+\[[# ]*\]\s+([\d,]+)/([\d,]+)")


def _state(db: Path) -> dict:
    """Everything a kill must not change: rows per table of the published snapshots, inspections,
    snapshots and digests. (A kill while the sync copies into the store leaves rows under a pending
    snapshot, which no reader sees and the next sync removes: see _pending.)"""
    con = sqlite3.connect(db)
    try:
        assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert con.execute("PRAGMA foreign_key_check").fetchone() is None
        state = {t: con.execute(f"SELECT count(*) FROM snap_{t} WHERE snapshot_id IN "
                                "(SELECT id FROM snapshot WHERE inspection_id IS NOT NULL)").fetchone()[0]
                 for t in SNAPSHOT_MODELS}
        state["inspections"] = con.execute("SELECT id, fixmedins_name FROM inspection ORDER BY id").fetchall()
        state["snapshots"] = con.execute("SELECT id, version, row_counts, digests FROM snapshot "
                                         "WHERE inspection_id IS NOT NULL ORDER BY id").fetchall()
        cur = con.cursor()
        state["recomputed"] = {t: table_digest(cur, t, 1) for t in SNAPSHOT_MODELS}
    finally:
        con.close()
    return state


def _pending(db: Path) -> tuple[int, int]:
    """(pending snapshots, fee lines under them): what a sync copying into the store has written so far."""
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        return con.execute("SELECT count(*), (SELECT count(*) FROM snap_feedetl WHERE snapshot_id IN "
                           "(SELECT id FROM snapshot WHERE inspection_id IS NULL)) "
                           "FROM snapshot WHERE inspection_id IS NULL").fetchone()
    finally:
        con.close()


def _sync_and_kill(central: Path, db: Path, should_kill, env: dict | None = None) -> tuple[int, str]:
    """Run `main.py sync` with its progress on a terminal; SIGKILL it when `should_kill(line)`
    (`should_kill(None)` is asked too, about twenty times a second, for kills decided by the store)."""
    return run_and_kill(["sync", "--central", str(central), "--institution", INSTITUTION, "--from", "2026-01-01",
                         "--to", "2026-03-31", "--visit-time", "2026-04-10 10:00:00", "--db", str(db)],
                        should_kill, env)


def _at_table_start(table: str):
    return lambda line: line is not None and (m := BAR.match(line)) is not None and m.group(1) == table


def _part_way(table: str, fraction: float):
    def check(line: str | None) -> bool:
        m = BAR.match(line or "")
        if not m or m.group(1) != table:
            return False
        done, total = int(m.group(2).replace(",", "")), int(m.group(3).replace(",", ""))
        return fraction * total <= done < total
    return check


def _complete(table: str):
    def check(line: str | None) -> bool:
        m = BAR.match(line or "")
        return m is not None and m.group(1) == table and m.group(2) == m.group(3)
    return check


@pytest.mark.slow
def test_sigkill_during_sync_leaves_the_store_intact(tmp_path, cli_account):
    central = build_synthetic_central(tmp_path / "central.db", 400_000, other_fee_lines=5_000)
    db = tmp_path / "store.db"
    engine = open_store(db)
    first = sync_central(engine, str(central), INSTITUTION, date(2026, 1, 1), date(2026, 1, 10),
                         datetime(2026, 1, 11, 9, 0, 0))
    engine.dispose()
    cli_account(db, "li")
    before = _state(db)
    assert before["recomputed"] == first.digests and before["feedetl"] > 1000

    # Small chunks: the copy into the store takes many transactions, so a kill lands inside it.
    small = {"INSPECTOR_SYNC_CHUNK_ROWS": "2000"}
    for point, should_kill in [
        ("staging mdtrt", _at_table_start("mdtrt")),
        ("staging feedetl", _at_table_start("feedetl")),
        # med_list is the last table staged: once it is complete, the digests are being computed.
        ("computing digests", lambda line: line == "digests" or _complete("med_list")(line)),
        ("copying into the store", lambda line: line is None and _pending(db)[1] > 4000),
    ]:
        code, seen = _sync_and_kill(central, db, should_kill, small)
        assert code == -signal.SIGKILL, f"{point}: the sync ended by itself ({code}) before the kill:\n{seen}"
        assert _state(db) == before, point
        engine = open_store(db)  # opens cleanly (and still migrates nothing)
        try:
            check = check_store(engine)
            with engine.connect() as conn:
                current = latest_snapshot_id(conn, first.inspection_id)
        finally:
            engine.dispose()
        assert check.ok and check.snapshots == 1 and current == first.snapshot_id, point
    assert _pending(db)[0] == 1       # the partial copy of the last kill: invisible, still there

    # After all that, a sync runs to the end (removing the partial copy) and the first inspection is the same.
    code, seen = _sync_and_kill(central, db, lambda line: False)
    assert code == 0, seen
    after = _state(db)
    assert after["snapshots"][0] == before["snapshots"][0] and len(after["inspections"]) == 2
    assert after["recomputed"] == before["recomputed"]
    assert _pending(db) == (0, 0)
    con = sqlite3.connect(db)
    try:   # no row of the killed copy is left behind
        for t in SNAPSHOT_MODELS:
            assert con.execute(f"SELECT count(*) FROM snap_{t} WHERE snapshot_id NOT IN (SELECT id FROM snapshot)"
                               ).fetchone()[0] == 0, t
        assert con.execute("SELECT sum(n) FROM (SELECT count(*) AS n FROM snap_feedetl GROUP BY snapshot_id)"
                           ).fetchone()[0] == after["feedetl"]
    finally:
        con.close()
