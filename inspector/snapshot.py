"""Writing and describing snapshots: the one path by which contract rows enter the store.

Central sync and Excel import both hand `write_snapshot` a feed per contract table
(batches of tuples in the contract's column order, `contract_columns`, values already normalised:
scaled integers for decimals, contract text for times). Everything happens in one
SQLite transaction, so a failed, cancelled or killed load leaves no trace.

Data minimisation: the store keeps only what the work needs. Feeds carry rows in the
contract's form; `psn_info` rows are reduced before they are written (`REDUCED_TABLES`):
the birth date `brdy` becomes `birth_year` (an integer) and `certno_hash` is dropped, and
`extract_meta` loses `certno_salt`. The masked ID shows the first 6 and last 4 characters of
the ID number and the hidden 8 are the birth date: with the full date (or the salted hash
and its salt) every full number could be rebuilt. With the year only, month and day stay
unknown (about 33 numbers fit each mask and year once the check digit is applied).

Digest of a table: SHA-256 over the UTF-8 text of its rows in primary-key order, one line
per row ended by '\\n', each line SQLite's `json_array()` of the stored columns in schema
order (text as JSON strings, NULL as null, decimals as integers of their smallest unit:
cents for money, 1/10000 for unit prices; `psn_info` in its reduced form, `birth_year` an
integer, no `certno_hash`; `extract_meta` without `certno_salt`). Anyone can recompute it with
the sqlite3 shell: `SELECT json_array(c1, c2, ...) FROM snap_T WHERE snapshot_id = N ORDER BY <key>`.
"""
from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import Engine, func, select

from inspector.coltypes import TIMESTAMP_FORMAT
from inspector.db import write_transaction
from inspector.models import COUNTED_TABLES, SNAPSHOT_MODELS, Inspection, Snapshot
from inspector.progress import Progress
from inspector.settings import default_settings

SCHEMA_VERSION = "1"


# Contract tables whose rows are reduced before the store keeps them: the contract's columns
# (the order feeds use) and the function from a contract row to the stored row.
_PSN_INFO_CONTRACT = ["psn_no", "psn_name", "gend", "brdy", "certno_mask", "certno_hash", "insutype"]

# extract_meta keys never stored (the salt would let anyone test guesses of ID numbers).
OMITTED_META_KEYS = frozenset({"certno_salt"})


def birth_year(brdy: Any) -> int:
    """The year of a contract birth date ('YYYY-MM-DD' text, a date or a datetime)."""
    if isinstance(brdy, (date, datetime)):
        return brdy.year
    return int(str(brdy)[:4])


def _reduce_psn_info(row: tuple) -> tuple:
    psn_no, psn_name, gend, brdy, certno_mask, _certno_hash, insutype = row
    return (psn_no, psn_name, gend, birth_year(brdy), certno_mask, insutype)


REDUCED_TABLES: dict[str, tuple[list[str], Callable[[tuple], tuple]]] = {
    "psn_info": (_PSN_INFO_CONTRACT, _reduce_psn_info),
}


def contract_columns(table: str) -> list[str]:
    """The contract's columns of `table` in schema order: the order of a feed's row tuples."""
    if table in REDUCED_TABLES:
        return list(REDUCED_TABLES[table][0])
    return stored_columns(table)


def stored_columns(table: str) -> list[str]:
    """The columns the store keeps of `table`, in schema order (the snapshot model minus snapshot_id)."""
    return [c.name for c in SNAPSHOT_MODELS[table].__table__.columns if c.name != "snapshot_id"]


def primary_key(table: str) -> list[str]:
    return [c.name for c in SNAPSHOT_MODELS[table].__table__.primary_key.columns if c.name != "snapshot_id"]


@dataclass
class TableFeed:
    """Rows of one contract table: `total` if known ahead, and an iterable of row batches.

    `total` may also be a callable, asked when the table's copy starts (for a table whose
    size depends on tables fed before it).
    """

    total: int | None | Callable[[], int | None]
    batches: Iterable[list[tuple]]

    def resolved_total(self) -> int | None:
        return self.total() if callable(self.total) else self.total


@dataclass
class NewInspection:
    fixmedins_code: str
    date_from: date
    date_to: date
    visit_time: datetime
    team: list[Any] = field(default_factory=list)
    settings: dict[str, Any] | None = None


@dataclass
class SnapshotResult:
    inspection_id: int
    snapshot_id: int
    version: int
    row_counts: dict[str, int]
    digests: dict[str, str]


