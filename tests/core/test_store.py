"""The local store: pragmas, migrations on open, refusal of foreign or newer files."""
from __future__ import annotations

import sqlite3
from datetime import date, datetime
from decimal import Decimal

import pytest

from inspector.db import StoreError, head_revision, open_store, session_factory
from inspector.models import SnapFeedetl
from inspector.progress import Cancelled, Progress
from inspector.snapshot import NewInspection, TableFeed, write_snapshot
from inspector.inspections import list_inspections


pytestmark = pytest.mark.usefixtures("english")   # messages are matched in English




def _meta():
    return {"schema_version": "1", "extract_id": "EX-1", "created_at": "2026-11-01 08:00:00",
            "certno_salt": "salt", "admdvs": "610100"}


def _feeds(n_fee: int = 3):
    fix = [("H61010000001", "测试医院", "1", "2", "610100", 10, "addr", "A", "active")]
    psn = [("P1", "张三", "1", "1970-01-01", "610102********1234", "ab" * 32, "310")]
    ml = [("X" + "0" * 22, "阿莫西林胶囊", "101", "0.25g", "粒", "01", 1, 15000, 600)]
    md = [("M1", "H61010000001", "P1", "21", "IPT1", "2026-10-01 08:00:00", None, "W1", "1",
           "J18.9", "肺炎", "D1", "李医生", "DEP1")]
    fee = [(f"F{i}", "M1", "H61010000001", "P1", "2026-10-02 09:00:00", "X" + "0" * 22, "09", 200, 12345, 247 + i,
            None, None) for i in range(n_fee)]
    return {"fixmedins": TableFeed(1, [fix]), "psn_info": TableFeed(1, [psn]), "med_list": TableFeed(1, [ml]),
            "mdtrt": TableFeed(1, [md]), "feedetl": TableFeed(n_fee, [fee])}


def _new():
    return NewInspection("H61010000001", date(2026, 8, 1), date(2026, 10, 31), datetime(2026, 11, 2, 10, 0, 0))


def test_new_store_has_wal_fk_and_head_revision(tmp_path):
    engine = open_store(tmp_path / "s.db")
    with engine.connect() as c:
        assert c.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert c.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert c.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL
        assert c.exec_driver_sql("SELECT version_num FROM alembic_version").scalar() == head_revision()


def test_store_from_newer_version_is_refused_untouched(tmp_path):
    p = tmp_path / "s.db"
    open_store(p).dispose()
    con = sqlite3.connect(p)
    con.execute("UPDATE alembic_version SET version_num='9999_future'")
    con.commit()
    con.close()
    before = p.read_bytes()
    with pytest.raises(StoreError, match="newer version"):
        open_store(p)
    assert p.read_bytes() == before


def test_non_sqlite_file_is_refused_untouched(tmp_path):
    p = tmp_path / "notes.db"
    p.write_text("not a database")
    with pytest.raises(StoreError, match="not an Inspector store"):
        open_store(p)
    assert p.read_text() == "not a database"


def test_sqlite_database_of_another_program_is_refused_not_migrated(tmp_path):
    """An SQLite file with tables but no Inspector schema (e.g. a copy of the central) is never migrated.

    Upgrading a real older store in place is covered by the 0002 -> head test below.
    """
    p = tmp_path / "other.db"
    con = sqlite3.connect(p)
    con.execute("CREATE TABLE keepme (x)")
    con.execute("INSERT INTO keepme VALUES (42)")
    con.commit()
    con.close()
    before = p.read_bytes()
    with pytest.raises(StoreError, match="another program"):
        open_store(p)
    assert p.read_bytes() == before


def test_missing_store_is_created_only_when_asked(tmp_path):
    target = tmp_path / "new" / "inspector.db"
    with pytest.raises(StoreError, match="no Inspector store"):
        open_store(target, create=False)
    assert not target.parent.exists()
    open_store(target).dispose()
    assert target.exists()
    with pytest.raises(StoreError, match="is a folder"):
        open_store(tmp_path)


