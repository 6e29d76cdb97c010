"""Copies a demo central database from SQLite into an empty PostgreSQL database.

The contract DDL runs unchanged on PostgreSQL; every table is then loaded with psycopg 3
`COPY ... FROM STDIN` (rows formatted by psycopg's C writer), in one transaction, with
the contract's indexes created after the load. SQLite hands NUMERIC values back as int
or float; a float goes out as its shortest decimal text, which is exactly the value
written, and PostgreSQL parses that into NUMERIC. Times travel as their
'YYYY-MM-DD HH:MM:SS' text.
"""
from __future__ import annotations

import sqlite3
from pathlib import Path

from inspector.demo.engine import COLUMNS
from inspector.errors import UserError
from inspector.i18n import _
from inspector.progress import Progress
from inspector.demo.ddl import contract_ddl_parts

_BATCH = 20000


def conninfo_from_url(pg_url: str) -> str:
    """A psycopg conninfo from a SQLAlchemy-style URL (`postgresql+psycopg://...` or `postgresql://...`)."""
    scheme, sep, rest = pg_url.partition("://")
    if not sep or scheme.split("+")[0] not in ("postgresql", "postgres"):
        raise UserError(_("not a PostgreSQL URL: {url}").format(url=pg_url))
    return "postgresql://" + rest


def copy_to_postgres(sqlite_path: Path, pg_url: str, progress: Progress | None = None) -> None:
    """Create the contract schema in the empty database at `pg_url` and load every table of `sqlite_path`."""
    import psycopg

    progress = progress or Progress()
    if not Path(sqlite_path).exists():
        raise UserError(_("{path} does not exist").format(path=sqlite_path))
    src = sqlite3.connect(f"file:{sqlite_path}?mode=ro", uri=True)
    try:
        totals = {t: src.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in COLUMNS}
        with psycopg.connect(conninfo_from_url(pg_url)) as pg:
            existing = pg.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() "
                "AND table_name = ANY(%s)", (list(COLUMNS),)).fetchall()
            if existing:
                raise UserError(_("the PostgreSQL database already has contract tables ({tables}); use an empty database")
                                .format(tables=", ".join(sorted(r[0] for r in existing))))
            tables_ddl, index_ddl = contract_ddl_parts()
            pg.execute(tables_ddl)
            with pg.cursor() as cur:
                for table, cols in COLUMNS.items():
                    done = 0
                    progress.set_progress(table, 0, totals[table])
                    rows = src.execute(f"SELECT {', '.join(cols)} FROM {table}")
                    with cur.copy(f"COPY {table} ({', '.join(cols)}) FROM STDIN") as copy:
                        while True:
                            batch = rows.fetchmany(_BATCH)
                            if not batch:
                                break
                            for row in batch:
                                copy.write_row(row)
                            done += len(batch)
                            progress.check()
                            progress.set_progress(table, done, totals[table])
            progress.set_status(_("indexing"))
            pg.execute(index_ddl)
            pg.commit()
    finally:
        src.close()
