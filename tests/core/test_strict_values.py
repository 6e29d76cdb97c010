"""Strict values at the door: every bad central value refuses the whole snapshot, naming it."""
from __future__ import annotations

import hashlib
import sqlite3
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest

from inspector.db import open_store
from inspector.errors import UserError
from inspector.sync.central import sync_central
from inspector.sync.strict import ContractViolation
from tests.support import slice_data as sd
from tests.support.central_db import _conninfo, create_postgres_central, create_sqlite_central

ROOT = Path(__file__).resolve().parents[2]


pytestmark = pytest.mark.usefixtures("english")   # messages are matched in English


def _no_pk(table: str) -> list[str]:
    """SQL turning `table` into a copy without its key or NOT NULL constraints (a central built carelessly)."""
    return [f"CREATE TABLE tmp_{table} AS SELECT * FROM {table}", f"DROP TABLE {table}",
            f"ALTER TABLE tmp_{table} RENAME TO {table}"]


# (id, SQL run on the SQLite central, expected fragments of the message, further problems)
SQLITE_CASES = [
    ("text-time", ["UPDATE mdtrt SET endtime = 'see notes' WHERE mdtrt_id = 'M_IN_IPT_WINDOW'"],
     ["table mdtrt", "mdtrt_id = 'M_IN_IPT_WINDOW'", "column endtime", "'see notes'", "YYYY-MM-DD HH:MM:SS"], 0),
    ("abc", ["UPDATE feedetl SET det_item_fee_sumamt = 'abc' WHERE feedetl_sn = 'F_IN_TINY_PRICE'"],
     ["table feedetl", "feedetl_sn = 'F_IN_TINY_PRICE'", "column det_item_fee_sumamt", "'abc'", "not a number"], 0),
    ("two-points", ["UPDATE feedetl SET det_item_fee_sumamt = '12.3.4' WHERE feedetl_sn = 'F_IN_QUOTE'"],
     ["feedetl_sn = 'F_IN_QUOTE'", "det_item_fee_sumamt", "'12.3.4'", "not a number"], 0),
    ("many", ["UPDATE feedetl SET cnt = 'many' WHERE feedetl_sn = 'F_IN_PREV'"],
     ["feedetl_sn = 'F_IN_PREV'", "column cnt", "'many'", "not a number"], 0),
    ("too-many-places", ["UPDATE feedetl SET det_item_fee_sumamt = 12.345 WHERE feedetl_sn = 'F_IN_PREV'"],
     ["column det_item_fee_sumamt", "'12.345'", "more than 2 decimal places"], 0),
    ("price-5-places", ["UPDATE drug_purc SET purc_pric = '1.23456' WHERE purc_id = 'PU_IN_X3'"],
     ["table drug_purc", "purc_id = 'PU_IN_X3'", "purc_pric", "more than 4 decimal places"], 0),
    ("integer-many", ["UPDATE medrcd SET ipt_days = 'many' WHERE mdtrt_id = 'M_IN_IPT_WINDOW'"],
     ["table medrcd", "column ipt_days", "'many'", "not a whole number"], 0),
    ("null-visit-id", _no_pk("mdtrt") + ["UPDATE mdtrt SET mdtrt_id = NULL WHERE mdtrt_id = 'M_IN_WINDOW'"],
     ["table mdtrt", "mdtrt_id = (empty)", "column mdtrt_id", "empty"], 0),
    ("null-person", _no_pk("mdtrt") + ["UPDATE mdtrt SET psn_no = NULL WHERE mdtrt_id = 'M_IN_WINDOW'"],
     ["table mdtrt", "mdtrt_id = 'M_IN_WINDOW'", "column psn_no", "empty"], 0),
    ("null-fee-key", ["UPDATE feedetl SET feedetl_sn = NULL WHERE feedetl_sn = 'F_IN_PREV'"],
     ["table feedetl", "feedetl_sn = (empty)", "column feedetl_sn", "empty"], 0),
    ("text-begin-outside-any-window", ["UPDATE mdtrt SET begntime = 'see notes' WHERE mdtrt_id = 'M_OUT_BEGINS_AT_W1'"],
     ["table mdtrt", "mdtrt_id = 'M_OUT_BEGINS_AT_W1'", "column begntime", "'see notes'"], 0),
    ("no-such-day", ["UPDATE drug_inv SET invdate = '2026-02-30' WHERE invdate = '2026-02-20'"],
     ["table drug_inv", "column invdate", "'2026-02-30'", "YYYY-MM-DD"], 0),
    ("slashes", ["UPDATE setl SET setl_time = '2026/03/10 10:00' WHERE setl_id = 'S_IN_BIG'"],
     ["table setl", "setl_id = 'S_IN_BIG'", "column setl_time", "'2026/03/10 10:00'"], 0),
    ("duplicate-key", _no_pk("feedetl") + ["INSERT INTO feedetl SELECT * FROM feedetl WHERE feedetl_sn = 'F_IN_QUOTE'"],
     ["table feedetl", "feedetl_sn = 'F_IN_QUOTE'", "duplicate key: 2 rows"], 0),
    ("three-problems", ["UPDATE feedetl SET cnt = 'many' WHERE feedetl_sn = 'F_IN_PREV'",
                        "UPDATE feedetl SET pric = 'x' WHERE feedetl_sn = 'F_IN_QUOTE'",
                        "UPDATE setl SET hifp_pay = '1.001' WHERE setl_id = 'S_IN_BIG'"],
     ["table setl", "setl_id = 'S_IN_BIG'", "hifp_pay", "'1.001'"], 2),
]


