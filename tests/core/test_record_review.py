"""C3 record review: reproducible sample, stratification, versioned templates, outcomes and amounts."""
from __future__ import annotations

import json
import random
from decimal import Decimal

import pytest

from inspector.checks import checklists, records
from inspector.cli import run
from inspector.db import open_store
from inspector.errors import UserError
from inspector.events import read_events
from inspector.i18n import gettext
from tests.core.snapshot_rows import Slice

DEPTS = {"D03": 10, "D04": 7, "D01": 3, "D02": 3}   # 23 records discharged in the window


def review_slice() -> Slice:
    s = Slice()
    n = 0
    for dept, size in DEPTS.items():
        for _ in range(size):
            n += 1
            # ids are not in department order, so sorting matters
            s.record(f"M{(n * 37) % 101:04d}", f"2026-09-{(n % 28) + 1:02d} 10:00:00", dept)
    s.record("M9001", "2026-07-31 23:59:59", "D01")                 # discharged before W0
    s.record("M9002", "2026-11-01 00:00:00", "D01")                 # at W1: outside [W0, W1)
    s.record("M9003", "2026-09-01 10:00:00", "D01", inst="H61010000002")  # another institution
    s.record("M0000", "2026-08-01 00:00:00", None)                  # at W0, no department
    return s


def window_ids() -> dict[str, str]:
    s = review_slice()
    return {r["mdtrt_id"]: r["dept_codg"] or "" for r in s.rows["medrcd"]
            if r["fixmedins_code"] == s.inst and "2026-08-01 00:00:00" <= r["dscg_time"] < "2026-11-01 00:00:00"}


pytestmark = pytest.mark.usefixtures("english")   # messages are matched in English


@pytest.fixture
def store(tmp_path):
    engine = open_store(tmp_path / "s.db")
    iid = review_slice().write(engine)
    return engine, iid, tmp_path / "s.db"


def _events(engine, iid=None):
    with engine.connect() as c:
        return c.exec_driver_sql("SELECT count(*) FROM event").scalar()


def test_sample_equals_random_sample_of_sorted_ids(store):
    engine, iid, _ = store
    ids = list(window_ids())
    assert len(ids) == 24
    s = records.draw_sample(engine, iid, n=10, seed=20261102)
    assert s.ids == random.Random(20261102).sample(sorted(ids), 10)
    assert (s.seed, s.n, s.population, s.stratified) == (20261102, 10, 24, False)
    assert "random.Random(seed).sample(sorted(mdtrt_id), n)" == s.method
    with engine.connect() as c:
        ev = read_events(c, iid, ["records.sample_drawn"])[-1].payload
    assert ev["seed"] == 20261102 and ev["ids"] == s.ids and ev["template"]["name"] == "default"


def test_default_n_is_min_of_30_and_population(store):
    engine, iid, _ = store
    s = records.draw_sample(engine, iid)
    assert s.n == 24 and s.seed == 1
    assert s.ids == random.Random(1).sample(sorted(window_ids()), 24)


def test_allocation_floor_then_largest_remainders_ties_by_code():
    # n = 11 over 23: D03 110/23 = 4.78 -> 4 (.78), D04 77/23 = 3.35 -> 3 (.35),
    # D01 and D02 33/23 = 1.43 -> 1 (.43 each). Floors 9; 2 left: D03 (.78), then D01 (tie with D02, code first).
    assert records.allocate({"D03": 10, "D04": 7, "D01": 3, "D02": 3}, 11) == {"D03": 5, "D04": 3, "D01": 2, "D02": 1}
    # Three equal strata, 7 places: 2 each, the one left goes to the lowest code.
    assert records.allocate({"B": 5, "A": 5, "C": 5}, 7) == {"A": 3, "B": 2, "C": 2}


def test_stratified_sample_draws_each_stratum_with_the_same_seed(store):
    engine, iid, _ = store
    ids = window_ids()
    s = records.draw_sample(engine, iid, n=12, seed=5, stratify=True)
    # 24 records: '' 1, D01 3, D02 3, D03 10, D04 7. Shares of 12: '' 0.5, D01 1.5, D02 1.5, D03 5, D04 3.5.
    # Floors 0+1+1+5+3 = 10; 2 left to the remainders .5 ('' , D01, D02, D04 tie): by code '' then D01.
    want = {"": 1, "D01": 2, "D02": 1, "D03": 5, "D04": 3}
    assert {st["dept_codg"]: st["n"] for st in s.strata} == want
    expected_ids = []
    for dept in sorted(want):
        stratum = sorted(i for i, d in ids.items() if d == dept)
        drawn = random.Random(5).sample(stratum, want[dept])
        assert next(st for st in s.strata if st["dept_codg"] == dept)["ids"] == drawn
        expected_ids += drawn
    assert s.ids == expected_ids and s.stratified


