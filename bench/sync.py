"""Benchmark: central sync against a plain bulk copy of the same rows.

    .venv/bin/python bench/sync.py [--fee-lines N] [--repeat K] [--only sqlite|postgres]

Builds a hospital-scale central (the demo central at scale "hospital" when
inspector.demo.central is available, otherwise a synthetic one with the same number of
fee lines), loads it into a private PostgreSQL server too, then for each source runs,
each in its own child process (peak memory = the child's max RSS):

- ours:     `sync_central` into a fresh store (counts, streamed copy, digests, one transaction);
- baseline: the same rows (the same visit-id query and normalised slice SELECTs, unordered) copied with plain
            sqlite3 `executemany` in one transaction into a fresh store with the same tables;
            from PostgreSQL the rows come by psycopg `COPY (...) TO STDOUT (FORMAT BINARY)`.

Prints rows/s of each, ratio = our time / baseline time, peak memory, and as the LAST
line one JSON object with those figures.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from datetime import date, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

WINDOW = (date(2026, 1, 1), date(2026, 3, 31), datetime(2026, 4, 10, 10, 0, 0))


# --- the central ---------------------------------------------------------------------------

def build_central(out: Path, fee_lines: int) -> dict:
    """The benchmark central; returns what to sync (institution, window, visit time, kind)."""
    try:
        from inspector.demo.central import build_demo_central  # type: ignore[import-not-found]
    except ImportError:
        build_demo_central = None
    if build_demo_central is not None and fee_lines <= 0:
        manifest = build_demo_central(out, seed=1, scale="hospital")
        m = manifest.to_dict() if hasattr(manifest, "to_dict") else dict(vars(manifest))
        return {"kind": "demo-hospital", "institution": m["main_institution"], "date_from": str(m["date_from"]),
                "date_to": str(m["date_to"]), "visit_time": str(m["visit_time"])}
    from tests.support.central_db import INSTITUTION, build_synthetic_central

    # The synthetic central spreads visits over six months, about half of them in the window.
    build_synthetic_central(out, 2 * (fee_lines or 1_000_000))
    return {"kind": "synthetic", "institution": INSTITUTION, "date_from": str(WINDOW[0]),
            "date_to": str(WINDOW[1]), "visit_time": WINDOW[2].strftime("%Y-%m-%d %H:%M:%S")}


# --- children ------------------------------------------------------------------------------

def _window(spec: dict):
    from inspector.sync.slice import SliceWindow

    return SliceWindow(spec["institution"], date.fromisoformat(spec["date_from"]), date.fromisoformat(spec["date_to"]),
                       datetime.strptime(spec["visit_time"], "%Y-%m-%d %H:%M:%S"))


def child_ours(source: str, store: Path, spec: dict) -> dict:
    from inspector.db import open_store
    from inspector.sync.central import sync_central

    engine = open_store(store)
    w = _window(spec)
    t0 = time.perf_counter()
    result = sync_central(engine, source, w.institution, w.date_from, w.date_to, w.visit_time)
    seconds = time.perf_counter() - t0
    return {"rows": sum(result.row_counts.values()), "seconds": seconds, "fee_lines": result.row_counts["feedetl"]}


def _baseline_store(store: Path):
    import sqlite3

    from inspector.db import open_store

    open_store(store).dispose()  # the same table definitions as ours
    dst = sqlite3.connect(store, isolation_level=None)
    for pragma in ("journal_mode=WAL", "synchronous=FULL", "foreign_keys=ON"):
        dst.execute(f"PRAGMA {pragma}")
    dst.execute("BEGIN")
    dst.execute("INSERT INTO inspection (id, uid, fixmedins_code, fixmedins_name, date_from, date_to, visit_time, status, "
                "team, settings, created_at) VALUES (1, 'u', 'x', 'x', '2026-01-01', '2026-01-01', '2026-01-01 00:00:00', "
                "'synced', '[]', '{}', '2026-01-01 00:00:00')")
    dst.execute("INSERT INTO snapshot (id, inspection_id, version, source_kind, source, extract_id, schema_version, "
                "synced_at, row_counts, digests) VALUES (1, 1, 1, 'central', 'x', 'x', '1', '2026-01-01 00:00:00', '{}', '{}')")
    return dst


def _plain_select(dialect: str, table: str, w) -> str:
    """Our normalised SELECT of the slice rows, without ordering (the baseline's rows)."""
    from inspector.sync.slice import _ctes, _where, select_list

    return f"{_ctes(dialect)} SELECT {select_list(dialect, table, checked=False)} FROM {_where(dialect, table, w)}"


def _insert_sql(table: str) -> str:
    from inspector.snapshot import contract_columns

    cols = contract_columns(table)
    return f"INSERT INTO snap_{table} (snapshot_id, {', '.join(cols)}) VALUES (1, {', '.join('?' * len(cols))})"


def child_baseline_sqlite(source: str, store: Path, spec: dict) -> dict:
    import sqlite3

    from inspector.sync.slice import SLICE_TABLES, visit_ids_param, visits_query

    w = _window(spec)
    t0 = time.perf_counter()
    dst = _baseline_store(store)
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    params = w.params("sqlite")
    params["ids"] = visit_ids_param("sqlite", [r[0] for r in src.execute(visits_query("sqlite"), params)])
    rows = 0
    for table in SLICE_TABLES:
        cur = src.execute(_plain_select("sqlite", table, w), params)
        sql = _insert_sql(table)
        while batch := cur.fetchmany(5000):
            dst.executemany(sql, batch)
            rows += len(batch)
    dst.execute("COMMIT")
    return {"rows": rows, "seconds": time.perf_counter() - t0}


def child_baseline_postgres(source: str, store: Path, spec: dict) -> dict:
    import psycopg

    from inspector.coltypes import Day, Scaled, Timestamp
    from inspector.models import SNAPSHOT_MODELS
    from inspector.snapshot import contract_columns
    from inspector.sync.slice import SLICE_TABLES

    w = _window(spec)
    t0 = time.perf_counter()
    dst = _baseline_store(store)
    params = w.params("postgresql")
    rows = 0
    with psycopg.connect(source.replace("postgresql+psycopg://", "postgresql://")) as src:
        for table in SLICE_TABLES:
            columns = SNAPSHOT_MODELS[table].__table__.columns
            types = []
            for c in contract_columns(table):
                t = columns[c].type
                types.append("int8" if isinstance(t, Scaled) else "text" if isinstance(t, (Timestamp, Day)) else
                             "int4" if t.python_type is int else "text")
            sql = _insert_sql(table)
            stmt = psycopg.ClientCursor(src).mogrify(_plain_select("postgresql", table, w), params)
            with src.cursor() as cur:
                with cur.copy(f"COPY ({stmt}) TO STDOUT (FORMAT BINARY)") as cp:
                    cp.set_types(types)
                    batch = []
                    for row in cp.rows():
                        batch.append(row)
                        if len(batch) == 5000:
                            dst.executemany(sql, batch)
                            rows += len(batch)
                            batch = []
                    if batch:
                        dst.executemany(sql, batch)
                        rows += len(batch)
    dst.execute("COMMIT")
    return {"rows": rows, "seconds": time.perf_counter() - t0}


CHILDREN = {"ours": child_ours, "baseline-sqlite": child_baseline_sqlite, "baseline-postgres": child_baseline_postgres}


def run_child(kind: str, source: str, spec: dict, workdir: Path) -> dict:
    """Run one variant in a child process; adds its peak memory (max RSS, MB)."""
    store = workdir / f"store-{kind}-{time.monotonic_ns()}.db"
    proc = subprocess.Popen([sys.executable, __file__, "--child", kind, "--source", source, "--store", str(store),
                             "--spec", json.dumps(spec)], stdout=subprocess.PIPE, text=True)
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"{kind} from {source} failed ({proc.returncode})")
    result = json.loads(out.strip().splitlines()[-1])
    result["peak_mb"] = round(usage.ru_maxrss / 1024, 1)
    result["cpu_seconds"] = round(usage.ru_utime + usage.ru_stime, 2)
    for f in workdir.glob(store.name + "*"):
        f.unlink()
    return result


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--fee-lines", type=int, default=0,
                    help="fee lines in the slice of a synthetic central (default: the demo central at hospital "
                         "scale if available, else 1,000,000 synthetic)")
    ap.add_argument("--central", type=Path, metavar="FILE",
                    help="use this prebuilt SQLite central (a demo central with its FILE.manifest.json beside it)")
    ap.add_argument("--repeat", type=int, default=1, help="runs of each variant; the fastest counts")
    ap.add_argument("--only", choices=["sqlite", "postgres"])
    ap.add_argument("--child", choices=sorted(CHILDREN))
    ap.add_argument("--source")
    ap.add_argument("--store")
    ap.add_argument("--spec")
    args = ap.parse_args()
    if args.child:
        print(json.dumps(CHILDREN[args.child](args.source, Path(args.store), json.loads(args.spec))))
        return

    try:
        from inspector.demo.pgcopy import copy_to_postgres as copy_sqlite_to_postgres  # type: ignore[import-not-found]
    except ImportError:
        from tests.support.central_db import copy_sqlite_to_postgres
    from tests.support.pg_server import create_database, private_postgres

    with tempfile.TemporaryDirectory(prefix="inspector-bench-") as tmp:
        work = Path(tmp)
        t0 = time.perf_counter()
        if args.central:
            central = args.central.resolve()
            m = json.loads(Path(f"{central}.manifest.json").read_text(encoding="utf-8"))
            spec = {"kind": f"demo-{m['scale']}", "institution": m["main_institution"], "date_from": m["date_from"],
                    "date_to": m["date_to"], "visit_time": m["visit_time"]}
        else:
            central = work / "central.db"
            spec = build_central(central, args.fee_lines)
        print(f"central: {spec['kind']}, {central.stat().st_size / 1e6:.0f} MB, ready in {time.perf_counter() - t0:.0f} s",
              file=sys.stderr)
        figures: dict = {"central": spec["kind"], "machine": f"{os.cpu_count()} cores", "date": time.strftime("%Y-%m-%d")}
        sources = ["sqlite", "postgres"] if not args.only else [args.only]
        with private_postgres() as server:
            for name in sources:
                if name == "sqlite":
                    url = str(central)
                else:
                    url = create_database(server, "central")
                    t0 = time.perf_counter()
                    copy_sqlite_to_postgres(central, url)
                    print(f"postgres central loaded in {time.perf_counter() - t0:.0f} s", file=sys.stderr)
                best: dict[str, dict] = {}
                for _ in range(args.repeat):
                    for kind in ("baseline-" + name, "ours"):
                        r = run_child(kind, url, spec, work)
                        key = "ours" if kind == "ours" else "baseline"
                        print(f"  {name:<8} {key:<8} {r['rows']:>10,} rows {r['seconds']:7.2f} s "
                              f"{r['rows'] / r['seconds']:>10,.0f} rows/s  peak {r['peak_mb']:6.1f} MB  cpu {r['cpu_seconds']} s",
                              file=sys.stderr)
                        if key not in best or r["seconds"] < best[key]["seconds"]:
                            best[key] = r
                ours, base = best["ours"], best["baseline"]
                figures[name] = {
                    "rows": ours["rows"],
                    "fee_lines": ours["fee_lines"],
                    "ours_rows_per_s": round(ours["rows"] / ours["seconds"]),
                    "baseline_rows_per_s": round(base["rows"] / base["seconds"]),
                    "ours_seconds": round(ours["seconds"], 2),
                    "baseline_seconds": round(base["seconds"], 2),
                    "ratio": round(ours["seconds"] / base["seconds"], 3),
                    "ours_peak_mb": ours["peak_mb"],
                    "baseline_peak_mb": base["peak_mb"],
                }
        for name in sources:
            f = figures[name]
            print(f"{name}: ours {f['ours_rows_per_s']:,} rows/s, baseline {f['baseline_rows_per_s']:,} rows/s, "
                  f"ratio ours/baseline {f['ratio']}, peak memory ours {f['ours_peak_mb']} MB "
                  f"(baseline {f['baseline_peak_mb']} MB)")
        print(json.dumps(figures))


if __name__ == "__main__":
    main()
