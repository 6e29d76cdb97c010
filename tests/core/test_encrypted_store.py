"""The store at rest: SQLCipher with key slots per account and a recovery key.

Tests use cheap Argon2id parameters (INSPECTOR_TEST_ARGON2=fast); the product's are in
inspector/keyslots.py and the README."""
from __future__ import annotations

import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from inspector import keyslots
from inspector.db import StoreError, StoreLocked, is_encrypted_file, lock_store, open_store, register_key
from inspector.storecrypt import (
    add_account_key,
    create_encrypted_store,
    encrypt_store,
    unlock_store,
    unlock_with_recovery,
)

PW = "correct horse battery"
NAME = "患者甲乙丙"


@pytest.fixture(autouse=True)
def _fast_argon2(monkeypatch):
    monkeypatch.setenv(keyslots.TEST_PARAMS_ENV, "fast")
    yield
    lock_store()


def _add_inspection(engine, name: str = NAME) -> None:
    with engine.begin() as c:
        c.exec_driver_sql(
            "INSERT INTO inspection (uid, fixmedins_code, fixmedins_name, date_from, date_to, visit_time, status, "
            "team, settings, created_at) VALUES (?, 'H61010000001', ?, '2026-01-01', '2026-03-31', "
            "'2026-04-02 09:00:00', 'synced', '[]', '{}', '2026-04-01 08:00:00')", (os.urandom(8).hex(), name))


def _raw(folder: Path, stem: str) -> bytes:
    return b"".join(f.read_bytes() for f in folder.iterdir() if f.name.startswith(stem) and f.is_file())


def test_key_slots_open_with_the_password_or_the_recovery_key_only(tmp_path):
    store = tmp_path / "s.db"
    key = keyslots.new_store_key()
    recovery = keyslots.create_keyfile(store, key, "wang", PW)
    assert len(keyslots.normalise_recovery_key(recovery)) == 32 and recovery.count("-") == 7
    assert keyslots.unwrap_with_password(store, "wang", PW) == key
    for login, pw in (("wang", PW + "x"), ("wang", ""), ("li", PW)):
        with pytest.raises(keyslots.WrongSecret, match="登录名或密码错误"):
            keyslots.unwrap_with_password(store, login, pw)
    # the recovery key typed loosely (lower case, spaces) opens its slot; a wrong one does not
    assert keyslots.unwrap_with_recovery(store, recovery.lower().replace("-", " ")) == key
    with pytest.raises(keyslots.WrongSecret, match="恢复密钥不正确"):
        keyslots.unwrap_with_recovery(store, recovery[:-1] + ("A" if recovery[-1] != "A" else "B"))
    # a second account; a slot copied onto another login does not open (bound to its slot id)
    keyslots.add_account_slot(store, key, "li", "another password")
    assert keyslots.unwrap_with_password(store, "li", "another password") == key
    data = json.loads(keyslots.keyfile_path(store).read_text())
    wang = next(s for s in data["slots"] if s["id"] == "account:wang")
    forged = dict(wang, id="account:zhao")
    data["slots"].append(forged)
    keyslots.keyfile_path(store).write_text(json.dumps(data))
    with pytest.raises(keyslots.WrongSecret):
        keyslots.unwrap_with_password(store, "zhao", PW)
    # the key file holds no key in the clear, and a new recovery key retires the old one
    assert key.hex() not in keyslots.keyfile_path(store).read_text()
    new = keyslots.replace_recovery_slot(store, key)
    assert keyslots.unwrap_with_recovery(store, new) == key
    with pytest.raises(keyslots.WrongSecret):
        keyslots.unwrap_with_recovery(store, recovery)


def test_encrypted_store_refuses_plain_sqlite_wrong_key_and_no_key(tmp_path):
    store = tmp_path / "s.db"
    engine, recovery = create_encrypted_store(store, "wang", PW)
    _add_inspection(engine)
    lock_store(store, engine)
    assert is_encrypted_file(store)
    with pytest.raises(sqlite3.DatabaseError):
        sqlite3.connect(store).execute("SELECT * FROM inspection").fetchall()
    with pytest.raises(StoreLocked):
        open_store(store)
    with pytest.raises(StoreError, match="无法用此密钥打开"):
        open_store(store, key=os.urandom(32))
    with pytest.raises(keyslots.WrongSecret):
        unlock_store(store, "wang", "not the password")
    engine = unlock_store(store, "wang", PW)
    with engine.connect() as c:
        assert c.exec_driver_sql("SELECT fixmedins_name FROM inspection").scalar() == NAME
        assert c.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert c.exec_driver_sql("PRAGMA temp_store").scalar() == 2  # MEMORY
        assert c.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    # once unlocked, the plain open_store(path) of the rest of the program works
    with open_store(store).connect() as c:
        assert c.exec_driver_sql("SELECT count(*) FROM inspection").scalar() == 1
    assert NAME.encode() not in _raw(tmp_path, "s.db")


