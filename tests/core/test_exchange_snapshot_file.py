"""Snapshot files refused on arrival: a row altered, a row removed, a row under another snapshot id,
a byte flipped in the rows, the file cut short, a file whose table is not in key order. Each
refusal is one clear message and the joining store holds nothing of the inspection afterwards; an
intact file still joins, and what it stored has the digests the central gave the snapshot. Both
ways of copying (whole tables as they are, and row by row) give the same file and the same rows."""
from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest

from inspector.accounts import create_member_account
from inspector.db import open_store
from inspector.exchange.bundle import BundleError
from inspector.exchange.people import register_team
from inspector.exchange.snapshot_file import import_snapshot, read_manifest
from inspector.signing.trust import add_anchor
from inspector.snapshot import table_digest
from tests.support.accounts import password_of
from tests.support.laptops import anchors, build_laptops


@pytest.fixture(scope="module")
def world(tmp_path_factory) -> dict:
    return build_laptops(tmp_path_factory.mktemp("laptops"))


def _joiner(world, folder: Path):
    """A laptop about to join as `li`: its store with the CA and li's own account."""
    e = open_store(folder / "joiner.db")
    add_anchor(e, world["ca"] / "ca.pem")
    m = next(m for m in read_manifest(world["snap"])[0]["team"] if m["login"] == "li")
    create_member_account(e, "li", password_of("li"), m["account_role"], m["cert_no"], m["display_name"],
                          m["certificate"])
    return e


def _contents(e) -> tuple:
    """What a join may change: inspections, snapshot rows, events, accounts."""
    with e.connect() as conn:
        return tuple(conn.exec_driver_sql(f"SELECT count(*) FROM {t}").scalar()
                     for t in ("inspection", "snapshot", "snap_mdtrt", "snap_feedetl", "event", "account"))


def _join(e, path: Path):
    return import_snapshot(e, path, anchors=anchors(e), author="li", register_team=register_team)


def _altered(world, folder: Path, name: str, sql: str) -> Path:
    out = folder / name
    shutil.copy(world["snap"], out)
    con = sqlite3.connect(out)
    with con:
        con.execute(sql)
    con.close()
    return out