def test_redraw_is_refused_and_bad_n_changes_nothing(store):
    engine, iid, _ = store
    before = _events(engine)
    with pytest.raises(UserError, match="between 1 and the population 24"):
        records.draw_sample(engine, iid, n=25)
    with pytest.raises(UserError, match="between 1"):
        records.draw_sample(engine, iid, n=0)
    with pytest.raises(UserError, match="unknown checklist template"):
        records.draw_sample(engine, iid, template="nope")
    assert _events(engine) == before
    s = records.draw_sample(engine, iid, n=5, seed=3)
    assert records.draw_sample(engine, iid) == s
    with pytest.raises(UserError, match="already drawn"):
        records.draw_sample(engine, iid, seed=4)
    assert _events(engine) == before + 1


def _write(path, body) -> str:
    path.write_text(json.dumps(body, ensure_ascii=False, indent=2), encoding="utf-8")
    return str(path)


BUREAU = {"name": "bureau", "title": {"zh_CN": "市局病历评审表", "en": "City bureau checklist"},
          "items": [{"id": "indication", "label": {"zh_CN": "入院指征", "en": "Indication"}, "category": "V01"},
                    {"id": "orders", "label": "每项收费有医嘱", "category": "V03"}]}


def test_template_versions_by_content_and_the_inspection_pins_one(store, tmp_path):
    engine, iid, _ = store
    t1, created = checklists.import_template(engine, _write(tmp_path / "a.json", BUREAU))
    assert (t1.name, t1.version, created) == ("bureau", 1, True)
    # Same content, other formatting and key order: the same version, nothing stored.
    (tmp_path / "b.json").write_text(json.dumps(dict(reversed(list(BUREAU.items()))), ensure_ascii=False))
    same, created = checklists.import_template(engine, tmp_path / "b.json")
    assert (same.version, same.sha256, created) == (1, t1.sha256, False)
    s = records.draw_sample(engine, iid, n=3, seed=9, template="bureau")
    assert s.template == {"name": "bureau", "version": 1, "sha256": t1.sha256}
    changed = json.loads(json.dumps(BUREAU))
    changed["items"].append({"id": "nursing", "label": "护理级别"})
    t2, created = checklists.import_template(engine, _write(tmp_path / "c.json", changed))
    assert (t2.version, created) == (2, True) and t2.sha256 != t1.sha256
    names = [(t.name, t.version) for t in checklists.list_templates(engine)]
    assert names == [("bureau", 1), ("bureau", 2), ("default", 1)]
    # The inspection still reviews against version 1: the item added in v2 is unknown to it.
    mid = s.ids[0]
    with pytest.raises(UserError, match="unknown checklist item 'nursing'"):
        records.answer(engine, iid, mid, "nursing", "pass")
    records.answer(engine, iid, mid, "orders", "fail", "12.30", "no order for CT")
    with engine.connect() as c:
        summary = records.records_summary(c, iid)
    assert summary.template["version"] == 1
    assert [i.id for i in summary.records[0].items] == ["indication", "orders"]
    assert summary.records[0].category == "V03"


def test_bad_template_files_name_the_line_or_field(store, tmp_path):
    engine, _, _ = store
    before = _events(engine)
    bad_json = tmp_path / "bad.json"
    bad_json.write_text('{"name": "x",\n "items": [\n  {"id": "a", "label": "A"},\n ]\n}\n')
    with pytest.raises(UserError, match=r"bad.json, line 4"):
        checklists.import_template(engine, bad_json)
    dup = dict(BUREAU, items=[{"id": "a", "label": "A"}, {"id": "a", "label": "B"}])
    with pytest.raises(UserError, match=r"items\[1\]\.id"):
        checklists.import_template(engine, _write(tmp_path / "dup.json", dup))
    cat = dict(BUREAU, items=[{"id": "a", "label": "A", "category": "X99"}])
    with pytest.raises(UserError, match=r"items\[0\]\.category"):
        checklists.import_template(engine, _write(tmp_path / "cat.json", cat))
    lang = dict(BUREAU, items=[{"id": "a", "label": {"fr": "A"}}])
    with pytest.raises(UserError, match=r"items\[0\]\.label"):
        checklists.import_template(engine, _write(tmp_path / "lang.json", lang))
    with pytest.raises(UserError, match="name"):
        checklists.import_template(engine, _write(tmp_path / "noname.json", {"items": BUREAU["items"]}))
    assert [t.name for t in checklists.list_templates(engine)] == ["default"]
    assert _events(engine) == before


def test_builtin_default_has_the_briefs_nine_items_in_both_languages():
    body = checklists.BUILTIN_BODY
    assert len(body["items"]) == 9
    for item in body["items"]:
        assert gettext(item["label"], "zh_CN") != item["label"], item["label"]
        assert gettext(item["label"], "en") == item["label"]
    assert gettext("Admission indication met", "zh_CN") == "入院指征符合"


