"""Benchmark: the shipped `sync` against a plain copy of the same rows, in the same run.

    .venv/bin/python bench/sync.py [--shapes 3y,hospital] [--postgres [--no-sqlite]] [--repeat K] [--data DIR]

Per data shape (bench/procs.py; centrals cached under --data, default /work/benchdata), each
side in its own process, measured by wait4 (wall, CPU = user + system, peak RSS):

- ours:     `python main.py sync --central FILE|URL ...` into a fresh store that has its first
            account, so it is encrypted (SQLCipher) as every store a user syncs into (the shipped
            command: checks, counts, streamed staging, digests, chunked copy, statistics);
- baseline: the same rows into a fresh store with the same tables, by the plainest copy there is:
            from SQLite, ATTACH the central and one `INSERT INTO snap_T ... SELECT` per table (the
            same slice SELECTs, unordered); from PostgreSQL (--postgres), psycopg
            `COPY (...) TO STDOUT (FORMAT BINARY)` into `executemany`. Its CPU time counts only
            the copy (the store's creation is left out), which is the stricter comparison. It runs
            twice: into a plain file, and into an encrypted store like ours (SQLCipher, raw key).

Prints rows/s, the CPU and wall ratios ours / baseline and peak memory; the LAST line is one
JSON object. Goal: CPU ratio <= 3 at 3 M fee lines.
"""
from __future__ import annotations

import argparse
import platform
import json
import re
import sys
import time
from datetime import date, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

sys.path.insert(0, str(Path(__file__).resolve().parent))

from procs import DEFAULT_DATA, Window, cli_env, load, main_py, prepare_store, run, windows  # noqa: E402


def _window(spec: dict):
    from inspector.sync.slice import SliceWindow

    return SliceWindow(spec["institution"], date.fromisoformat(spec["date_from"]), date.fromisoformat(spec["date_to"]),
                       datetime.strptime(spec["visit_time"], "%Y-%m-%d %H:%M:%S"))


def _baseline_store(store: Path, encrypted: bool = False):
    """The baseline's store: the same table definitions as ours; `encrypted`: a SQLCipher file under a
    raw key, as a store with accounts is (the shipped sync always writes one)."""
    import os
    import sqlite3

    from inspector.db import StoreKey, cipher_connect, open_store

    if encrypted:
        key = StoreKey(os.urandom(32))
        open_store(store, key=key).dispose()
        dst = cipher_connect(store, key, isolation_level=None)
    else:
        open_store(store).dispose()
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
    from inspector.snapshot import stored_columns

    cols = stored_columns(table)
    return f"INSERT INTO snap_{table} (snapshot_id, {', '.join(cols)}) VALUES (1, {', '.join('?' * len(cols))})"


def _stored_select(table: str) -> str:
    """SELECT of the columns the store keeps from the contract columns of the slice SELECT
    (psn_info keeps the birth year only, as the shipped sync does)."""
    from inspector.snapshot import stored_columns

    return ", ".join("CAST(substr(brdy, 1, 4) AS INTEGER)" if c == "birth_year" else c for c in stored_columns(table))


def child_baseline_sqlite(source: str, store: Path, spec: dict) -> dict:
    """ATTACH the central, then one INSERT ... SELECT per table, in one transaction."""
    from inspector.snapshot import contract_columns, stored_columns
    from inspector.sync.slice import SLICE_TABLES, _ctes, _expr, _where, visit_ids_param, visits_query

    w = _window(spec)
    encrypted = spec.get("encrypted", False)
    dst = _baseline_store(store, encrypted)          # the store's creation is not timed
    dst.execute("COMMIT")
    t0, c0 = time.perf_counter(), time.process_time()
    if encrypted:   # a plain central attached to a SQLCipher connection: an empty key
        dst.execute("ATTACH DATABASE ? AS central KEY ''", (str(source),))
    else:
        dst.execute("ATTACH DATABASE ? AS central", (str(source),))
    dst.execute("BEGIN")
    params = w.params("sqlite")
    params["ids"] = visit_ids_param("sqlite", [r[0] for r in dst.execute(visits_query("sqlite"), params)])
    rows = 0
    for table in SLICE_TABLES:
        cols = ", ".join(stored_columns(table))
        named = ", ".join(f"{_expr('sqlite', table, c, 't')} AS {c}" for c in contract_columns(table))
        dst.execute(f"{_ctes('sqlite')} INSERT INTO main.snap_{table} (snapshot_id, {cols}) "
                    f"SELECT 1, {_stored_select(table)} FROM (SELECT {named} FROM {_where('sqlite', table, w)})",
                    params)
        rows += dst.execute("SELECT changes()").fetchone()[0]
    dst.execute("COMMIT")
    return {"rows": rows, "seconds": time.perf_counter() - t0, "copy_cpu": time.process_time() - c0}


