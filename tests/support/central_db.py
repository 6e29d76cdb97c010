"""Building central databases for tests and benchmarks: the contract DDL on SQLite or
PostgreSQL, rows inserted as given, a quick synthetic central of any size, and a
SQLite -> PostgreSQL copy."""
from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterable, Mapping
from pathlib import Path

from inspector.resources import central_schema_sql

INSTITUTION = "H61010000001"
OTHER = "H61010000002"


def schema_statements() -> list[str]:
    """The contract DDL as single statements (comments stripped)."""
    text = re.sub(r"--[^\n]*", "", central_schema_sql())
    return [s.strip() for s in text.split(";") if s.strip()]


def create_sqlite_central(path: Path, tables: Mapping[str, Iterable[tuple]]) -> Path:
    """A SQLite central at `path` with the contract schema and `tables`' rows."""
    con = sqlite3.connect(path)
    for stmt in schema_statements():
        con.execute(stmt)
    for table, rows in tables.items():
        rows = list(rows)
        if rows:
            con.executemany(f"INSERT INTO {table} VALUES ({', '.join('?' * len(rows[0]))})", rows)
    con.commit()
    con.close()
    return path


def create_postgres_central(pg_url: str, tables: Mapping[str, Iterable[tuple]]) -> None:
    """The contract schema and `tables`' rows in the (empty) PostgreSQL database at `pg_url`."""
    import psycopg

    with psycopg.connect(_conninfo(pg_url)) as con:
        for stmt in schema_statements():
            con.execute(stmt)
        for table, rows in tables.items():
            rows = list(rows)
            if rows:
                with con.cursor() as cur:
                    cur.executemany(f"INSERT INTO {table} VALUES ({', '.join(['%s'] * len(rows[0]))})", rows)


def _conninfo(pg_url: str) -> str:
    from sqlalchemy.engine import make_url

    u = make_url(pg_url)
    parts = {"host": u.host, "port": u.port, "user": u.username, "password": u.password, "dbname": u.database}
    return " ".join(f"{k}={v}" for k, v in parts.items() if v is not None)


def copy_sqlite_to_postgres(sqlite_path: Path, pg_url: str) -> None:
    """Copy a SQLite central into the empty PostgreSQL database at `pg_url` (COPY, fast)."""
    import psycopg

    src = sqlite3.connect(sqlite_path)
    tables = [r[0] for r in src.execute("SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%'")]
    with psycopg.connect(_conninfo(pg_url)) as con:
        for stmt in schema_statements():
            if stmt.upper().startswith("CREATE INDEX"):
                continue
            con.execute(stmt)
        for table in tables:
            cols = [r[1] for r in src.execute(f"PRAGMA table_info({table})")]
            # SQLite writes COPY's text format itself: tab-separated, \N for NULL, escapes.
            fields = " || char(9) || ".join(
                "ifnull(replace(replace(replace(replace(CAST({c} AS TEXT), '\\', '\\\\'), char(9), '\\t'), "
                "char(10), '\\n'), char(13), '\\r'), '\\N')".format(c=c) for c in cols)
            with con.cursor().copy(f"COPY {table} ({', '.join(cols)}) FROM STDIN") as cp:
                cur = src.execute(f"SELECT {fields} || char(10) FROM {table}")
                while rows := cur.fetchmany(20000):
                    cp.write("".join([r[0] for r in rows]))
        for stmt in schema_statements():
            if stmt.upper().startswith("CREATE INDEX"):
                con.execute(stmt)
        con.execute("ANALYZE")
    src.close()