def test_locking_drops_the_key_and_unlocking_rederives_it(tmp_path):
    store = tmp_path / "s.db"
    engine, _ = create_encrypted_store(store, "wang", PW)
    from inspector.storecrypt import store_key_of

    key = store_key_of(engine)
    lock_store(store, engine)
    assert key.wiped and not any(key._buf)
    with pytest.raises(StoreLocked):
        with engine.connect():
            pass
    with pytest.raises(StoreLocked):
        open_store(store)
    engine = unlock_store(store, "wang", PW)
    with engine.connect() as c:
        assert c.exec_driver_sql("SELECT count(*) FROM inspection").scalar() == 0


def test_recovery_key_opens_the_store_when_every_password_is_lost_and_resets_one(tmp_path):
    store = tmp_path / "s.db"
    engine, recovery = create_encrypted_store(store, "wang", PW)
    add_account_key(engine, store, "li", "li's old password")
    _add_inspection(engine)
    lock_store()
    engine = unlock_with_recovery(store, recovery)
    with engine.connect() as c:
        assert c.exec_driver_sql("SELECT fixmedins_name FROM inspection").scalar() == NAME
    add_account_key(engine, store, "li", "li's new password")  # the lead resets a member's password
    lock_store()
    with pytest.raises(keyslots.WrongSecret):
        unlock_store(store, "li", "li's old password")
    assert unlock_store(store, "li", "li's new password") is not None


def test_plain_store_is_converted_with_its_data_and_no_plain_byte_left(tmp_path):
    store = tmp_path / "s.db"
    engine = open_store(store)
    for i in range(30):
        _add_inspection(engine, f"{NAME}{i}")
    engine.dispose()
    assert NAME.encode() in _raw(tmp_path, "s.db")
    engine, recovery = create_encrypted_store(store, "wang", PW)
    with engine.connect() as c:
        assert c.exec_driver_sql("SELECT count(*) FROM inspection").scalar() == 30
        assert c.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"
    lock_store()
    assert NAME.encode() not in _raw(tmp_path, "s.db")
    assert sorted(f.name for f in tmp_path.iterdir()) == ["s.db", "s.db.keyslots"]
    with pytest.raises(StoreError, match="已加密"):
        encrypt_store(store, None)  # type: ignore[arg-type]


_CONVERT = textwrap.dedent("""
    import os, sys
    os.environ["INSPECTOR_TEST_ARGON2"] = "fast"
    from inspector.storecrypt import create_encrypted_store
    print("start", flush=True)
    create_encrypted_store(sys.argv[1], "wang", sys.argv[2])
    print("done", flush=True)
""")


def _big_plain_store(path: Path, rows: int) -> int:
    engine = open_store(path)
    engine.dispose()
    con = sqlite3.connect(path)
    con.execute("INSERT INTO inspection (uid, fixmedins_code, fixmedins_name, date_from, date_to, visit_time, status, "
                "team, settings, created_at) VALUES ('u', 'H61010000001', 'x', '2026-01-01', '2026-03-31', "
                "'2026-04-02 09:00:00', 'synced', '[]', '{}', '2026-04-01 08:00:00')")
    con.execute("INSERT INTO snapshot (inspection_id, version, source_kind, source, extract_id, schema_version, "
                "synced_at, row_counts, digests) VALUES (1, 1, 'central', 'x', 'e', '1', '2026-04-01 08:00:00', '{}', '{}')")
    con.executemany("INSERT INTO snap_psn_info VALUES (1, ?, ?, '1', 1970, '610102********0001', '310')",
                    ((f"P{i:08d}", f"{NAME}{i}") for i in range(rows)))
    con.commit()
    con.close()
    return rows


def _count(engine) -> int:
    with engine.connect() as c:
        return c.exec_driver_sql("SELECT count(*) FROM snap_psn_info").scalar()