def write_snapshot(
    engine: Engine,
    target: NewInspection | int,
    *,
    source_kind: str,
    source: str,
    extract_meta: Mapping[str, str],
    feeds: Mapping[str, TableFeed],
    progress: Progress | None = None,
    source_sha256: str | None = None,
) -> SnapshotResult:
    """Load one snapshot in one transaction: a new inspection, or a new version of `target`."""
    progress = progress or Progress()
    missing = [k for k in ("extract_id", "schema_version") if k not in extract_meta]
    if missing:
        from inspector.errors import UserError

        raise UserError(f"extract_meta lacks {', '.join(missing)}")
    now = datetime.now().strftime(TIMESTAMP_FORMAT)
    with write_transaction(engine) as conn:
        dbapi = conn.connection.driver_connection
        cur = dbapi.cursor()
        if isinstance(target, NewInspection):
            ins = Inspection.__table__
            result = conn.execute(
                ins.insert().values(
                    uid=str(uuid.uuid4()),
                    fixmedins_code=target.fixmedins_code,
                    fixmedins_name="",
                    date_from=target.date_from,
                    date_to=target.date_to,
                    visit_time=target.visit_time,
                    status="synced",
                    team=target.team,
                    settings=target.settings or default_settings(),
                    created_at=now,
                )
            )
            inspection_id = result.inserted_primary_key[0]
            fixmedins_code = target.fixmedins_code
        else:
            inspection_id = target
            fixmedins_code = conn.execute(
                select(Inspection.fixmedins_code).where(Inspection.id == target)
            ).scalar_one()
        version = (
            conn.execute(
                select(func.coalesce(func.max(Snapshot.version), 0)).where(Snapshot.inspection_id == inspection_id)
            ).scalar_one()
            + 1
        )
        snap = Snapshot.__table__
        snapshot_id = conn.execute(
            snap.insert().values(
                inspection_id=inspection_id,
                version=version,
                source_kind=source_kind,
                source=source,
                source_sha256=source_sha256,
                extract_id=str(extract_meta["extract_id"]),
                schema_version=str(extract_meta["schema_version"]),
                synced_at=now,
                row_counts={},
                digests={},
            )
        ).inserted_primary_key[0]

        row_counts: dict[str, int] = {}
        # Tables load in the feeds' order (a feed may depend on rows fed before it), then the rest.
        order = ["extract_meta"] + [t for t in feeds if t != "extract_meta"]
        order += [t for t in SNAPSHOT_MODELS if t not in order]
        for table in order:
            if table == "extract_meta":
                kept = sorted((str(k), str(v)) for k, v in extract_meta.items() if str(k) not in OMITTED_META_KEYS)
                feed = TableFeed(len(kept), [kept])
            else:
                feed = feeds.get(table) or TableFeed(0, [])
            row_counts[table] = _copy_table(cur, table, snapshot_id, feed, progress)

        progress.set_status("statistics")
        refresh_statistics(cur)
        progress.set_status("digests")
        digests = {}
        for t in SNAPSHOT_MODELS:
            progress.check()
            digests[t] = table_digest(cur, t, snapshot_id)
        name = cur.execute(
            "SELECT fixmedins_name FROM snap_fixmedins WHERE snapshot_id=? AND fixmedins_code=?",
            (snapshot_id, fixmedins_code),
        ).fetchone()
        if name is None:
            from inspector.errors import UserError

            raise UserError(f"institution {fixmedins_code} is not in the source")
        conn.execute(Inspection.__table__.update().where(Inspection.id == inspection_id).values(fixmedins_name=name[0]))
        counted = {t: row_counts[t] for t in COUNTED_TABLES}
        conn.execute(
            snap.update().where(snap.c.id == snapshot_id).values(row_counts=counted, digests=digests)
        )
        progress.check()  # last chance to cancel before the commit
    return SnapshotResult(inspection_id, snapshot_id, version, counted, digests)


# Rows sampled per index by ANALYZE: enough for the planner's estimates, and ANALYZE of a
# store with millions of fee lines stays well under a second.
ANALYSIS_LIMIT = 2000


def refresh_statistics(cur) -> None:
    """Refresh the planner's statistics (sqlite_stat1) inside the caller's transaction.

    Screening pins its plans with INDEXED BY (see inspector/screening/plans.py), so it does
    not depend on them; every other query on the store (census roster, data browser) gets
    estimates that match the rows just written instead of a fresh store's guesses."""
    cur.execute(f"PRAGMA analysis_limit = {ANALYSIS_LIMIT}")
    cur.execute("ANALYZE")


def _copy_table(cur, table: str, snapshot_id: int, feed: TableFeed, progress: Progress) -> int:
    cols = stored_columns(table)
    reduce = REDUCED_TABLES[table][1] if table in REDUCED_TABLES else None
    # snapshot_id is a literal in the statement: no per-row tuple building.
    sql = (
        f"INSERT INTO snap_{table} (snapshot_id, {', '.join(cols)}) "
        f"VALUES ({int(snapshot_id)}, {', '.join('?' * len(cols))})"
    )
    done = 0
    total = feed.resolved_total()
    progress.set_progress(table, 0, total)
    for batch in feed.batches:
        progress.check()
        if batch:
            cur.executemany(sql, batch if reduce is None else [reduce(r) for r in batch])
            done += len(batch)
            progress.set_progress(table, done, total)
    if total != done:
        progress.set_progress(table, done, done)
    return done


def digest_line_sql(table: str) -> str:
    """SQL text of one row's canonical line: SQLite's json_array() of the stored columns.

    json_array() is the fastest canonical form SQLite offers (about 4x quote()
    concatenation), exact for our values: text and integers only, no floats.
    """
    return f"json_array({', '.join(stored_columns(table))})"


def table_digest(cur, table: str, snapshot_id: int) -> str:
    """SHA-256 of a snapshot table in canonical form (see the module docstring)."""
    order = ", ".join(primary_key(table))
    h = hashlib.sha256()
    cur.execute(f"SELECT {digest_line_sql(table)} || char(10) FROM snap_{table} WHERE snapshot_id=? ORDER BY {order}", (snapshot_id,))
    while True:
        rows = cur.fetchmany(20000)
        if not rows:
            break
        h.update("".join([r[0] for r in rows]).encode("utf-8"))
    return h.hexdigest()


def latest_snapshot_id(conn_or_session, inspection_id: int) -> int | None:
    """The newest snapshot of an inspection (the one every check reads)."""
    return conn_or_session.execute(
        select(Snapshot.id)
        .where(Snapshot.inspection_id == inspection_id)
        .order_by(Snapshot.version.desc())
        .limit(1)
    ).scalar_one_or_none()
