"""Event chains per laptop: position, Lamport clock and version vector on every event; the
order the folds read is the same whatever order events were merged in; stores written before
chains existed are moved onto them when their old chain holds, and left as they are when not."""
from __future__ import annotations

import lzma
import sqlite3
from pathlib import Path

from inspector.db import open_store
from inspector.events import append_event, chain_heads, device_id, happened_before, read_events, verify_log

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "store-0.1.0.db.xz"


def _inspection(engine, uid="u-1") -> int:
    with engine.begin() as c:
        return c.exec_driver_sql(
            "INSERT INTO inspection (uid, fixmedins_code, fixmedins_name, date_from, date_to, visit_time, status, team, "
            "settings, created_at) VALUES (?, 'H1', 'h', '2026-01-01', '2026-01-31', '2026-02-01 10:00:00', 'synced', "
            "'[]', '{}', '2026-02-01 09:00:00')", (uid,)).lastrowid


def test_each_event_has_its_place_on_this_laptops_chain(tmp_path):
    engine = open_store(tmp_path / "s.db")
    iid = _inspection(engine)
    evs = [append_event(engine, iid, "census.outcome", {"mdtrt_id": f"M{i}", "outcome": "present"}) for i in range(3)]
    store_level = append_event(engine, None, "account.created", {"login": "x"})
    with engine.connect() as c:
        me = device_id(c)
        heads = {h.inspection_uid: h for h in chain_heads(c)}
    assert [e.dseq for e in evs] == [1, 2, 3] and {e.chain for e in evs} == {me}
    assert [e.clock for e in evs] == [1, 2, 3]
    assert evs[1].prev_hash == evs[0].hash and evs[0].prev_hash == "0" * 64
    assert store_level.dseq == 1 and store_level.inspection_uid == ""     # its own chain
    assert heads["u-1"].hash == evs[-1].hash and heads["u-1"].events == 3
    assert verify_log(engine).ok
    assert happened_before(evs[0], evs[2]) and not happened_before(evs[2], evs[0])


def test_a_removed_event_in_the_middle_of_a_chain_is_named(tmp_path):
    p = tmp_path / "s.db"
    engine = open_store(p)
    iid = _inspection(engine)
    evs = [append_event(engine, iid, "stock.counted", {"med_list_codg": "D", "counted": str(i)}) for i in range(4)]
    engine.dispose()
    con = sqlite3.connect(p)
    con.execute("DROP TRIGGER event_no_delete")
    con.execute("DELETE FROM event WHERE id = ?", (evs[1].id,))
    con.commit()
    con.close()
    check = verify_log(open_store(p))
    assert not check.ok and check.broken_id == evs[2].id and "chain" in check.reason


def test_fold_order_is_the_same_whatever_the_insertion_order(tmp_path):
    """Events copied into another store in reverse order read back in the same log order."""
    a = open_store(tmp_path / "a.db")
    iid = _inspection(a)
    for i in range(5):
        append_event(a, iid, "census.outcome", {"mdtrt_id": "M1", "outcome": ["present", "absent"][i % 2]})
    with a.connect() as c:
        rows = c.exec_driver_sql("SELECT * FROM event ORDER BY seq").mappings().all()
        order_a = [e.id for e in read_events(c, iid)]
    b = open_store(tmp_path / "b.db")
    jid = _inspection(b)
    with b.begin() as c:
        for r in reversed(rows):
            vals = dict(r)
            vals.pop("seq")
            vals["inspection_id"] = jid
            cols = ", ".join(vals)
            c.exec_driver_sql(f"INSERT INTO event ({cols}) VALUES ({', '.join('?' * len(vals))})", tuple(vals.values()))
    with b.connect() as c:
        assert [e.id for e in read_events(c, jid)] == order_a
    assert verify_log(b).ok


def test_a_store_from_before_chains_is_moved_onto_them_when_its_chain_holds(tmp_path):
    store = tmp_path / "old.db"
    store.write_bytes(lzma.decompress(FIXTURE.read_bytes()))
    con = sqlite3.connect(store)
    before = con.execute("SELECT id, kind, payload FROM event ORDER BY seq").fetchall()
    con.close()
    engine = open_store(store)
    with engine.connect() as c:
        after = c.exec_driver_sql("SELECT id, kind, payload, hv, dseq FROM event ORDER BY seq").fetchall()
        me = device_id(c)
        chains = {r[0] for r in c.exec_driver_sql("SELECT DISTINCT chain FROM event")}
    assert [r[:3] for r in after] == before          # nothing lost, nothing changed in content
    assert {r[3] for r in after} == {2} and chains == {me}
    assert verify_log(engine).ok


def test_a_broken_old_chain_stays_broken_after_the_upgrade(tmp_path):
    store = tmp_path / "old.db"
    store.write_bytes(lzma.decompress(FIXTURE.read_bytes()))
    con = sqlite3.connect(store)
    con.execute("DROP TRIGGER event_no_update")
    victim = con.execute("SELECT id FROM event ORDER BY seq LIMIT 1 OFFSET 5").fetchone()[0]
    con.execute("UPDATE event SET payload = '{\"tampered\":true}' WHERE id = ?", (victim,))
    con.commit()
    con.close()
    check = verify_log(open_store(store))
    assert not check.ok and check.broken_id == victim
