"""Central sync: the contract's slice, clause by clause, from SQLite and PostgreSQL alike."""
from __future__ import annotations

import hashlib
import sqlite3
import subprocess
import sys
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import psycopg
import pytest

from inspector import i18n
from inspector.db import open_store, session_factory
from inspector.errors import UserError
from inspector.models import SNAPSHOT_MODELS, SnapFeedetl, SnapMedList, SnapSetl, Snapshot
from inspector.progress import Cancelled, Progress
from inspector.snapshot import primary_key, stored_columns
from inspector.sync.central import list_central_institutions, sync_central
from inspector.sync.source import public_url
from tests.support import slice_data as sd
from tests.support.central_db import INSTITUTION as SYN_INSTITUTION
from tests.support.central_db import build_synthetic_central, create_postgres_central, create_sqlite_central
from tests.support.reference_slice import reference_slice

ROOT = Path(__file__).resolve().parents[2]


pytestmark = pytest.mark.usefixtures("english")   # messages are matched in English


@pytest.fixture(scope="module")
def synthetic_central(tmp_path_factory) -> Path:
    return build_synthetic_central(tmp_path_factory.mktemp("syn") / "central.db", 20_000, other_fee_lines=2_000)


@pytest.fixture
def sqlite_central(tmp_path) -> Path:
    return create_sqlite_central(tmp_path / "central.db", sd.TABLES)


def _sync(engine, url, **kw):
    return sync_central(engine, url, sd.C, sd.D0, sd.D1, sd.V, **kw)


def _keys(engine, snapshot_id: int, table: str) -> set:
    pk = ", ".join(primary_key(table))
    with engine.connect() as c:
        return set(map(tuple, c.exec_driver_sql(f"SELECT {pk} FROM snap_{table} WHERE snapshot_id=?", (snapshot_id,))))


def _counts(engine) -> dict[str, int]:
    with engine.connect() as c:
        return {t: c.exec_driver_sql(f"SELECT count(*) FROM snap_{t}").scalar() for t in SNAPSHOT_MODELS} | {
            "inspection": c.exec_driver_sql("SELECT count(*) FROM inspection").scalar(),
            "snapshot": c.exec_driver_sql("SELECT count(*) FROM snapshot").scalar(),
        }


def test_slice_holds_exactly_the_contract_rows(tmp_path, sqlite_central):
    engine = open_store(tmp_path / "store.db")
    r = _sync(engine, str(sqlite_central))
    for table, expected in sd.EXPECTED.items():
        assert _keys(engine, r.snapshot_id, table) == expected, table
        assert r.row_counts[table] == len(expected), table
    with session_factory(engine)() as s:
        big = s.get(SnapSetl, (r.snapshot_id, "S_IN_BIG"))
        assert big.medfee_sumamt == Decimal("999999999999.99") and big.hifp_pay == Decimal("999999999999.98")
        tiny = s.get(SnapFeedetl, (r.snapshot_id, "F_IN_TINY_PRICE"))
        assert tiny.pric == Decimal("0.0001") and tiny.cnt == Decimal("0.01")
        assert tiny.fee_ocur_time == datetime(2026, 3, 10, 9, 10)
        assert s.get(SnapFeedetl, (r.snapshot_id, "F_IN_QUOTE")).pric == Decimal("9999999999.9999")
        assert s.get(SnapMedList, (r.snapshot_id, sd.X2)).pric_uplmt_amt is None
        snap = s.get(Snapshot, r.snapshot_id)
        assert snap.extract_id == "EX-SLICE-1" and snap.source == f"sqlite:///{sqlite_central}"
        assert snap.row_counts == r.row_counts and snap.digests == r.digests


