"""The event log: append-only, hash-chained, durable, tamper-evident."""
from __future__ import annotations

import sqlite3

import pytest
from sqlalchemy.exc import DatabaseError

from inspector.db import open_store
from inspector.events import append_event, read_events, verify_log


def test_chain_verifies_and_reads_back(tmp_path):
    from tests.support.accounts import make_accounts

    engine = open_store(tmp_path / "s.db")
    li = make_accounts(engine)["li"]
    for i in range(5):
        append_event(engine, None, "census.outcome", {"n": i, "名": "张三"}, actor=li, device="d")
    check = verify_log(engine)
    assert check.ok and check.count == 5 + 4          # and the 4 'account.created' events
    with engine.connect() as c:
        rows = c.exec_driver_sql("SELECT author FROM event WHERE kind = 'census.outcome'").fetchall()
    assert [r[0] for r in rows] == ["li"] * 5         # the account's login, never the OS login


def test_store_refuses_update_and_delete(tmp_path):
    engine = open_store(tmp_path / "s.db")
    append_event(engine, None, "x.y", {"v": 1})
    with pytest.raises(DatabaseError, match="append-only"):
        with engine.begin() as c:
            c.exec_driver_sql("UPDATE event SET payload='{}'")
    with pytest.raises(DatabaseError, match="append-only"):
        with engine.begin() as c:
            c.exec_driver_sql("DELETE FROM event")


def test_tampered_row_is_named(tmp_path):
    p = tmp_path / "s.db"
    engine = open_store(p)
    events = [append_event(engine, None, "stock.count", {"qty": str(i)}) for i in range(4)]
    engine.dispose()
    con = sqlite3.connect(p)
    con.execute("DROP TRIGGER event_no_update")  # what an attacker with the file could do
    con.execute("UPDATE event SET payload=? WHERE seq=?", ('{"qty":"99"}', events[2].seq))
    con.commit()
    con.close()
    check = verify_log(open_store(p))
    assert not check.ok and check.broken_seq == events[2].seq and check.broken_id == events[2].id
    assert "altered" in check.reason


def test_removed_row_breaks_the_next_link(tmp_path):
    p = tmp_path / "s.db"
    engine = open_store(p)
    events = [append_event(engine, None, "stock.count", {"qty": str(i)}) for i in range(4)]
    engine.dispose()
    con = sqlite3.connect(p)
    con.execute("DROP TRIGGER event_no_delete")
    con.execute("DELETE FROM event WHERE seq=?", (events[1].seq,))
    con.commit()
    con.close()
    check = verify_log(open_store(p))
    assert not check.ok and check.broken_seq == events[2].seq and "removed" in check.reason