def _store_state(path: Path) -> str:
    """A digest of the store's whole logical content (every table's rows)."""
    con = sqlite3.connect(path)
    try:
        h = hashlib.sha256()
        for line in con.iterdump():
            h.update(line.encode())
        return h.hexdigest()
    finally:
        con.close()


@pytest.fixture
def store_with_one_inspection(tmp_path):
    good = create_sqlite_central(tmp_path / "good.db", sd.TABLES)
    engine = open_store(tmp_path / "store.db")
    sync_central(engine, str(good), sd.C, sd.D0, sd.D1, sd.V)
    engine.dispose()
    return tmp_path / "store.db"


def _refused(store: Path, url: str, fragments: list[str], further: int) -> None:
    before = _store_state(store)
    engine = open_store(store)
    with pytest.raises(ContractViolation) as info:
        sync_central(engine, url, sd.C, sd.D0, sd.D1, sd.V)
    engine.dispose()
    message = str(info.value)
    for fragment in fragments:
        assert fragment in message, (fragment, message)
    assert "nothing was changed" in message
    if further:
        assert f"{further} further problems" in message, message
    else:
        assert "further" not in message, message
    assert info.value.total == further + 1
    assert _store_state(store) == before
    assert not list(store.parent.glob("store.db.staging-*"))


@pytest.mark.parametrize("case,sql,fragments,further", SQLITE_CASES, ids=[c[0] for c in SQLITE_CASES])
def test_bad_sqlite_central_value_is_refused(tmp_path, store_with_one_inspection, case, sql, fragments, further):
    central = create_sqlite_central(tmp_path / f"{case}.db", sd.TABLES)
    con = sqlite3.connect(central)
    for stmt in sql:
        con.execute(stmt)
    con.commit()
    con.close()
    _refused(store_with_one_inspection, str(central), fragments, further)


def test_exact_values_in_any_sqlite_form_are_accepted(tmp_path):
    """Integers, REALs and text numbers with trailing zeros are exact: accepted, same digests."""
    a = create_sqlite_central(tmp_path / "a.db", sd.TABLES)
    b = create_sqlite_central(tmp_path / "b.db", sd.TABLES)
    con = sqlite3.connect(b)
    # Text affinity columns would keep these as typed; NUMERIC ones convert them: force the forms.
    con.execute("UPDATE feedetl SET cnt = CAST('2.500' AS TEXT) || '' WHERE feedetl_sn = 'F_IN_BEFORE_WINDOW_OF_STILL'")
    con.execute("UPDATE medrcd SET ipt_days = '7' WHERE mdtrt_id = 'M_IN_IPT_WINDOW'")
    con.commit()
    con.close()
    ra = sync_central(open_store(tmp_path / "sa.db"), str(a), sd.C, sd.D0, sd.D1, sd.V)
    rb = sync_central(open_store(tmp_path / "sb.db"), str(b), sd.C, sd.D0, sd.D1, sd.V)
    assert ra.digests == rb.digests


# PostgreSQL: a carelessly built central whose columns are text, nullable or without keys.
PG_LOOSE = [
    "ALTER TABLE feedetl ALTER COLUMN det_item_fee_sumamt TYPE text",
    "ALTER TABLE feedetl ALTER COLUMN cnt TYPE text",
    "ALTER TABLE setl ALTER COLUMN setl_time TYPE text USING to_char(setl_time, 'YYYY-MM-DD HH24:MI:SS')",
    "ALTER TABLE medrcd ALTER COLUMN ipt_days TYPE text",
    "ALTER TABLE feedetl ALTER COLUMN psn_no DROP NOT NULL",
    "ALTER TABLE feedetl DROP CONSTRAINT feedetl_pkey",
]
PG_CASES = [
    ("abc", "UPDATE feedetl SET det_item_fee_sumamt = 'abc' WHERE feedetl_sn = 'F_IN_TINY_PRICE'",
     ["table feedetl", "feedetl_sn = 'F_IN_TINY_PRICE'", "det_item_fee_sumamt", "'abc'", "not a number"]),
    ("two-points", "UPDATE feedetl SET det_item_fee_sumamt = '12.3.4' WHERE feedetl_sn = 'F_IN_QUOTE'",
     ["det_item_fee_sumamt", "'12.3.4'", "not a number"]),
    ("too-many-places", "UPDATE feedetl SET det_item_fee_sumamt = '12.345' WHERE feedetl_sn = 'F_IN_PREV'",
     ["feedetl_sn = 'F_IN_PREV'", "'12.345'", "more than 2 decimal places"]),
    ("many", "UPDATE feedetl SET cnt = 'many' WHERE feedetl_sn = 'F_IN_PREV'", ["column cnt", "'many'"]),
    ("see-notes", "UPDATE setl SET setl_time = 'see notes' WHERE setl_id = 'S_IN_BIG'",
     ["table setl", "setl_id = 'S_IN_BIG'", "setl_time", "'see notes'"]),
    ("integer-many", "UPDATE medrcd SET ipt_days = 'many' WHERE mdtrt_id = 'M_IN_IPT_WINDOW'",
     ["table medrcd", "ipt_days", "'many'", "not a whole number"]),
    ("null-person", "UPDATE feedetl SET psn_no = NULL WHERE feedetl_sn = 'F_IN_QUOTE'",
     ["table feedetl", "feedetl_sn = 'F_IN_QUOTE'", "column psn_no", "empty"]),
    ("duplicate-key", "INSERT INTO feedetl SELECT * FROM feedetl WHERE feedetl_sn = 'F_IN_QUOTE'",
     ["table feedetl", "feedetl_sn = 'F_IN_QUOTE'", "duplicate key: 2 rows"]),
]