def test_write_snapshot_exact_money_counts_and_versions(tmp_path):
    engine = open_store(tmp_path / "s.db")
    r1 = write_snapshot(engine, _new(), source_kind="central", source="sqlite:///x", extract_meta=_meta(), feeds=_feeds())
    r2 = write_snapshot(engine, r1.inspection_id, source_kind="central", source="sqlite:///x", extract_meta=_meta(), feeds=_feeds())
    assert (r1.version, r2.version) == (1, 2)
    assert r1.digests == r2.digests
    assert r1.row_counts["feedetl"] == 3 and r1.row_counts["wards"] == 0
    assert "extract_meta" not in r1.row_counts
    with session_factory(engine)() as s:
        fee = s.get(SnapFeedetl, (r1.snapshot_id, "F1"))
        assert fee.pric == Decimal("1.2345") and fee.cnt == Decimal("2.00") and fee.det_item_fee_sumamt == Decimal("2.48")
        rows = list_inspections(s)
    assert len(rows) == 1 and rows[0]["snapshot_version"] == 2 and rows[0]["fixmedins_name"] == "测试医院"


def test_digest_changes_when_one_cent_changes(tmp_path):
    engine = open_store(tmp_path / "s.db")
    a = write_snapshot(engine, _new(), source_kind="central", source="x", extract_meta=_meta(), feeds=_feeds())
    f = _feeds()
    row = list(f["feedetl"].batches[0][0])
    row[9] += 1
    f["feedetl"].batches[0][0] = tuple(row)
    b = write_snapshot(engine, _new(), source_kind="central", source="x", extract_meta=_meta(), feeds=f)
    assert a.digests["feedetl"] != b.digests["feedetl"]
    assert a.digests["mdtrt"] == b.digests["mdtrt"]


def test_failed_or_cancelled_load_leaves_nothing(tmp_path):
    engine = open_store(tmp_path / "s.db")
    first = write_snapshot(engine, _new(), source_kind="central", source="x", extract_meta=_meta(), feeds=_feeds())

    def exploding():
        yield [("F9", "M1", "H61010000001", "P1", "2026-10-02 09:00:00", "X" + "0" * 22, "09", 1, 1, 1, None, None)]
        raise RuntimeError("connection lost")

    f = _feeds()
    f["feedetl"] = TableFeed(None, exploding())
    with pytest.raises(RuntimeError):
        write_snapshot(engine, _new(), source_kind="central", source="x", extract_meta=_meta(), feeds=f)
    p = Progress()
    p.cancel()
    with pytest.raises(Cancelled):
        write_snapshot(engine, first.inspection_id, source_kind="central", source="x", extract_meta=_meta(), feeds=_feeds(), progress=p)
    with engine.connect() as c:
        assert c.exec_driver_sql("SELECT count(*) FROM inspection").scalar() == 1
        assert c.exec_driver_sql("SELECT count(*) FROM snapshot").scalar() == 1
        assert c.exec_driver_sql("SELECT count(*) FROM snap_feedetl").scalar() == 3
        assert c.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"


def test_store_at_an_earlier_revision_is_migrated_with_its_data(tmp_path):
    """A store written by the version before the census index (0002) opens, upgraded, data kept."""
    from alembic import command

    from inspector.db import alembic_config, make_engine

    p = tmp_path / "v2.db"
    engine = make_engine(p)
    with engine.begin() as conn:
        cfg = alembic_config()
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0002")
    engine.dispose()
    con = sqlite3.connect(p)
    con.execute("INSERT INTO inspection (uid, fixmedins_code, fixmedins_name, date_from, date_to, visit_time, status, "
                "team, settings, created_at) VALUES ('u1', 'H61010000001', '旧医院', '2026-01-01', '2026-03-31', "
                "'2026-04-02 09:00:00', 'synced', '[]', '{}', '2026-04-01 08:00:00')")
    con.commit()
    con.close()
    engine = open_store(p)
    with engine.connect() as c:
        assert c.exec_driver_sql("SELECT version_num FROM alembic_version").scalar() == head_revision()
        assert c.exec_driver_sql("SELECT fixmedins_name FROM inspection").scalar() == "旧医院"
        names = {r[1] for r in c.exec_driver_sql("PRAGMA index_list(snap_mdtrt)")}
        assert "ix_snap_mdtrt_type_begn" in names
