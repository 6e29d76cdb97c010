"""Running screening end to end: stored leads, JSON output, statuses from the event log, settings."""
from __future__ import annotations

import json
import re

import pytest

from inspector.cli import run
from inspector.db import open_store
from inspector.errors import UserError
from inspector.events import read_events
from inspector.i18n import _, gettext
from inspector.progress import Cancelled, Progress
from inspector.screening import decide_lead, list_leads, run_screening, screening_json
from inspector.screening.rules import RULES
from tests.core.slice_builder import SliceBuilder





def _slice() -> SliceBuilder:
    b = SliceBuilder(beds=1)
    b.item("D001", ceiling="10")
    b.stay("A", "2026-10-01 08:00:00", "2026-10-03 10:00:00", psn="P1", diag="J18.0")
    b.stay("B", "2026-10-10 08:00:00", "2026-10-12 10:00:00", psn="P1", diag="J18.1")   # 7 days after A
    b.stay("C", "2026-10-11 08:00:00", "2026-10-13 10:00:00", psn="P2")
    b.fee("B", "2026-10-10 09:00:00", "2", "12.5", item="D001", sn="L1")                # S5: 2 x 2.5 = 5.00
    b.fee("B", "2026-10-11 09:00:00", "1", "60", type="01")
    b.fee("C", "2026-10-11 09:00:00", "1", "60.01", type="01")                          # S2 on 10-11
    return b


@pytest.fixture
def store(tmp_path, cli_account):
    engine = open_store(tmp_path / "s.db")
    iid = _slice().write(engine)
    cli_account(tmp_path / "s.db", "li")       # the CLI acts as the inspector li
    yield engine, iid, tmp_path / "s.db"
    engine.dispose()


