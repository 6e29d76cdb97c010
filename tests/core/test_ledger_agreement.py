"""The stock count's ledger (inspector/checks/ledger.py) and the screening's ledger walk
(inspector/screening/ledger.py, S6/S7) were written apart: on the demo data they must agree
on every declared count's expected quantity, drug by drug."""
from __future__ import annotations

from datetime import date, datetime

from inspector.checks.ledger import running_balance
from inspector.coltypes import from_scaled
from inspector.db import open_store
from inspector.demo.central import build_demo_central
from inspector.screening.base import context_for
from inspector.screening.ledger import walk_drugs
from inspector.settings import default_settings
from inspector.sync.central import sync_central


def test_both_ledgers_expect_the_same_stock_at_every_count(tmp_path):
    manifest = build_demo_central(tmp_path / "central.db", seed=3, scale="small")
    engine = open_store(tmp_path / "store.db")
    d0, d1 = date.fromisoformat(manifest.date_from), date.fromisoformat(manifest.date_to)
    v = datetime.strptime(manifest.visit_time, "%Y-%m-%d %H:%M:%S")
    compared = 0
    for inst in (manifest.main_institution, manifest.pharmacy_institution):
        r = sync_central(engine, f"sqlite:///{tmp_path / 'central.db'}", inst, d0, d1, v)
        ctx = context_for(r.snapshot_id, inst, d0, d1, v, default_settings())
        with engine.connect() as conn:
            for walk in walk_drugs(conn, ctx):
                for invdate, _declared, expected in walk.counts:
                    ours = running_balance(conn, r.snapshot_id, walk.code, ctx.w0, f"{invdate} 00:00:00",
                                           inclusive=False)
                    assert ours == from_scaled(expected, 2), (inst, walk.code, invdate)
                    compared += 1
    assert compared > 20