def test_conversion_killed_at_random_points_loses_nothing(tmp_path):
    rng = random.Random(20261204)
    env = {**os.environ, "PYTHONPATH": str(Path.cwd())}
    # how long a whole conversion takes here, to spread the kills over it
    probe = tmp_path / "probe"
    probe.mkdir()
    rows = _big_plain_store(probe / "s.db", 40_000)
    proc = subprocess.Popen([sys.executable, "-c", _CONVERT, str(probe / "s.db"), PW], env=env,
                            stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "start"  # imports done: the conversion starts now
    t0 = time.perf_counter()
    assert proc.stdout.readline().strip() == "done"
    whole = time.perf_counter() - t0
    proc.wait()
    outcomes = set()
    for n in range(6):
        d = tmp_path / f"run{n}"
        d.mkdir()
        _big_plain_store(d / "s.db", rows)
        proc = subprocess.Popen([sys.executable, "-c", _CONVERT, str(d / "s.db"), PW], env=env,
                                stdout=subprocess.PIPE, text=True)
        assert proc.stdout.readline().strip() == "start"
        time.sleep(rng.uniform(0.0, 1.2) * whole)  # from the key file's writing to past the swap
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        lock_store()
        if keyslots.has_keyfile(d / "s.db"):
            # the key file is written first: the store is plain (finished on unlock) or encrypted
            outcomes.add("encrypted" if is_encrypted_file(d / "s.db") else "plain+keys")
            engine = unlock_store(d / "s.db", "wang", PW)
            assert is_encrypted_file(d / "s.db")
        else:
            outcomes.add("plain")
            assert not is_encrypted_file(d / "s.db")
            engine = open_store(d / "s.db")
        assert _count(engine) == rows, n
        with engine.connect() as c:
            assert c.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"
        engine.dispose()
        # and a conversion after the kill finishes (nothing half-done blocks it)
        if not is_encrypted_file(d / "s.db"):
            engine, _ = create_encrypted_store(d / "s.db", "wang", PW)
            assert _count(engine) == rows
        leftovers = [f.name for f in d.iterdir() if f.name not in ("s.db", "s.db.keyslots", "s.db-wal", "s.db-shm")]
        assert not [f for f in leftovers if f.endswith(".encrypting")], leftovers
        lock_store()
    assert len(outcomes) >= 2, outcomes  # the kills really fell at different stages


def test_after_the_demo_the_raw_bytes_hold_no_name_mask_or_amount(tmp_path, monkeypatch):
    """The demo on an encrypted store: main file, WAL, shared memory and temporary files read raw."""
    import tempfile

    from inspector.cli import run

    tmpdir = tmp_path / "tmp"
    tmpdir.mkdir()
    monkeypatch.setenv("TMPDIR", str(tmpdir))
    monkeypatch.setattr(tempfile, "tempdir", str(tmpdir))
    work = tmp_path / "demo"
    work.mkdir()
    assert run(["demo", "--workdir", str(work)]) == 0  # the demo makes its store encrypted
    assert is_encrypted_file(work / "inspector.db") and (work / "passwords" / "recovery-key.txt").exists()
    with open_store(work / "inspector.db").connect() as c:
        names = [r[0] for r in c.exec_driver_sql("SELECT DISTINCT psn_name FROM snap_psn_info")]
        masks = [r[0] for r in c.exec_driver_sql("SELECT DISTINCT certno_mask FROM snap_psn_info")]
        cents = [r[0] for r in c.exec_driver_sql(
            "SELECT DISTINCT medfee_sumamt FROM snap_setl WHERE medfee_sumamt >= 10000 "
            "UNION SELECT DISTINCT det_item_fee_sumamt FROM snap_feedetl WHERE det_item_fee_sumamt >= 100000")]
        events = c.exec_driver_sql("SELECT count(*) FROM event").scalar()
    assert len(names) > 500 and len(masks) > 500 and len(cents) > 200 and events > 10
    amounts = [f"{v // 100}.{v % 100:02d}" for v in cents]
    files = [f for f in work.iterdir() if f.name.startswith("inspector.db")] + list(tmpdir.rglob("*"))
    assert any(f.name == "inspector.db-wal" and f.stat().st_size > 0 for f in files)  # the WAL is read too
    raw = b"".join(f.read_bytes() for f in files if f.is_file())
    for what, values in (("name", names), ("mask", masks), ("amount", amounts)):
        found = [v for v in values if v.encode("utf-8") in raw]
        assert not found, (what, found[:5])
    # the same search finds them where they are in the clear: the demo central, the signed PDF's text
    central = (work / "demo-central.db").read_bytes()
    assert sum(n.encode() in central for n in names[:50]) > 40
    assert not list(tmpdir.iterdir()), "the demo left temporary files"


def test_repeated_wrong_passwords_slow_the_next_try(tmp_path):
    store = tmp_path / "s.db"
    keyslots.create_keyfile(store, keyslots.new_store_key(), "wang", PW)
    waited: list[float] = []
    now = [1000.0]
    for _ in range(3):
        with pytest.raises(keyslots.WrongSecret):
            keyslots.unwrap_with_password(store, "wang", "wrong password", sleep=waited.append, clock=lambda: now[0])
    assert waited == [1.0, 2.0]  # nothing before the first failure, then 1 s, 2 s
    keyslots.unwrap_with_password(store, "wang", PW, sleep=waited.append, clock=lambda: now[0])
    assert waited == [1.0, 2.0, 4.0] and "failures" not in keyslots.keyfile_path(store).read_text()
    keyslots.unwrap_with_password(store, "wang", PW, sleep=waited.append, clock=lambda: now[0])
    assert len(waited) == 3  # a success resets the count


def test_idle_lock_in_place_keeps_the_engine_for_the_windows(tmp_path):
    from inspector.storecrypt import open_with_credentials, relock, reunlock

    store = tmp_path / "s.db"
    engine, _ = create_encrypted_store(store, "wang", PW)
    _add_inspection(engine)
    relock(engine)
    with pytest.raises(StoreLocked):
        engine.connect()
    with pytest.raises(keyslots.WrongSecret):
        reunlock(engine, store, "wang", "not the password")
    with pytest.raises(StoreLocked):
        engine.connect()
    reunlock(engine, store, "wang", PW)
    with engine.connect() as c:
        assert c.exec_driver_sql("SELECT fixmedins_name FROM inspection").scalar() == NAME
    # the CLI's way in asks for credentials only when the store needs them
    asked = []
    lock_store()
    e2 = open_with_credentials(store, lambda: asked.append(1) or ("wang", PW))
    assert asked == [1] and e2.connect().close() is None
    plain = tmp_path / "plain.db"
    open_with_credentials(plain, lambda: asked.append(2) or ("x", "y")).dispose()
    assert asked == [1]


def test_a_sync_into_an_encrypted_store_stages_under_a_key_of_its_own(tmp_path):
    """The staging file beside the store is encrypted too (a random key of the load's own)."""
    from inspector import snapshot
    from tests.core.test_store import _feeds, _meta, _new

    store = tmp_path / "s.db"
    engine, _ = create_encrypted_store(store, "wang", PW)
    seen: list[bytes] = []
    real_stage = snapshot._stage

    def spy(staging, *a, **k):
        out = real_stage(staging, *a, **k)
        seen.append(staging.path.read_bytes())  # the staged file, as a thief would read it mid-load
        return out

    snapshot._stage = spy
    try:
        r = snapshot.write_snapshot(engine, _new(), source_kind="central", source="test", extract_meta=_meta(),
                                    feeds=_feeds())
    finally:
        snapshot._stage = real_stage
    assert seen and len(seen[0]) > 4096 and not seen[0].startswith(b"SQLite format 3")
    assert "张三".encode() not in seen[0] and b"610102" not in seen[0]
    assert not [p for p in tmp_path.iterdir() if ".staging-" in p.name]
    with engine.connect() as c:
        assert c.exec_driver_sql("SELECT psn_name FROM snap_psn_info WHERE snapshot_id = ?", (r.snapshot_id,)).scalar() == "张三"


def test_each_new_account_gets_a_slot_and_a_new_password_rewraps_it(tmp_path):
    from inspector.storecrypt import ensure_account_slot, remove_account_slot

    store = tmp_path / "s.db"
    engine, _ = create_encrypted_store(store, "wang", PW)
    ensure_account_slot(engine, "li", "li password 1")
    ensure_account_slot(engine, "li", "ignored: li has a slot")
    assert keyslots.slot_logins(store) == ["wang", "li"]
    ensure_account_slot(engine, "li", "li password 2", replace=True)
    lock_store()
    with pytest.raises(keyslots.WrongSecret):
        unlock_store(store, "li", "li password 1")
    engine = unlock_store(store, "li", "li password 2")
    remove_account_slot(engine, "li")
    lock_store()
    with pytest.raises(keyslots.WrongSecret):
        unlock_store(store, "li", "li password 2")
    plain = open_store(tmp_path / "plain.db")
    ensure_account_slot(plain, "x", "y")  # a plain store has no key file: nothing happens
    assert not keyslots.has_keyfile(tmp_path / "plain.db")


def test_the_gui_starts_on_a_locked_engine_that_the_login_unlocks_in_place(tmp_path):
    from inspector.storecrypt import is_locked, open_or_locked, reunlock

    store = tmp_path / "s.db"
    engine, _ = create_encrypted_store(store, "wang", PW)
    _add_inspection(engine)
    lock_store()
    engine = open_or_locked(store)
    assert is_locked(engine)
    with pytest.raises(StoreLocked):
        engine.connect()
    reunlock(engine, store, "wang", PW)
    assert not is_locked(engine)
    with engine.connect() as c:
        assert c.exec_driver_sql("SELECT fixmedins_name FROM inspection").scalar() == NAME
    assert not is_locked(open_or_locked(tmp_path / "plain.db"))
