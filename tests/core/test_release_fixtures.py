"""Stores made by earlier releases (tests/fixtures/store-<version>.db.xz) open with this
version and are migrated in place with their data; each release adds its own fixture
(`tools/make_release_fixture.py`) for the next one to test against.
"""
from __future__ import annotations

import lzma
import sqlite3
from pathlib import Path

import pytest

from inspector.db import head_revision, open_store

FIXTURES = sorted((Path(__file__).resolve().parents[1] / "fixtures").glob("store-*.db.xz"))


def test_there_is_a_fixture_of_an_earlier_release():
    assert FIXTURES, "tests/fixtures must hold at least the previous release's store"


@pytest.mark.parametrize("fixture", FIXTURES, ids=[f.name for f in FIXTURES])
def test_an_earlier_release_store_is_upgraded_in_place(fixture, tmp_path):
    store = tmp_path / "inspector.db"
    store.write_bytes(lzma.decompress(fixture.read_bytes()))
    with sqlite3.connect(store) as con:
        events_before = con.execute("SELECT count(*) FROM event").fetchone()[0]
        snapshots_before = con.execute("SELECT count(*) FROM snapshot").fetchone()[0]
    engine = open_store(store)
    try:
        with engine.connect() as c:
            assert c.exec_driver_sql("SELECT version_num FROM alembic_version").scalar() == head_revision()
            assert c.exec_driver_sql("SELECT count(*) FROM event").scalar() == events_before
            assert c.exec_driver_sql("SELECT count(*) FROM snapshot").scalar() == snapshots_before
    finally:
        engine.dispose()
