"""Snapshot files refused on arrival: a row altered, a row removed, a row under another snapshot id,
a byte flipped in the rows, the file cut short, a file whose table is not in key order. Each
refusal is one clear message and the joining store holds nothing of the inspection afterwards; an
intact file still joins, and what it stored has the digests the central gave the snapshot. Both
ways of copying (whole tables as they are, and row by row) give the same file and the same rows."""
from __future__ import annotations

import shutil
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
from tests.support.kill import run_and_kill
from tests.support.laptops import anchors, build_laptops


@pytest.fixture(scope="module")
def world(tmp_path_factory) -> dict:
    w = build_laptops(tmp_path_factory.mktemp("laptops"))
    CODE[:] = [w["code"]]
    return w


def _joiner(world, folder: Path):
    """A laptop about to join as `li`: its store with the CA and li's own account."""
    e = open_store(folder / "joiner.db")
    add_anchor(e, world["ca"] / "ca.pem")
    m = next(m for m in read_manifest(world["snap"], world["code"])[0]["team"] if m["login"] == "li")
    create_member_account(e, "li", password_of("li"), m["account_role"], m["cert_no"], m["display_name"],
                          m["certificate"])
    return e


def _contents(e) -> tuple:
    """What a join may change: inspections, snapshot rows, events, accounts."""
    with e.connect() as conn:
        return tuple(conn.exec_driver_sql(f"SELECT count(*) FROM {t}").scalar()
                     for t in ("inspection", "snapshot", "snap_mdtrt", "snap_feedetl", "event", "account"))


def _join(e, path: Path, code: str | None = None):
    return import_snapshot(e, path, code=code or CODE[0], anchors=anchors(e), author="li", register_team=register_team)


CODE: list[str] = []
ROOT = Path(__file__).resolve().parents[2]      # the world's transfer code (set by the first test's fixture use)


def _open(path: Path, code: str):
    """The snapshot file opened with its transfer code, as someone altering it would."""
    from inspector.exchange.transfer_code import open_file

    return open_file(path, code)