def build_synthetic_central(path: Path, fee_lines: int, *, other_fee_lines: int | None = None) -> Path:
    """A SQLite central with `fee_lines` fee lines of INSTITUTION in the window 2026-01-01..2026-03-31
    (plus some outside it) and a smaller OTHER institution; built in SQL, a few seconds per million."""
    con = sqlite3.connect(path)
    con.execute("PRAGMA journal_mode=OFF")
    con.execute("PRAGMA synchronous=OFF")
    for stmt in schema_statements():
        con.execute(stmt)
    con.executemany("INSERT INTO extract_meta VALUES (?, ?)", [
        ("schema_version", "1"), ("extract_id", "SYN-1"), ("created_at", "2026-04-01 06:00:00"),
        ("certno_salt", "syn-salt"), ("admdvs", "610100")])
    con.executemany("INSERT INTO fixmedins VALUES (?,?,?,?,?,?,?,?,?)", [
        (INSTITUTION, "合成第一医院", "1", "3", "610100", 800, "合成路1号", "A", "active"),
        (OTHER, "合成第二医院", "1", "2", "610100", 300, "合成路2号", "B", "active")])
    con.executemany("INSERT INTO wards VALUES (?,?,?,?,?,?)", [
        (inst, f"W{k:02d}", f"病区{k}", f"D{k:02d}", f"科室{k}", 40) for inst in (INSTITUTION, OTHER) for k in range(1, 21)])
    n_items = 3000
    con.execute(f"""WITH RECURSIVE s(i) AS (SELECT 0 UNION ALL SELECT i+1 FROM s WHERE i < {n_items - 1})
        INSERT INTO med_list SELECT
          CASE WHEN i < 1500 THEN printf('X%022d', i) ELSE printf('C%010d', i) END,
          '项目' || i, CASE WHEN i < 1500 THEN '101' ELSE '201' END, '规格', '粒',
          printf('%02d', i % 3 + 1), i % 2, CASE WHEN i % 4 = 0 THEN NULL ELSE (i % 500 + 1) / 100.0 END,
          CASE WHEN i % 5 = 0 THEN NULL ELSE i % 30 + 1 END FROM s""")
    n_psn = min(40000, max(300, fee_lines // 50))
    n_drugs = min(300, max(20, fee_lines // 5000))
    con.execute(f"""WITH RECURSIVE s(i) AS (SELECT 0 UNION ALL SELECT i+1 FROM s WHERE i < {n_psn - 1})
        INSERT INTO psn_info SELECT printf('PSN%08d', i), '患者' || i, CAST(i % 2 + 1 AS TEXT),
          date('1940-01-01', '+' || (i % 25000) || ' days'), '610102********' || printf('%04d', i % 10000),
          lower(hex(randomblob(32))), CASE WHEN i % 3 = 0 THEN '390' ELSE '310' END FROM s""")
    for inst, n_fee, prefix in ((INSTITUTION, fee_lines, "A"), (OTHER, other_fee_lines if other_fee_lines is not None else fee_lines // 10, "B")):
        per = 20
        n_visits = max(1, n_fee // per)
        # Visits spread over 2025-11-01 .. 2026-05-01 (window is Jan-Mar 2026): about half in the window.
        span = 181 * 86400
        con.execute(f"""WITH RECURSIVE s(i) AS (SELECT 0 UNION ALL SELECT i+1 FROM s WHERE i < {n_visits - 1})
            INSERT INTO mdtrt SELECT printf('{prefix}M%09d', i), '{inst}', printf('PSN%08d', (i * 7919) % {n_psn}),
              CASE WHEN i % 8 = 0 THEN '21' ELSE '11' END, CASE WHEN i % 8 = 0 THEN printf('IPT%07d', i) END,
              datetime('2025-11-01', '+' || (i * {span} / {n_visits}) || ' seconds'),
              CASE WHEN i % 64 = 0 THEN NULL
                   WHEN i % 8 = 0 THEN datetime('2025-11-01', '+' || (i * {span} / {n_visits} + 86400 * (i % 12 + 1)) || ' seconds')
                   ELSE datetime('2025-11-01', '+' || (i * {span} / {n_visits} + 1800) || ' seconds') END,
              printf('W%02d', i % 20 + 1), CAST(i % 40 + 1 AS TEXT), 'J18.9', '肺炎', printf('DR%03d', i % 90), '医生', printf('D%02d', i % 20 + 1)
            FROM s""")
        con.execute(f"""INSERT INTO setl SELECT 'S' || mdtrt_id, mdtrt_id, fixmedins_code, psn_no, coalesce(endtime, begntime),
              1234.56, 1000.00, 34.56, 200.00, 0.00 FROM mdtrt WHERE fixmedins_code = '{inst}'""")
        con.execute(f"""INSERT INTO medrcd SELECT mdtrt_id, fixmedins_code, psn_no, ipt_no, begntime, endtime,
              CAST(julianday(endtime) - julianday(begntime) AS INTEGER), 'J18.9', '肺炎', NULL, dept_codg, atddr_codg, 1234.56
              FROM mdtrt WHERE fixmedins_code = '{inst}' AND med_type = '21' AND endtime IS NOT NULL""")
        con.execute(f"""INSERT INTO leave_rec SELECT 'L' || mdtrt_id, mdtrt_id, datetime(begntime, '+1 day'),
              datetime(begntime, '+1 day', '+6 hours'), '回家' FROM mdtrt WHERE fixmedins_code = '{inst}' AND med_type = '21'
              AND endtime > datetime(begntime, '+2 days')""")
        con.execute(f"""WITH RECURSIVE s(i) AS (SELECT 0 UNION ALL SELECT i+1 FROM s WHERE i < {n_visits * per - 1})
            INSERT INTO feedetl SELECT printf('{prefix}F%010d', i), printf('{prefix}M%09d', i / {per}), '{inst}',
              printf('PSN%08d', ((i / {per}) * 7919) % {n_psn}),
              datetime('2025-11-01', '+' || ((i / {per}) * {span} / {n_visits} + (i % {per}) * 60) || ' seconds'),
              CASE WHEN i % 3 = 0 THEN printf('C%010d', 1500 + i % 1500) ELSE printf('X%022d', i % 1500) END,
              CASE WHEN i % 3 = 0 THEN '05' ELSE '09' END,
              (i % 7 + 1) / 2.0, (i % 9973 + 1) / 10000.0, round((i % 7 + 1) / 2.0 * (i % 9973 + 1) / 10000.0, 2),
              printf('DR%03d', i % 90), printf('D%02d', i % 20 + 1) FROM s""")
        # Drug ledgers: monthly counts, daily purchases and sales for n_drugs drugs.
        con.execute(f"""WITH RECURSIVE d(k) AS (SELECT 0 UNION ALL SELECT k+1 FROM d WHERE k < {n_drugs - 1}),
              m(j) AS (SELECT 0 UNION ALL SELECT j+1 FROM m WHERE j < 7)
            INSERT INTO drug_inv SELECT '{inst}', printf('X%022d', k), date('2025-11-01', '+' || j || ' months'),
              (k % 50) * 10 + 100 FROM d, m""")
        con.execute(f"""WITH RECURSIVE d(k) AS (SELECT 0 UNION ALL SELECT k+1 FROM d WHERE k < {n_drugs - 1}),
              t(j) AS (SELECT 0 UNION ALL SELECT j+1 FROM t WHERE j < 180)
            INSERT INTO drug_purc SELECT printf('{prefix}PU%03d%03d', k, j), '{inst}', printf('X%022d', k), '供应商', 'LOT1',
              20, (k % 100 + 1) / 100.0, datetime('2025-11-01', '+' || j || ' days', '+9 hours'), '0' FROM d, t WHERE (j + k) % 7 = 0""")
        con.execute(f"""WITH RECURSIVE d(k) AS (SELECT 0 UNION ALL SELECT k+1 FROM d WHERE k < {n_drugs - 1}),
              t(j) AS (SELECT 0 UNION ALL SELECT j+1 FROM t WHERE j < 180)
            INSERT INTO drug_sel SELECT printf('{prefix}SE%03d%03d', k, j), '{inst}', printf('X%022d', k), 3,
              (k % 100 + 1) / 50.0, datetime('2025-11-01', '+' || j || ' days', '+15 hours'), NULL, NULL, '0' FROM d, t""")
    con.commit()
    con.execute("ANALYZE")
    con.close()
    return path
