"""The hospital-scale demo slice for bench/screen.py: build the demo central, sync its main hospital."""
from __future__ import annotations

import tempfile
from datetime import date, datetime
from pathlib import Path

from inspector.db import open_store


def build_demo_store(db: Path) -> int:
    """Sync the hospital-scale demo central's main institution into a new store at `db`."""
    from inspector.demo.central import build_demo_central
    from inspector.sync.central import sync_central

    with tempfile.TemporaryDirectory() as tmp:
        central = Path(tmp) / "central.db"
        m = build_demo_central(central, seed=1, scale="hospital")
        engine = open_store(db)
        try:
            r = sync_central(engine, f"sqlite:///{central}", m.main_institution, date.fromisoformat(m.date_from),
                             date.fromisoformat(m.date_to), datetime.strptime(m.visit_time, "%Y-%m-%d %H:%M:%S"))
        finally:
            engine.dispose()
    print(f"demo slice: {m.main_institution}, {r.row_counts['feedetl']:,} fee lines")
    return r.inspection_id
