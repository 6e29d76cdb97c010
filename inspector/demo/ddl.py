"""The contract DDL, split into its table and index statements (each statement's text unchanged)."""
from __future__ import annotations

import sqlite3

from inspector.resources import central_schema_sql


def contract_ddl_parts() -> tuple[str, str]:
    """(CREATE TABLE statements, CREATE INDEX statements) of schema.sql, in file order.

    Bulk loads run the first part, load, then the second: creating an index once is much
    faster than maintaining it row by row.
    """
    statements: list[str] = []
    buf = ""
    for line in central_schema_sql().splitlines(keepends=True):
        buf += line
        if sqlite3.complete_statement(buf):
            statements.append(buf)
            buf = ""
    if buf.strip():
        statements.append(buf)

    def code(stmt: str) -> str:
        return " ".join(ln.split("--")[0] for ln in stmt.splitlines()).strip().upper()
    index = [s for s in statements if code(s).startswith("CREATE INDEX")]
    tables = [s for s in statements if s not in index]
    return "".join(tables), "".join(index)