def test_an_altered_snapshot_file_is_refused_and_the_store_holds_nothing(world, tmp_path):
    e = _joiner(world, tmp_path)
    before = _contents(e)
    assert before[:4] == (0, 0, 0, 0)
    try:
        changed = _altered(world, tmp_path, "changed.snap",
                           "UPDATE snap_mdtrt SET adm_bed = '9' || coalesce(adm_bed, '') "
                           "WHERE mdtrt_id = (SELECT max(mdtrt_id) FROM snap_mdtrt)")
        with pytest.raises(BundleError, match="mdtrt.*摘要不符|mdtrt.*digest"):
            _join(e, changed)
        assert _contents(e) == before

        removed = _altered(world, tmp_path, "removed.snap",
                           "DELETE FROM snap_mdtrt WHERE mdtrt_id = (SELECT min(mdtrt_id) FROM snap_mdtrt)")
        with pytest.raises(BundleError, match="mdtrt"):
            _join(e, removed)
        assert _contents(e) == before

        # one row moved under another snapshot id: the row count would still match the rows read
        moved = _altered(world, tmp_path, "moved.snap",
                         "UPDATE snap_mdtrt SET snapshot_id = snapshot_id + 7 "
                         "WHERE mdtrt_id = (SELECT min(mdtrt_id) FROM snap_mdtrt)")
        with pytest.raises(BundleError, match="mdtrt"):
            _join(e, moved)
        assert _contents(e) == before

        cut = tmp_path / "cut.snap"
        data = world["snap"].read_bytes()
        cut.write_bytes(data[: len(data) // 2])
        with pytest.raises(BundleError):
            _join(e, cut)
        assert _contents(e) == before

        # one byte of a stored value flipped in place (the file still opens)
        flipped = tmp_path / "flipped.snap"
        bed = b"2026-10-20 09:00:00"
        i = data.index(bed)
        flipped.write_bytes(data[:i] + b"1" + data[i + 1:])
        with pytest.raises(BundleError):
            _join(e, flipped)
        assert _contents(e) == before

        # a table rebuilt without its key order (as an older writer made them): refused, not misread
        unordered = tmp_path / "unordered.snap"
        shutil.copy(world["snap"], unordered)
        con = sqlite3.connect(unordered)
        with con:
            con.execute("CREATE TABLE t AS SELECT * FROM snap_mdtrt ORDER BY mdtrt_id DESC")
            con.execute("DROP TABLE snap_mdtrt")
            con.execute("ALTER TABLE t RENAME TO snap_mdtrt")
        con.close()
        with pytest.raises(BundleError, match="mdtrt"):
            _join(e, unordered)
        assert _contents(e) == before

        # the intact file joins, and the stored rows have the snapshot's own digests
        r = _join(e, world["snap"])
        manifest = read_manifest(world["snap"])[0]
        with e.connect() as conn:
            sid = conn.exec_driver_sql("SELECT id FROM snapshot WHERE inspection_id = ?", (r.inspection_id,)).scalar()
            cur = conn.connection.driver_connection.cursor()
            for table, digest in manifest["snapshot"]["digests"].items():
                assert table_digest(cur, table, sid) == digest
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar().lower() == "wal"
    finally:
        e.dispose()


def _file_rows(path: Path) -> dict[str, list[tuple]]:
    from inspector.models import SNAPSHOT_MODELS

    con = sqlite3.connect(path)
    try:
        return {t: con.execute(f"SELECT * FROM snap_{t} ORDER BY rowid").fetchall() for t in SNAPSHOT_MODELS}
    finally:
        con.close()


def test_whole_table_and_row_by_row_copies_give_the_same_file_and_rows(world, tmp_path):
    """The lead's store of the world holds one snapshot: its file was written by copying whole
    tables. A store holding a second inspection writes the same file row by row. A laptop with no
    snapshot takes the rows as they are (the snapshot keeps the file's id); a laptop that already
    holds a snapshot under that id copies them row by row under a new id. Same digests everywhere."""
    from tests.support.laptops import hospital, key
    from inspector.exchange.people import team_for_export
    from inspector.exchange.snapshot_file import export_snapshot

    two = tmp_path / "two.db"
    shutil.copy(world["base"] / "l0.db", two)
    a = open_store(two)
    try:
        hospital().write(a)                  # a second inspection: the tables hold two snapshots
        with a.connect() as conn:
            assert conn.exec_driver_sql("SELECT count(*) FROM snapshot").scalar() == 2
            team = team_for_export(conn, world["iid"])
        lead = key(a, "zhang")
        by_rows = tmp_path / "by-rows.snap"
        export_snapshot(a, world["iid"], by_rows, login="zhang", name=lead.display_name,
                        private_key=lead.key.private_key, certificate=lead.key.certificate, team=team)
    finally:
        a.dispose()
    whole_manifest, by_rows_manifest = read_manifest(world["snap"])[0], read_manifest(by_rows)[0]
    assert whole_manifest["snapshot"]["digests"] == by_rows_manifest["snapshot"]["digests"]
    assert _file_rows(world["snap"]) == _file_rows(by_rows)

    (tmp_path / "fresh").mkdir()
    fresh = _joiner(world, tmp_path / "fresh")     # holds no snapshot: rows taken as they are
    (tmp_path / "busy").mkdir()
    busy = _joiner(world, tmp_path / "busy")
    hospital().write(busy)                          # already holds a snapshot under the file's id
    try:
        for e, same_id in ((fresh, True), (busy, False)):
            r = _join(e, by_rows)
            with e.connect() as conn:
                sid = conn.exec_driver_sql("SELECT id FROM snapshot WHERE inspection_id = ?",
                                           (r.inspection_id,)).scalar()
                assert (sid == by_rows_manifest["snapshot_id"]) is same_id
                cur = conn.connection.driver_connection.cursor()
                for table, digest in by_rows_manifest["snapshot"]["digests"].items():
                    assert table_digest(cur, table, sid) == digest, table
                for table, n in by_rows_manifest["snapshot"]["row_counts"].items():
                    assert conn.exec_driver_sql(f"SELECT count(*) FROM snap_{table} WHERE snapshot_id = ?",
                                                (sid,)).scalar() == n, table
                assert conn.exec_driver_sql("PRAGMA foreign_key_check").first() is None
                assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    finally:
        fresh.dispose()
        busy.dispose()