def test_digest_is_sha256_of_json_rows_in_key_order(tmp_path, sqlite_central):
    """The documented canonical form, recomputed independently: one JSON array per row, key order."""
    import json

    engine = open_store(tmp_path / "store.db")
    r = _sync(engine, str(sqlite_central))
    con = sqlite3.connect(tmp_path / "store.db")
    for table in SNAPSHOT_MODELS:
        cols = stored_columns(table)
        rows = con.execute(
            f"SELECT {', '.join(cols)} FROM snap_{table} WHERE snapshot_id=? ORDER BY {', '.join(primary_key(table))}",
            (r.snapshot_id,),
        ).fetchall()
        text = "".join(json.dumps(list(row), ensure_ascii=False, separators=(",", ":")) + "\n" for row in rows)
        assert r.digests[table] == hashlib.sha256(text.encode()).hexdigest(), table
    assert r.digests["feedetl"] != r.digests["setl"]


@pytest.mark.postgres
def test_postgres_and_sqlite_give_identical_snapshots(tmp_path, sqlite_central, postgres_db):
    create_postgres_central(postgres_db, sd.TABLES)
    engine = open_store(tmp_path / "store.db")
    from_sqlite = _sync(engine, str(sqlite_central))
    pw_url = postgres_db.replace("postgres@", "postgres:s3cr%40t@")  # trust auth: any password works
    from_pg = _sync(engine, pw_url)
    assert from_pg.row_counts == from_sqlite.row_counts
    assert from_pg.digests == from_sqlite.digests
    for table, expected in sd.EXPECTED.items():
        assert _keys(engine, from_pg.snapshot_id, table) == expected, table
    with session_factory(engine)() as s:
        source = s.get(Snapshot, from_pg.snapshot_id).source
    assert "s3cr" not in source and source.startswith("postgresql+psycopg://postgres@127.0.0.1:")
    assert list_central_institutions(pw_url) == list_central_institutions(str(sqlite_central))
    assert [i["code"] for i in list_central_institutions(pw_url, "第二")] == [sd.OTHER]
    assert list_central_institutions(pw_url, "_") == []


def test_resync_adds_a_version_and_keeps_the_first(tmp_path, sqlite_central):
    engine = open_store(tmp_path / "store.db")
    first = _sync(engine, str(sqlite_central))
    con = sqlite3.connect(sqlite_central)
    con.execute("UPDATE setl SET medfee_sumamt = 1234.57 WHERE setl_id = 'S_IN_PREV_ANY_DATE'")
    con.commit()
    con.close()
    second = _sync(engine, str(sqlite_central), target_inspection=first.inspection_id)
    assert (second.inspection_id, second.version) == (first.inspection_id, 2)
    assert second.digests["setl"] != first.digests["setl"] and second.digests["feedetl"] == first.digests["feedetl"]
    with session_factory(engine)() as s:
        assert s.get(SnapSetl, (first.snapshot_id, "S_IN_PREV_ANY_DATE")).medfee_sumamt == Decimal("1234.56")
        assert s.get(SnapSetl, (second.snapshot_id, "S_IN_PREV_ANY_DATE")).medfee_sumamt == Decimal("1234.57")
    with pytest.raises(UserError, match="same"):
        sync_central(engine, str(sqlite_central), sd.C, sd.D0, date(2026, 3, 30), sd.V, target_inspection=first.inspection_id)


@pytest.mark.parametrize(
    "change, args, message",
    [
        (None, (sd.C, date(2026, 3, 2), date(2026, 3, 1), sd.V), "starts after it ends"),
        (None, (sd.C, sd.D0, sd.D1, datetime(2026, 2, 28, 23, 59, 59)), "before the review window"),
        (None, ("H99999999999", sd.D0, sd.D1, sd.V), "H99999999999 is not in the central"),
        ("UPDATE extract_meta SET value='2' WHERE key='schema_version'", (sd.C, sd.D0, sd.D1, sd.V), "schema_version 2"),
        ("DROP TABLE extract_meta", (sd.C, sd.D0, sd.D1, sd.V), "not a central extract"),
    ],
)
def test_bad_requests_are_refused_and_change_nothing(tmp_path, sqlite_central, change, args, message):
    if change:
        con = sqlite3.connect(sqlite_central)
        con.execute(change)
        con.commit()
        con.close()
    engine = open_store(tmp_path / "store.db")
    with pytest.raises(UserError, match=message):
        sync_central(engine, str(sqlite_central), *args)
    assert _counts(engine)["inspection"] == 0