def child_baseline_postgres(source: str, store: Path, spec: dict) -> dict:
    import psycopg

    from inspector.coltypes import Day, Scaled, Timestamp
    from inspector.models import SNAPSHOT_MODELS
    from inspector.snapshot import REDUCED_TABLES, contract_columns
    from inspector.sync.slice import SLICE_TABLES

    w = _window(spec)
    dst = _baseline_store(store, spec.get("encrypted", False))          # the store's creation is not timed
    t0, c0 = time.perf_counter(), time.process_time()
    params = w.params("postgresql")
    rows = 0
    with psycopg.connect(source.replace("postgresql+psycopg://", "postgresql://")) as src:
        for table in SLICE_TABLES:
            columns = SNAPSHOT_MODELS[table].__table__.columns
            types = []
            for c in contract_columns(table):
                if c not in columns:                       # brdy, certno_hash: read as text, reduced below
                    types.append("text")
                    continue
                t = columns[c].type
                types.append("int8" if isinstance(t, Scaled) else "text" if isinstance(t, (Timestamp, Day)) else
                             "int4" if t.python_type is int else "text")
            sql = _insert_sql(table)
            stmt = psycopg.ClientCursor(src).mogrify(_plain_select("postgresql", table, w), params)
            with src.cursor() as cur:
                with cur.copy(f"COPY ({stmt}) TO STDOUT (FORMAT BINARY)") as cp:
                    cp.set_types(types)
                    batch = []
                    reduce = REDUCED_TABLES[table][1] if table in REDUCED_TABLES else None
                    for row in cp.rows():
                        batch.append(reduce(row) if reduce else row)
                        if len(batch) == 5000:
                            dst.executemany(sql, batch)
                            rows += len(batch)
                            batch = []
                    if batch:
                        dst.executemany(sql, batch)
                        rows += len(batch)
    dst.execute("COMMIT")
    return {"rows": rows, "seconds": time.perf_counter() - t0, "copy_cpu": time.process_time() - c0}


CHILDREN = {"baseline-sqlite": child_baseline_sqlite, "baseline-postgres": child_baseline_postgres}


def baseline(kind: str, source: str, spec: dict, workdir: Path) -> dict:
    """The plain copy in a child process: rows, copy seconds and copy CPU, peak memory."""
    store = workdir / f"store-{kind}-{time.monotonic_ns()}.db"
    r = run([sys.executable, __file__, "--child", kind, "--source", source, "--store", str(store),
             "--spec", json.dumps(spec)]).check()
    out = json.loads(r.stdout.strip().splitlines()[-1])
    for f in workdir.glob(store.name + "*"):
        f.unlink()
    return {"rows": out["rows"], "wall": out["seconds"], "cpu": out["copy_cpu"], "peak_mb": r.peak_mb}


_COUNT_LINE = re.compile(r"^\s+(\w+)\s+([\d,]+)$")
_HOLD_LINE = re.compile(r"(\d+)\D+?([\d.]+) ?(?:s|秒)\s*$")