def _altered(world, folder: Path, name: str, sql: str) -> Path:
    out = folder / name
    shutil.copy(world["snap"], out)
    con = _open(out, world["code"])
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

        # one byte flipped in a page of each table's rows, of the manifest, and in the last page
        # (the manifest's bundle): every page carries its own HMAC, checked when it is read
        with _open(world["snap"], world["code"]) as con:
            pages = [r[0] for r in con.execute("SELECT rootpage FROM sqlite_master WHERE type = 'table'")]
        pages.append(len(data) // 4096)
        flipped = tmp_path / "flipped.snap"
        for page in pages:
            i = (page - 1) * 4096 + 100
            flipped.write_bytes(data[:i] + bytes([data[i] ^ 1]) + data[i + 1:])
            with pytest.raises(BundleError):
                _join(e, flipped)
        assert len(pages) > 13 and _contents(e) == before
        assert not list(tmp_path.glob("inspector-join-*"))      # no decrypted copy left beside the store

        # the right file with another transfer code, or something that is no code at all
        from inspector.errors import UserError
        from inspector.exchange.transfer_code import new_transfer_code

        with pytest.raises(BundleError, match="传输码|transfer code"):
            _join(e, world["snap"], new_transfer_code())
        with pytest.raises(UserError):
            _join(e, world["snap"], "1234")
        assert _contents(e) == before

        # a table rebuilt without its key order (as an older writer made them): refused, not misread
        unordered = tmp_path / "unordered.snap"
        shutil.copy(world["snap"], unordered)
        con = _open(unordered, world["code"])
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
        manifest = read_manifest(world["snap"], world["code"])[0]
        with e.connect() as conn:
            sid = conn.exec_driver_sql("SELECT id FROM snapshot WHERE inspection_id = ?", (r.inspection_id,)).scalar()
            cur = conn.connection.driver_connection.cursor()
            for table, digest in manifest["snapshot"]["digests"].items():
                assert table_digest(cur, table, sid) == digest
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar().lower() == "wal"
    finally:
        e.dispose()


def _file_rows(path: Path, code: str) -> dict[str, list[tuple]]:
    from inspector.models import SNAPSHOT_MODELS

    con = _open(path, code)
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
        by_rows_code = export_snapshot(a, world["iid"], by_rows, login="zhang", name=lead.display_name,
                                       private_key=lead.key.private_key, certificate=lead.key.certificate,
                                       team=team).transfer_code
    finally:
        a.dispose()
    assert by_rows_code != world["code"]            # each file its own code
    whole_manifest = read_manifest(world["snap"], world["code"])[0]
    by_rows_manifest = read_manifest(by_rows, by_rows_code)[0]
    assert whole_manifest["snapshot"]["digests"] == by_rows_manifest["snapshot"]["digests"]
    assert _file_rows(world["snap"], world["code"]) == _file_rows(by_rows, by_rows_code)

    (tmp_path / "fresh").mkdir()
    fresh = _joiner(world, tmp_path / "fresh")     # holds no snapshot: rows taken as they are
    (tmp_path / "busy").mkdir()
    busy = _joiner(world, tmp_path / "busy")
    hospital().write(busy)                          # already holds a snapshot under the file's id
    try:
        for e, same_id in ((fresh, True), (busy, False)):
            r = _join(e, by_rows, by_rows_code)
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


def test_the_snapshot_file_holds_no_readable_patient_data(world):
    """The file on the USB stick is random bytes without its transfer code: no SQLite header, no
    name, diagnosis, drug, identifier or amount of the hospital in any encoding."""
    from tests.support.laptops import DRUGS, RECORDS

    data = world["snap"].read_bytes()
    assert not data.startswith(b"SQLite format 3")
    with _open(world["snap"], world["code"]) as con:
        names = [r[0] for r in con.execute("SELECT DISTINCT dscg_maindiag_name FROM snap_medrcd")]
        names += [r[0] for r in con.execute("SELECT DISTINCT item_name FROM snap_med_list")]
    assert names
    for text in [*names, DRUGS[0], RECORDS[0], "2026-10-20 09:00:00", "inspection", "zhang", "BEGIN CERTIFICATE"]:
        for encoding in ("utf-8", "utf-16-le", "gb18030"):
            assert text.encode(encoding) not in data, text


def _join_and_kill(world, store: Path, env: dict, should_kill) -> tuple[int, str]:
    """`main.py exchange import` joining a new laptop with its progress on a terminal; SIGKILL when
    `should_kill(line)` (its progress bar's open line included)."""
    code_file = store.parent.parent / "code.txt"
    code_file.write_text(world["code"] + "\n", encoding="utf-8")
    return run_and_kill(["exchange", "import", str(world["snap"]), "--trust", str(world["ca"] / "ca.pem"),
                         "--code-file", str(code_file), "--db", str(store)], should_kill, env, open_line=True)


def test_a_join_killed_while_copying_leaves_no_store_and_the_next_one_joins(world, tmp_path):
    """SIGKILL (a battery that dies) while a new laptop joins: no half-made store, no key file, and
    the same command run again joins (it sweeps the killed one's work folder)."""
    import signal
    import subprocess
    import sys

    store = tmp_path / "laptop" / "inspector.db"
    pw = tmp_path / "li-password.txt"
    pw.write_text(password_of("li") + "\n", encoding="utf-8")
    env = {"INSPECTOR_USER": "li", "INSPECTOR_PASSWORD_FILE": str(pw), "INSPECTOR_LANG": "en",
           "INSPECTOR_TEST_ARGON2": "fast"}
    code, seen = _join_and_kill(world, store, env, lambda line: line is not None and "checking and copying" in line)
    assert code == -signal.SIGKILL, f"the join ended by itself ({code}) before the kill:\n{seen}"
    assert not store.exists() and not (store.parent / "inspector.db.keyslots").exists()
    left = [p.name for p in store.parent.iterdir()]
    assert all(name.startswith("inspector-joining-") for name in left), left      # its private work folder only
    again = subprocess.run([sys.executable, "main.py", "exchange", "import", str(world["snap"]), "--trust",
                            str(world["ca"] / "ca.pem"), "--code-file", str(tmp_path / "code.txt"), "--db", str(store),
                            "--format", "json"], cwd=ROOT, capture_output=True, text=True, timeout=300,
                           env={**__import__("os").environ, **env}, stdin=subprocess.DEVNULL)
    assert again.returncode == 0, again.stdout + again.stderr
    assert sorted(p.name for p in store.parent.iterdir() if not p.name.endswith(("-wal", "-shm"))) == \
        ["inspector.db", "inspector.db.keyslots"]                                    # the killed one's folder swept
    check = subprocess.run([sys.executable, "main.py", "check-store", "--db", str(store), "--format", "json"],
                           cwd=ROOT, capture_output=True, text=True, timeout=300, env={**__import__("os").environ, **env})
    assert check.returncode == 0 and '"ok": true' in check.stdout, check.stdout + check.stderr


def test_an_inspector_naming_the_ca_the_store_trusts_already_joins(world, tmp_path):
    """Joining as a logged-in inspector with --trust of the CA the store already has is no change to
    the anchors (no lead needed); a CA it does not trust yet is the lead's to add."""
    from inspector.accounts import authenticate
    from inspector.errors import UserError
    from inspector.exchange.join import join_with_account
    from inspector.signing.ca import create_demo_ca

    e = _joiner(world, tmp_path)
    li = authenticate(e, "li", password_of("li"))
    other = create_demo_ca(tmp_path / "other-ca", b"other-ca-passphrase")
    with pytest.raises(UserError) as refused:
        join_with_account(e, world["snap"], world["code"], li, other)
    assert "may not do this" in str(refused.value) or "无权" in str(refused.value)
    assert _contents(e)[0] == 0
    r = join_with_account(e, world["snap"], world["code"], li, world["ca"] / "ca.pem")
    assert r.rows > 0 and _contents(e)[0] == 1
    e.dispose()


def test_a_join_cancelled_midway_changes_nothing_and_leaves_no_reader_running(world, tmp_path):
    """Cancelled while the tables are copied (the file's digests being read beside the copy): the
    store holds nothing of the inspection and the second reader has stopped."""
    import threading

    from inspector.progress import Cancelled, Progress

    class CancelAtTable(Progress):
        def on_progress(self) -> None:
            if self.done == 5:
                self.cancel()

    e = _joiner(world, tmp_path)
    before = _contents(e)
    with pytest.raises(Cancelled):
        import_snapshot(e, world["snap"], code=world["code"], anchors=anchors(e), author="li",
                        register_team=register_team, progress=CancelAtTable())
    assert _contents(e) == before
    assert not [t for t in threading.enumerate() if t.name == "snapshot-digests"]
    r = _join(e, world["snap"])                     # and the same file joins afterwards
    assert r.rows > 0 and _contents(e)[0] == 1
    e.dispose()
