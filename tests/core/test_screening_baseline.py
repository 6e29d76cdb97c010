"""Cross-check: the rules agree, lead for lead and cent for cent, with the plain-SQL baseline
of bench/screen_baseline.py (an independent writing of S1-S9) on a synthetic slice."""
from __future__ import annotations

import importlib.util
import sqlite3
import sys
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import pytest

from inspector.coltypes import to_scaled
from inspector.db import open_store
from inspector.screening import run_screening

BENCH = Path(__file__).resolve().parents[2] / "bench"


def _load(name: str):
    spec = importlib.util.spec_from_file_location(f"bench_{name}", BENCH / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


@pytest.mark.slow
def test_rules_match_the_plain_sql_baseline(tmp_path):
    synthetic = _load("synthetic_slice")
    baseline = _load("screen_baseline")
    db = tmp_path / "synthetic.db"
    iid = synthetic.build_synthetic_store(db, seed=7, stays=700, outpatients=2000, beds=55)
    engine = open_store(db)
    result = run_screening(engine, iid)
    engine.dispose()
    ours = {(lead.rule, lead.key_json): to_scaled(lead.amount, 2) for lead in result.leads}

    tol = Fraction(Decimal(result.settings["count_tolerance"]))
    params = {"s": result.snapshot_id, "c": synthetic.INST, "w0": f"{synthetic.D0} 00:00:00",
              "w1": "2026-11-01 00:00:00", "d0": str(synthetic.D0), "d1": "2026-11-01",
              "v": synthetic.V.strftime("%Y-%m-%d %H:%M:%S"), "days": 7, "k": 3,
              "tol_num": tol.numerator, "tol_den": tol.denominator}
    con = sqlite3.connect(db)
    theirs = {(rule, key): cents for rule, sql in baseline.RULES.items() for key, cents in con.execute(sql, params)}
    con.close()
    assert ours == theirs
    assert {rule for rule, _ in ours} == {f"S{i}" for i in range(1, 10)}, sorted(ours)