def ours(source: str, w: Window, workdir: Path) -> dict:
    """The shipped `python main.py sync` into a fresh store that has its first account (encrypted)."""
    store = workdir / f"store-ours-{time.monotonic_ns()}.db"
    prepare_store(store)                 # not timed
    r = run(main_py("sync", "--central", source, "--institution", w.institution, "--from", w.date_from,
                    "--to", w.date_to, "--visit-time", w.visit_time, "--db", str(store)), env=cli_env()).check()
    counts = {m.group(1): int(m.group(2).replace(",", "")) for line in r.stderr.splitlines()
              if (m := _COUNT_LINE.match(line))}
    lines = [line for line in r.stderr.replace("\r", "\n").splitlines() if line.strip()]
    holds = [m for line in lines if (m := _HOLD_LINE.search(line)) and ("transactions" in line or "事务" in line)]
    for f in workdir.glob(store.name + "*"):
        f.unlink()
    return {"rows": sum(counts.values()), "fee_lines": counts["feedetl"], "wall": r.wall, "cpu": r.cpu,
            "peak_mb": r.peak_mb, "transactions": int(holds[-1].group(1)) if holds else None,
            "longest_hold_s": float(holds[-1].group(2)) if holds else None}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--shapes", default="3y", help="data shapes (bench/procs.py): 3y, hospital, long")
    ap.add_argument("--postgres", action="store_true", help="also from a PostgreSQL copy of each central")
    ap.add_argument("--no-sqlite", action="store_true", help="with --postgres: from the PostgreSQL copy only")
    ap.add_argument("--repeat", type=int, default=1, help="runs of each side; the lowest CPU counts")
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--work", type=Path, help="where the stores are written (default: --data/sync-work)")
    ap.add_argument("--child", choices=sorted(CHILDREN))
    ap.add_argument("--source")
    ap.add_argument("--store")
    ap.add_argument("--spec")
    args = ap.parse_args()
    if args.child:
        print(json.dumps(CHILDREN[args.child](args.source, Path(args.store), json.loads(args.spec))))
        return

    work = args.work or args.data / "sync-work"
    work.mkdir(parents=True, exist_ok=True)
    results = []
    for shape in args.shapes.split(","):
        w = windows(shape, args.data)[-1]
        spec = {"institution": w.institution, "date_from": w.date_from, "date_to": w.date_to,
                "visit_time": w.visit_time}
        sources = [] if args.no_sqlite and args.postgres else [("sqlite", str(w.central))]
        server = None
        if args.postgres:
            from inspector.demo.pgcopy import copy_to_postgres
            from tests.support.pg_server import create_database, private_postgres

            server = private_postgres()
            url = create_database(server.__enter__(), "central")
            t0 = time.perf_counter()
            copy_to_postgres(w.central, url)
            print(f"[{shape}] PostgreSQL central loaded in {time.perf_counter() - t0:.0f} s", file=sys.stderr)
            sources.append(("postgres", url))
        try:
            for name, url in sources:
                best: dict[str, dict] = {}
                for _ in range(max(1, args.repeat)):
                    runs = (("baseline", baseline("baseline-" + name, url, spec, work)),
                            ("baseline_enc", baseline("baseline-" + name, url, {**spec, "encrypted": True}, work)),
                            ("ours", ours(url, w, work)))
                    for key, r in runs:
                        if key not in best or r["cpu"] < best[key]["cpu"]:
                            best[key] = r
                o, b, be = best["ours"], best["baseline"], best["baseline_enc"]
                row = {"shape": shape, "source": name, "rows": o["rows"], "fee_lines": o["fee_lines"],
                       "ours_wall_s": round(o["wall"], 1), "ours_cpu_s": round(o["cpu"], 1),
                       "baseline_wall_s": round(b["wall"], 1), "baseline_cpu_s": round(b["cpu"], 1),
                       "baseline_enc_wall_s": round(be["wall"], 1), "baseline_enc_cpu_s": round(be["cpu"], 1),
                       "ratio_cpu": round(o["cpu"] / b["cpu"], 2), "ratio_wall": round(o["wall"] / b["wall"], 2),
                       "ratio_cpu_enc": round(o["cpu"] / be["cpu"], 2),
                       "ours_peak_mb": round(o["peak_mb"]), "baseline_peak_mb": round(b["peak_mb"]),
                       "transactions": o["transactions"], "longest_hold_s": o["longest_hold_s"],
                       "same_rows": o["rows"] == b["rows"] == be["rows"], "load": load()}
                results.append(row)
                print(f"[{shape} from {name}] {o['rows']:,} rows ({o['fee_lines']:,} fee lines): shipped sync "
                      f"(encrypted store) {o['wall']:.1f} s wall / {o['cpu']:.1f} s CPU "
                      f"({o['rows'] / o['cpu']:,.0f} rows per CPU s), {o['peak_mb']:.0f} MB, "
                      f"{o['transactions']} write transactions, longest {o['longest_hold_s']} s; "
                      f"plain copy into a plain file {b['wall']:.1f} s / {b['cpu']:.1f} s CPU ({b['rows']:,} rows): "
                      f"ratio {row['ratio_cpu']} CPU, {row['ratio_wall']} wall; plain copy into an encrypted store "
                      f"{be['wall']:.1f} s / {be['cpu']:.1f} s CPU: ratio {row['ratio_cpu_enc']} CPU  "
                      f"(load {row['load']})", flush=True)
        finally:
            if server is not None:
                server.__exit__(None, None, None)
    print(json.dumps({"bench": "sync", "results": results,
                      "goal_met": all(r["ratio_cpu"] <= 3 and r["ours_peak_mb"] <= 300 for r in results),
                      "goal_met_against_encrypted_baseline": all(r["ratio_cpu_enc"] <= 3 and r["ours_peak_mb"] <= 300
                                                                 for r in results),
                      "machine": f"{platform.machine()}, Python {platform.python_version()}",
                      "date": time.strftime("%Y-%m-%d %H:%M")}))


if __name__ == "__main__":
    main()