def test_bad_postgres_central_values_are_refused(tmp_path, store_with_one_inspection, postgres_db):
    create_postgres_central(postgres_db, sd.TABLES)
    with psycopg.connect(_conninfo(postgres_db), autocommit=True) as con:
        for stmt in PG_LOOSE:
            con.execute(stmt)
    # Loose types, clean values: the same snapshot as from the SQLite central.
    clean = sync_central(open_store(tmp_path / "pg.db"), postgres_db, sd.C, sd.D0, sd.D1, sd.V)
    ref = sync_central(open_store(tmp_path / "ref.db"), str(create_sqlite_central(tmp_path / "c.db", sd.TABLES)),
                       sd.C, sd.D0, sd.D1, sd.V)
    assert clean.digests == ref.digests
    changed = ("feedetl", "setl", "medrcd")
    with psycopg.connect(_conninfo(postgres_db), autocommit=True) as con:
        for t in changed:
            con.execute(f"CREATE TABLE keep_{t} AS SELECT * FROM {t}")
        for case, stmt, fragments in PG_CASES:
            con.execute(stmt)
            _refused(store_with_one_inspection, postgres_db, fragments, 0)
            for t in changed:   # back to the clean rows for the next case
                con.execute(f"DELETE FROM {t}")
                con.execute(f"INSERT INTO {t} SELECT * FROM keep_{t}")


def test_cli_sync_of_a_bad_value_exits_2_with_the_message(tmp_path, store_with_one_inspection, cli_account):
    cli_account(store_with_one_inspection, "li")       # sync: as a logged-in account
    central = create_sqlite_central(tmp_path / "bad.db", sd.TABLES)
    con = sqlite3.connect(central)
    con.execute("UPDATE feedetl SET det_item_fee_sumamt = 'abc' WHERE feedetl_sn = 'F_IN_TINY_PRICE'")
    con.commit()
    con.close()
    before = _store_state(store_with_one_inspection)
    out = subprocess.run(
        [sys.executable, "main.py", "sync", "--central", str(central), "--institution", sd.C, "--from", "2026-03-01",
         "--to", "2026-03-31", "--visit-time", "2026-04-03 10:00:00", "--db", str(store_with_one_inspection)],
        cwd=ROOT, capture_output=True, text=True,
    )
    assert out.returncode == 2, out.stderr
    assert "Traceback" not in out.stderr
    assert "F_IN_TINY_PRICE" in out.stderr and "det_item_fee_sumamt" in out.stderr and "abc" in out.stderr
    assert _store_state(store_with_one_inspection) == before


def test_postgres_text_time_that_chooses_the_slice_is_refused_by_type(tmp_path, store_with_one_inspection,
                                                                       postgres_db):
    """CONTRACT.md: times are `timestamp` on PostgreSQL. A text time elsewhere is checked value by value
    (see PG_LOOSE), but one the slice is chosen by is refused up front, by its type, with a clear message."""
    create_postgres_central(postgres_db, sd.TABLES)
    with psycopg.connect(_conninfo(postgres_db), autocommit=True) as con:
        con.execute("ALTER TABLE mdtrt ALTER COLUMN begntime TYPE text USING to_char(begntime, 'YYYY-MM-DD HH24:MI:SS')")
    before = _store_state(store_with_one_inspection)
    engine = open_store(store_with_one_inspection)
    with pytest.raises(UserError) as info:
        sync_central(engine, postgres_db, sd.C, sd.D0, sd.D1, sd.V)
    engine.dispose()
    assert str(info.value) == ("the central column mdtrt.begntime is of type text; the contract says timestamp, "
                               "and the slice is chosen by it")
    assert _store_state(store_with_one_inspection) == before
    assert not list(store_with_one_inspection.parent.glob("store.db.staging-*"))