def test_missing_file_and_bad_urls_are_clear(tmp_path):
    engine = open_store(tmp_path / "store.db")
    with pytest.raises(UserError, match="not found"):
        _sync(engine, str(tmp_path / "nope.db"))
    assert not (tmp_path / "nope.db").exists()
    (tmp_path / "notes.db").write_text("hello")
    with pytest.raises(UserError, match="not a readable SQLite"):
        _sync(engine, str(tmp_path / "notes.db"))
    with pytest.raises(UserError, match="not supported"):
        _sync(engine, "mysql://u:p@localhost/x")


@pytest.mark.postgres
def test_unreachable_server_message_has_no_password(tmp_path, postgres_url):
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    engine = open_store(tmp_path / "store.db")
    with pytest.raises(UserError) as err:
        _sync(engine, f"postgresql://inspector:Very$ecret@127.0.0.1:{port}/central")
    text = str(err.value)
    assert "cannot connect" in text and f"127.0.0.1:{port}" in text and "Very$ecret" not in text


def test_public_url_strips_the_password():
    assert public_url("postgresql://u:pw@h:5432/db") == "postgresql://u@h:5432/db"
    assert public_url("postgresql+psycopg://u@h/db?password=pw&sslmode=require") == "postgresql+psycopg://u@h/db?sslmode=require"
    assert public_url("/data/c.db") == "sqlite:////data/c.db"


def test_cancel_through_progress_leaves_nothing(tmp_path, sqlite_central):
    engine = open_store(tmp_path / "store.db")
    first = _sync(engine, str(sqlite_central))
    before = _counts(engine)

    class CancelAtFees(Progress):
        def on_progress(self):
            if self.label == "feedetl":
                self.cancel()

    with pytest.raises(Cancelled):
        _sync(engine, str(sqlite_central), progress=CancelAtFees())
    with pytest.raises(Cancelled):
        _sync(engine, str(sqlite_central), progress=CancelAtFees(), target_inspection=first.inspection_id)
    assert _counts(engine) == before


@pytest.mark.postgres
def test_source_failing_mid_stream_leaves_nothing(tmp_path, sqlite_central, postgres_db):
    """The central connection dies while fee lines stream: an error naming the source, no trace left."""
    create_postgres_central(postgres_db, sd.TABLES)
    engine = open_store(tmp_path / "store.db")
    _sync(engine, str(sqlite_central))
    before = _counts(engine)
    admin = postgres_db.replace("postgresql+psycopg://", "postgresql://")

    class KillBackendAtFees(Progress):
        def on_progress(self):
            if self.label == "feedetl" and self.done == 0:
                with psycopg.connect(admin, autocommit=True) as c:
                    c.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                              "WHERE application_name = 'inspector-sync'")

    with pytest.raises(UserError, match="reading the central database"):
        _sync(engine, postgres_db, progress=KillBackendAtFees())
    assert _counts(engine) == before
    with engine.connect() as c:
        assert c.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"


def test_list_central_institutions(sqlite_central):
    all_ = list_central_institutions(str(sqlite_central))
    assert [i["code"] for i in all_] == [sd.C, sd.OTHER]
    assert all_[0] == {"code": sd.C, "name": "第一医院", "type": "1", "tier": "3", "admdvs": "610100"}
    assert [i["code"] for i in list_central_institutions(str(sqlite_central), "第二")] == [sd.OTHER]
    assert list_central_institutions(str(sqlite_central), "%") == []


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "main.py", *args], cwd=ROOT, capture_output=True, text=True, timeout=120)


