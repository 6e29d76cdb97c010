"""Resources: a full disk during a sync is a clear message with the store unchanged."""
from __future__ import annotations

import hashlib
import os
import sqlite3
import subprocess
import sys
from datetime import date, datetime
from pathlib import Path

import pytest

from inspector import i18n
from inspector.db import open_store
from inspector.sync.central import sync_central
from tests.support import slice_data as sd
from tests.support.central_db import INSTITUTION, build_synthetic_central, create_sqlite_central
from tests.support.disks import tiny_disk  # noqa: F401 - a fixture

ROOT = Path(__file__).resolve().parents[2]


def _logical(path: Path) -> str:
    con = sqlite3.connect(path)
    try:
        return hashlib.sha256("\n".join(con.iterdump()).encode()).hexdigest()
    finally:
        con.close()


def test_full_disk_during_sync_is_a_message_and_the_store_is_unchanged(tmp_path, tiny_disk, cli_account):
    small = create_sqlite_central(tmp_path / "small.db", sd.TABLES)
    big = build_synthetic_central(tmp_path / "big.db", 30_000, other_fee_lines=100)
    db = tiny_disk / "store.db"
    engine = open_store(db)
    sync_central(engine, str(small), sd.C, sd.D0, sd.D1, sd.V)
    engine.dispose()
    cli_account(db, "li")                     # sync: as a logged-in account
    before = _logical(db)
    out = subprocess.run(
        [sys.executable, "main.py", "sync", "--central", str(big), "--institution", INSTITUTION, "--from", "2026-01-01",
         "--to", "2026-03-31", "--visit-time", "2026-04-10 10:00:00", "--db", str(db)],
        cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert out.returncode == 2, out.stderr
    assert "Traceback" not in out.stderr
    expected = i18n.gettext("the disk holding {dir} is full: free some space and try again; nothing was changed",
                            "zh_CN").format(dir=tiny_disk)
    assert expected in out.stderr
    assert _logical(db) == before
    assert not list(tiny_disk.glob("store.db.staging-*"))
    assert os.statvfs(tiny_disk).f_bavail > 0     # the staging file's space is given back