def test_cli_screen_json_shape_and_exact_amounts(store, capsys):
    engine, iid, path = store
    assert run(["screen", "--db", str(path), "--inspection", str(iid), "--format", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert set(doc) == {"inspection", "settings", "leads"} and doc["inspection"] == iid
    assert doc["settings"] == {"readmission_days": 7, "count_tolerance": "0.01", "bed_only_days": 3}
    by = {(d["rule"], tuple(d["key"])): d for d in doc["leads"]}
    assert set(by) == {("S1", ("A", "B")), ("S2", ("2026-10-11",)), ("S5", ("L1",))}
    # S1: B's fees in the window 25.00 + 60.00; S2: (60.00 + 60.01) x 1 / 2 = 60.005 -> 60.01
    assert by[("S1", ("A", "B"))]["amount"] == "85.00" and by[("S1", ("A", "B"))]["severity"] == "high"
    assert by[("S2", ("2026-10-11",))]["amount"] == "60.01" and by[("S2", ("2026-10-11",))]["excess"] == 1
    assert by[("S5", ("L1",))]["amount"] == "5.00" and by[("S5", ("L1",))]["ceiling"] == "10.0000"
    for d in doc["leads"]:
        assert re.fullmatch(r"-?\d+\.\d\d", d["amount"])
        assert re.search(r"[\u4e00-\u9fff]", d["summary"]) and "\n" not in d["summary"]
        assert d["status"] == "open"


def test_cli_screen_table_and_rule_filter(store, capsys):
    engine, iid, path = store
    assert run(["screen", "--db", str(path), "--inspection", str(iid), "--rule", "S5"]) == 0
    out = capsys.readouterr().out
    assert "L1" in out and "5.00" in out and "超限价收费" in out
    assert "2026-10-11" not in out


def test_rescreen_replaces_rows_and_decisions_survive(store):
    engine, iid, _ = store
    run_screening(engine, iid)
    decide_lead(engine, iid, rule="S1", key='["A","B"]', status="confirmed")
    s2 = next(lead for lead in list_leads(engine, iid) if lead.rule == "S2")
    decide_lead(engine, iid, lead_id=s2.id, status="dismissed", reason="病房加床经卫健委批准")
    run_screening(engine, iid)
    with engine.connect() as c:
        assert c.exec_driver_sql("SELECT count(*) FROM lead").scalar() == 3
    leads = {(lead.rule, tuple(lead.key)): lead for lead in list_leads(engine, iid)}
    assert leads[("S1", ("A", "B"))].status == "confirmed"
    assert (leads[("S2", ("2026-10-11",))].status, leads[("S2", ("2026-10-11",))].reason) == ("dismissed", "病房加床经卫健委批准")
    assert leads[("S5", ("L1",))].status == "open"
    assert [lead.rule for lead in list_leads(engine, iid, status="open")] == ["S5"]
    assert [lead.rule for lead in list_leads(engine, iid, rule="s1")] == ["S1"]


def test_dismiss_needs_a_reason_and_unknown_leads_change_nothing(store, capsys, english):
    engine, iid, path = store
    run_screening(engine, iid)
    with engine.connect() as c:
        before = len(read_events(c, iid))
    with pytest.raises(UserError, match="reason"):
        decide_lead(engine, iid, rule="S1", key=["A", "B"], status="dismissed")
    with pytest.raises(UserError, match="no lead"):
        decide_lead(engine, iid, rule="S1", key=["B", "A"], status="confirmed")
    with pytest.raises(UserError, match="no lead"):
        decide_lead(engine, iid, lead_id=99999, status="confirmed")
    with pytest.raises(UserError, match="JSON array"):
        decide_lead(engine, iid, rule="S1", key="A,B", status="confirmed")
    assert run(["leads", "decide", "--db", str(path), "--inspection", str(iid), "--rule", "S9", "--key", '["A","B"]',
                "--status", "confirmed"]) == 2
    assert "no lead" in capsys.readouterr().err
    with engine.connect() as c:
        assert len(read_events(c, iid)) == before


def test_cli_leads_decide_and_list(store, capsys):
    engine, iid, path = store
    db = ["--db", str(path), "--inspection", str(iid)]
    assert run(["screen", *db, "--format", "json"]) == 0
    capsys.readouterr()
    assert run(["leads", "decide", *db, "--rule", "S1", "--key", '["A","B"]', "--status", "dismissed",
                "--reason", "转科后再入院，有病历依据"]) == 0
    assert _("dismissed") in capsys.readouterr().out
    assert run(["leads", *db, "--status", "dismissed", "--format", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert [(d["rule"], d["key"], d["reason"]) for d in doc["leads"]] == [("S1", ["A", "B"], "转科后再入院，有病历依据")]
    assert run(["leads", *db, "--rule", "S5"]) == 0
    assert "L1" in capsys.readouterr().out


def test_settings_change_is_validated_recorded_and_used(store, capsys):
    engine, iid, path = store
    db = ["--db", str(path), "--inspection", str(iid)]
    assert run(["settings", *db, "--set", "readmission_days=abc"]) == 2
    assert run(["settings", *db, "--set", "count_tolerance=2"]) == 2
    assert run(["settings", *db, "--set", "no_such_key=1"]) == 2
    assert run(["settings", *db, "--set", "bed_only_days=2", "--set", "bed_only_days=0"]) == 2  # all or nothing
    capsys.readouterr()
    with engine.connect() as c:
        assert read_events(c, iid, ["settings.changed"]) == []
    assert run(["settings", *db, "--set", "readmission_days=15", "--set", "count_tolerance=5%", "--format", "json"]) == 0
    shown = json.loads(capsys.readouterr().out)["settings"]
    assert shown["readmission_days"] == 15 and shown["count_tolerance"] == "0.05"
    result = run_screening(engine, iid)
    assert result.settings == {"readmission_days": 15, "count_tolerance": "0.05", "bed_only_days": 3}
    assert screening_json(engine, iid)["settings"]["readmission_days"] == 15


def test_cancel_leaves_the_previous_leads(store):
    engine, iid, _ = store
    run_screening(engine, iid)
    p = Progress()
    p.cancel()
    with pytest.raises(Cancelled):
        run_screening(engine, iid, progress=p)
    with engine.connect() as c:
        assert c.exec_driver_sql("SELECT count(*) FROM lead").scalar() == 3
        assert len(read_events(c, iid, ["screening.run"])) == 1


def test_every_rule_has_chinese_title_and_summary():
    for rule, module in RULES.items():
        assert gettext(module.TITLE, "zh_CN") != module.TITLE, rule
        assert gettext(module.SUMMARY, "zh_CN") != module.SUMMARY, rule
        assert re.search(r"[\u4e00-\u9fff]", gettext(module.SUMMARY, "zh_CN"))


def test_each_inspection_sees_only_its_own_snapshot(tmp_path):
    """Two inspections (and a re-sync) in one store: every fee scan keeps to the current snapshot."""
    engine = open_store(tmp_path / "two.db")
    mine = _slice()
    mine.inv("X1", "2026-09-30", "5")
    mine.sel("X1", "2026-10-05 08:00:00", "5", "2")                                  # touches 0: no lead
    first = mine.write(engine)
    other = SliceBuilder(beds=0)
    other.sel("X1", "2026-10-05 08:00:00", "1", "2")                                 # no stock: S6
    other.item("D001", ceiling="10")
    other.stay("Z", "2026-10-01 08:00:00", None)
    other.fee("Z", "2026-10-02 08:00:00", "1", "11", item="D001", sn="Z1")          # S5 1.00
    other.fee("Z", "2026-10-02 08:00:00", "1", "50", type="01")                     # S2 with 0 beds
    second = other.write(engine)
    a = {(lead.rule, tuple(lead.key)) for lead in run_screening(engine, first).leads}
    b = {(lead.rule, tuple(lead.key)) for lead in run_screening(engine, second).leads}
    assert a == {("S1", ("A", "B")), ("S2", ("2026-10-11",)), ("S5", ("L1",))}
    assert b == {("S2", ("2026-10-02",)), ("S5", ("Z1",)), ("S6", ("X1",))}
    assert {(lead.rule, tuple(lead.key)) for lead in run_screening(engine, first).leads} == a
    engine.dispose()


def test_cancel_during_a_rule_stores_nothing(store):
    """A cancel arriving while a rule runs stops the run; nothing is stored."""
    engine, iid, _ = store

    class CancelDuringRule(Progress):
        def on_status(self) -> None:
            if self.status_text.startswith("S8 "):   # "S8 <its translated name> (8/9)"
                self.cancel()

    with pytest.raises(Cancelled):
        run_screening(engine, iid, progress=CancelDuringRule())
    with engine.connect() as c:
        assert c.exec_driver_sql("SELECT count(*) FROM lead").scalar() == 0


def test_leads_before_screening_and_decide_by_id_must_match(store, capsys, english):
    engine, iid, path = store
    assert run(["leads", "--db", str(path), "--inspection", str(iid)]) == 0
    assert "not been screened" in capsys.readouterr().out
    run_screening(engine, iid)
    s5 = next(lead for lead in list_leads(engine, iid) if lead.rule == "S5")
    with pytest.raises(UserError, match="is S5"):
        decide_lead(engine, iid, lead_id=s5.id, rule="S1", status="confirmed")
    assert decide_lead(engine, iid, lead_id=s5.id, rule="S5", key=["L1"], status="confirmed").status == "confirmed"