def test_record_amount_is_the_sum_of_failing_items_latest_answer_wins(store):
    engine, iid, _ = store
    s = records.draw_sample(engine, iid, n=4, seed=2)
    m1, m2, m3 = s.ids[:3]
    records.answer(engine, iid, m1, "charges_ordered", "fail", "120.50", "CT without order")
    records.answer(engine, iid, m1, "no_duplicate_split", "fail", "30.25")
    records.answer(engine, iid, m1, "tests_justified", "fail", "0.01")
    records.answer(engine, iid, m1, "tests_justified", "pass")           # corrected: latest wins
    records.answer(engine, iid, m1, "admission_indication", "fail", "500")
    records.answer(engine, iid, m1, "nursing_level", "na")
    for item in checklists.BUILTIN_BODY["items"]:
        records.answer(engine, iid, m2, item["id"], "pass")
    records.answer(engine, iid, m3, "front_page_billing", "pass")
    with engine.connect() as c:
        summary = records.records_summary(c, iid)
        src = records.finding_source(c, iid, m1)
        with pytest.raises(UserError, match="no failed"):
            records.finding_source(c, iid, m2)
    rows = {r.mdtrt_id: r for r in summary.records}
    # 120.50 + 30.25 + 500.00 = 650.75 (the corrected 0.01 no longer counts)
    assert (rows[m1].status, rows[m1].amount) == ("fail", Decimal("650.75"))
    assert rows[m1].category == "V02"       # the largest failing item: admission indication (500.00)
    assert (rows[m2].status, rows[m2].amount) == ("pass", Decimal("0.00"))
    assert rows[m3].status == "incomplete" and rows[s.ids[3]].status == "not_reviewed"
    assert summary.total_amount == Decimal("650.75")
    assert (src.amount, src.suggested_category, src.source_type, src.ref) == (Decimal("650.75"), "V02", "record", m1)


def test_bad_answers_change_nothing(store):
    engine, iid, _ = store
    with pytest.raises(UserError, match="draw it first"):
        records.answer(engine, iid, "M0000", "tests_justified", "pass")
    s = records.draw_sample(engine, iid, n=4, seed=2)
    mid = s.ids[0]
    outside = next(i for i in sorted(window_ids()) if i not in s.ids)
    before = _events(engine)
    cases = [
        ((outside, "tests_justified", "pass"), {}, "not in the record sample"),
        (("M9999", "tests_justified", "pass"), {}, "not in the record sample"),
        ((mid, "no_such_item", "pass"), {}, "unknown checklist item"),
        ((mid, "tests_justified", "maybe"), {}, "unknown outcome"),
        ((mid, "tests_justified", "pass"), {"amount": "10"}, "failed item only"),
        ((mid, "tests_justified", "na"), {"amount": "10"}, "failed item only"),
        ((mid, "tests_justified", "fail"), {"amount": "-1"}, "negative"),
        ((mid, "tests_justified", "fail"), {"amount": "ten"}, "not a number"),
        ((mid, "tests_justified", "fail"), {"amount": "1.005"}, "decimal places"),
    ]
    for args, kw, msg in cases:
        with pytest.raises(UserError, match=msg):
            records.answer(engine, iid, *args, **kw)
    assert _events(engine) == before


def test_cli_records_flow(store, tmp_path, capsys, cli_account):
    engine, iid, db = store
    cli_account(db, "li")
    base = ["records", "--db", str(db), "--inspection", str(iid)]
    assert run(base + ["--sample", "--n", "6", "--seed", "42", "--stratify", "--format", "json"]) == 0
    s = json.loads(capsys.readouterr().out)
    assert s["seed"] == 42 and s["n"] == 6 and s["stratified"] and len(s["ids"]) == 6
    mid = s["ids"][0]
    assert run(base + ["--mdtrt", mid, "--item", "drugs_appropriate", "--outcome", "fail", "--amount", "88.80",
                       "--note", "超量"]) == 0
    capsys.readouterr()
    assert run(base + ["--mdtrt", mid, "--item", "drugs_appropriate", "--outcome", "pass", "--amount", "1"]) == 2
    assert "failed item only" in capsys.readouterr().err
    assert run(base + ["--summary", "--format", "json"]) == 0
    out = json.loads(capsys.readouterr().out)
    row = next(r for r in out["records"] if r["mdtrt_id"] == mid)
    assert (row["status"], row["amount"], out["total_amount"], out["failed"]) == ("fail", "88.80", "88.80", 1)
    item = next(i for i in row["items"] if i["id"] == "drugs_appropriate")
    assert (item["outcome"], item["amount"], item["note"]) == ("fail", "88.80", "超量")
    assert out["seed"] == 42 and out["template"]["name"] == "default" and len(out["template"]["sha256"]) == 64
    tpl = _write(tmp_path / "t.json", BUREAU)
    assert run(["records", "--db", str(db), "templates", "import", tpl, "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["version"] == 1
    assert run(["records", "--db", str(db), "templates", "list", "--format", "json"]) == 0
    assert [t["name"] for t in json.loads(capsys.readouterr().out)] == ["bureau", "default"]
    assert run(base + ["--summary"]) == 0
    assert mid in capsys.readouterr().out