def test_cli_sync_prints_the_id_last_and_resyncs(tmp_path, sqlite_central, cli_account):
    db = tmp_path / "store.db"
    unknown = _cli("sync", "--central", str(sqlite_central), "--institution", sd.C, "--from", "2026-03-01",
                   "--to", "2026-03-31", "--db", str(db))
    assert unknown.returncode == 2 and "account create" in unknown.stderr      # a store without accounts
    cli_account(db, "li")
    out = _cli("sync", "--central", str(sqlite_central), "--institution", sd.C, "--from", "2026-03-01",
               "--to", "2026-03-31", "--visit-time", "2026-04-03 10:00:00", "--db", str(db))
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().splitlines()[-1] == "1"
    assert "feedetl" in out.stderr and i18n.gettext("digests", "zh_CN") in out.stderr
    again = _cli("sync", "--central", f"sqlite:///{sqlite_central}", "--inspection", "1", "--db", str(db))
    assert again.returncode == 0, again.stderr
    assert again.stdout.strip().splitlines()[-1] == "1"
    engine = open_store(db)
    with engine.connect() as c:
        rows = c.exec_driver_sql("SELECT version, digests FROM snapshot ORDER BY version").fetchall()
    assert [r[0] for r in rows] == [1, 2] and rows[0][1] == rows[1][1]
    bad = _cli("sync", "--central", str(sqlite_central), "--institution", sd.C, "--from", "2026-03-01",
               "--to", "2026-02-01", "--db", str(db))
    assert bad.returncode == 2 and "2026-03-01 > 2026-02-01" in bad.stderr  # in whatever language


def test_reference_implementation_agrees_on_the_hand_built_edges(sqlite_central):
    """The plain-Python reference reads the contract the same way as the expected keys."""
    assert reference_slice(sqlite_central, sd.C, sd.D0, sd.D1, sd.V) == {
        t: keys for t, keys in sd.EXPECTED.items()
    }


@pytest.mark.parametrize(
    "d0, d1, visit",
    [
        (date(2026, 1, 1), date(2026, 3, 31), datetime(2026, 4, 10, 10, 0, 0)),   # V after the window
        (date(2026, 2, 3), date(2026, 2, 17), datetime(2026, 2, 10, 14, 30, 0)),   # V inside the window
        (date(2026, 3, 1), date(2026, 3, 1), datetime(2026, 3, 1, 0, 0, 0)),       # one day, V = W0
    ],
)
def test_sync_matches_the_reference_on_a_synthetic_central(tmp_path, synthetic_central, d0, d1, visit):
    """On thousands of generated rows and several windows, SQL slice == plain-Python slice."""
    central = synthetic_central
    engine = open_store(tmp_path / "store.db")
    r = sync_central(engine, str(central), SYN_INSTITUTION, d0, d1, visit)
    expected = reference_slice(central, SYN_INSTITUTION, d0, d1, visit)
    assert sum(map(len, expected.values())) > 300  # a real sample, not a handful
    for table, keys in expected.items():
        assert _keys(engine, r.snapshot_id, table) == keys, table


def test_copy_into_the_store_row_by_row_keeps_every_row_of_every_key_shape(tmp_path, sqlite_central, monkeypatch):
    """The copy into the store goes chunk by chunk in key order (inspector/snapshot.py, `_copy_in`); with
    one row per chunk, tables keyed by several columns (drug_inv, wards) still arrive whole and equal."""
    from inspector import snapshot
    from inspector.integrity import check_store

    whole = _sync(open_store(tmp_path / "whole.db"), str(sqlite_central))
    monkeypatch.setenv("INSPECTOR_SYNC_CHUNK_ROWS", "1")
    monkeypatch.setattr(snapshot, "COPY_PAUSE", 0.0)
    engine = open_store(tmp_path / "chunked.db")
    chunked = _sync(engine, str(sqlite_central))
    assert chunked.row_counts == whole.row_counts and chunked.digests == whole.digests
    assert chunked.row_counts["drug_inv"] >= 2 and chunked.row_counts["feedetl"] >= 2
    for table in ("drug_inv", "feedetl"):
        assert _keys(engine, chunked.snapshot_id, table) == sd.EXPECTED[table]
    assert check_store(engine).ok
