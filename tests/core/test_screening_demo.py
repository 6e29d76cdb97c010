"""The demo central's planted cases are all found with their figures, and its decoys are not."""
from __future__ import annotations

import json
from datetime import date, datetime

import pytest

from inspector.db import open_store
from inspector.demo.central import build_demo_central
from inspector.screening import run_screening, screening_json
from inspector.sync.central import sync_central


@pytest.fixture(scope="module")
def screened(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("demo")
    manifest = build_demo_central(tmp / "central.db", seed=1, scale="small")
    engine = open_store(tmp / "store.db")
    found: dict[tuple[str, str, str], dict] = {}
    institutions = {c["institution"] for c in manifest.planted + manifest.decoys}
    for inst in sorted(institutions):
        r = sync_central(engine, f"sqlite:///{tmp / 'central.db'}", inst, date.fromisoformat(manifest.date_from),
                         date.fromisoformat(manifest.date_to),
                         datetime.strptime(manifest.visit_time, "%Y-%m-%d %H:%M:%S"))
        run_screening(engine, r.inspection_id)
        for lead in screening_json(engine, r.inspection_id)["leads"]:
            found[(inst, lead["rule"], json.dumps(lead["key"]))] = lead
    engine.dispose()
    return manifest, found


def test_every_rule_has_planted_cases_and_decoys(screened):
    manifest, _ = screened
    assert {c["rule"] for c in manifest.planted} == {f"S{i}" for i in range(1, 10)}
    assert len(manifest.decoys) >= 9


def test_planted_cases_are_found_with_their_figures(screened):
    manifest, found = screened
    for case in manifest.planted:
        lead = found.get((case["institution"], case["rule"], json.dumps(case["key"])))
        assert lead is not None, f"planted {case['rule']} {case['key']} not found: {case['description']}"
        for name, value in (case.get("expected") or {}).items():
            assert name in lead, f"{case['rule']} lead lacks figure {name}"
            assert str(lead[name]) == str(value), (case["rule"], case["key"], name, lead[name], value)


def test_decoys_are_not_found(screened):
    manifest, found = screened
    hits = [d for d in manifest.decoys if (d["institution"], d["rule"], json.dumps(d["key"])) in found]
    assert hits == [], hits
