"""Writing and describing snapshots: the one path by which contract rows enter the store.

Central sync and Excel import both hand `write_snapshot` a feed per contract table
(batches of tuples in the contract's column order, `contract_columns`, values already normalised:
scaled integers for decimals, contract text for times). The feeds stream into a staging
SQLite file beside the store, without touching the store; the staged rows are then copied
in (ATTACH + INSERT ... SELECT) in chunks of about a quarter of a second each, under a
pending snapshot that no reader sees until one tiny final transaction publishes it (`_commit`).
So on-site work goes on during a sync (a census tick waits at most one chunk), and a failed,
cancelled or killed load leaves nothing visible in the store: a kill during the copy leaves
an invisible partial snapshot that the next load removes (`drop_pending`).

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

import errno
import fcntl
import hashlib
import json
import os
import sqlite3
import time
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from pathlib import Path

from sqlalchemy import Engine, func, select
from sqlalchemy.exc import SQLAlchemyError

from inspector.coltypes import TIMESTAMP_FORMAT, Scaled
from inspector.db import DBAPI_ERRORS, _is_locked, engine_key, sqlcipher, store_busy
from inspector.errors import UserError
from inspector.i18n import _
from inspector.models import COUNTED_TABLES, SNAPSHOT_MODELS, Inspection, Snapshot
from inspector.progress import Progress
from inspector.settings import default_settings

SCHEMA_VERSION = "1"

# A duplicate or empty key in the staging file, from either driver (sqlite3, or sqlcipher3 beside
# an encrypted store).
_INTEGRITY_ERRORS: tuple[type[Exception], ...] = (sqlite3.IntegrityError,) + (
    (sqlcipher.IntegrityError,) if sqlcipher is not None else ())


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
# The same reductions in SQL, over a row of contract columns (an `SqlFeed`'s rows): the stored columns.
REDUCED_SQL: dict[str, str] = {
    "psn_info": "psn_no, psn_name, gend, CAST(substr(brdy, 1, 4) AS INTEGER), certno_mask, insutype",
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
    size depends on tables fed before it). A `checked` feed's rows carry one more value,
    `_bad` (see inspector/sync/strict.py): the load stops at the first table with a bad row.
    """

    total: int | None | Callable[[], int | None]
    batches: Iterable[list[tuple]]
    checked: bool = False  # each row ends with a `_bad` column: NULL, or the first bad column's name

    def resolved_total(self) -> int | None:
        return self.total() if callable(self.total) else self.total


@dataclass
class SqlFeed:
    """Rows of one contract table that the staging connection reads itself, from a SQLite central
    file it attaches as `central` (read in the staging's one transaction: no row passes through
    Python). `ctes` + `select` is a SELECT of the table's contract columns in order, then `_bad`
    (see inspector/sync/strict.py); it runs as `<ctes> INSERT INTO stg_<table> <select>` with
    `params`. Every SqlFeed of one load names the same `attach` file."""

    total: int | None | Callable[[], int | None]
    ctes: str
    select: str
    params: Mapping[str, Any]
    attach: str
    checked: bool = True
    # Tables staged before this one whose med_list_codg values `select` reads as the JSON array
    # parameter `codes` (collected while their digests are computed).
    codes_from: tuple[str, ...] = ()

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


class StagingKeyError(UserError):
    """Rows of a load broke a table's key (empty or duplicated): nothing was changed."""

    def __init__(self, table: str, detail: str) -> None:
        self.table = table
        super().__init__(_("the rows of table {table} break its key ({detail}); nothing was changed").format(
            table=table, detail=detail))


class StagedBadRows(UserError):
    """A checked feed (see `TableFeed.checked`) flagged rows whose values break the contract."""

    def __init__(self, table: str) -> None:
        self.table = table
        super().__init__(_("table {table} has values that break the contract; nothing was changed").format(table=table))


def _store_path(engine: Engine) -> Path:
    db = engine.url.database
    if not db or db == ":memory:":
        raise ValueError("the store is not a file")
    return Path(db)


def _sqlite_type(col) -> str:
    from sqlalchemy import Integer

    if isinstance(col.type, Scaled) or isinstance(col.type, Integer):
        return "INTEGER"
    return "TEXT"


class Staging:
    """A scratch SQLite file beside the store that one load streams into.

    Its tables mirror the snapshot tables (same column affinities, so the digests read from
    it are those of the snapshot) with the contract key as primary key, WITHOUT ROWID, so
    rows arriving in key order are appended and a duplicate or empty key is refused. A
    checked feed brings one more column, `_bad`, with a partial index on its non-NULL values.
    The file is flock()ed while in use; `remove_stale` deletes those left by killed loads.
    Beside an encrypted store the staging file is a SQLCipher file too, under a random key
    of its own that lives only in this process (`key`): the staged rows are patient data.
    """

    def __init__(self, store: Path, encrypted: bool = False, attach: str | None = None) -> None:
        from inspector.db import StoreKey, cipher_connect

        remove_stale(store)
        self.path = store.with_name(f"{store.name}{STAGING_INFIX}{uuid.uuid4().hex[:12]}")
        self._lock = None
        self.key = StoreKey(os.urandom(32)) if encrypted else None
        try:
            self._lock = open(self.path, "a+b")
            fcntl.flock(self._lock, fcntl.LOCK_EX)
            if self.key is not None:
                self.con = cipher_connect(self.path, self.key, isolation_level=None, check_same_thread=False)
            else:
                self.con = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
            self.con.execute("PRAGMA journal_mode=OFF")
            self.con.execute("PRAGMA synchronous=OFF")
            self.con.execute("PRAGMA cache_size=-65536")
            if attach is not None:   # a plain SQLite central (an empty key for SQLCipher: no encryption)
                self.con.execute("ATTACH DATABASE ? AS central" + (" KEY ''" if self.key is not None else ""),
                                 (attach,))
            self.con.execute("BEGIN")
        except BaseException:
            self.close()
            raise
        self.checked: set[str] = set()

    def create(self, table: str, checked: bool) -> str:
        cols = [c for c in SNAPSHOT_MODELS[table].__table__.columns if c.name != "snapshot_id"]
        defs = ", ".join(f"{c.name} {_sqlite_type(c)}" for c in cols)
        if checked:
            defs += ", _bad TEXT"
            self.checked.add(table)
        self.con.execute(f"CREATE TABLE stg_{table} ({defs}, PRIMARY KEY ({', '.join(primary_key(table))})) WITHOUT ROWID")
        if checked:
            self.con.execute(f"CREATE INDEX stg_{table}_bad ON stg_{table} (_bad) WHERE _bad IS NOT NULL")
        n = len(cols) + (1 if checked else 0)
        return f"INSERT INTO stg_{table} VALUES ({', '.join('?' * n)})"

    def has_bad_rows(self, table: str) -> bool:
        if table not in self.checked:
            return False
        return self.con.execute(f"SELECT 1 FROM stg_{table} WHERE _bad IS NOT NULL LIMIT 1").fetchone() is not None

    def close(self) -> None:
        con = getattr(self, "con", None)
        if con is not None:
            try:
                con.close()
            except Exception:  # noqa: BLE001 - closing after a failure
                pass
            self.con = None
        for suffix in ("", "-journal", "-wal", "-shm"):
            try:
                os.unlink(f"{self.path}{suffix}")
            except FileNotFoundError:
                pass
        if self._lock is not None:
            self._lock.close()
            self._lock = None
        if getattr(self, "key", None) is not None:
            self.key.wipe()


STAGING_INFIX = ".staging-"


def remove_stale(store: Path) -> None:
    """Delete staging files of loads that were killed (not locked by a live process)."""
    for p in store.parent.glob(f"{store.name}{STAGING_INFIX}*"):
        if not p.name[len(store.name) + len(STAGING_INFIX):].isalnum():
            continue
        try:
            with open(p, "rb") as f:
                try:
                    fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except OSError:
                    continue  # in use by another load
                p.unlink(missing_ok=True)
        except OSError:
            continue


def disk_full_error(store: Path) -> UserError:
    return UserError(_("the disk holding {dir} is full: free some space and try again; nothing was changed").format(
        dir=store.parent))


def _is_disk_full(exc: BaseException) -> bool:
    if isinstance(exc, OSError) and exc.errno == errno.ENOSPC:
        return True
    code = getattr(exc, "sqlite_errorcode", None)
    if code == sqlite3.SQLITE_FULL or "database or disk is full" in str(exc):
        return True
    orig = getattr(exc, "orig", None)
    return orig is not None and orig is not exc and _is_disk_full(orig)


def write_snapshot(
    engine: Engine,
    target: NewInspection | int,
    *,
    source_kind: str,
    source: str,
    extract_meta: Mapping[str, str],
    feeds: Mapping[str, TableFeed | SqlFeed],
    progress: Progress | None = None,
    source_sha256: str | None = None,
) -> SnapshotResult:
    """Load one snapshot: a new inspection, or a new version of `target`.

    The feeds stream into a staging file beside the store (no lock on the store meanwhile,
    so on-site work goes on); digests are computed there; then the staged rows are copied in
    by short write transactions under a pending snapshot, published by a tiny last one
    (`_commit`). A failure, a cancel or a kill at any point leaves the store as it was for
    every reader; the staging file (and, after a kill, the invisible partial snapshot) is
    removed in every case but a kill, and by the next load then.
    """
    progress = progress or Progress()
    missing = [k for k in ("extract_id", "schema_version") if k not in extract_meta]
    if missing:
        raise UserError(_('extract_meta lacks {value}').format(value=', '.join(missing)))
    store = _store_path(engine)
    attach = {f.attach for f in feeds.values() if isinstance(f, SqlFeed)}
    if len(attach) > 1:
        raise ValueError("the SqlFeeds of one load read one central file")
    try:
        staging = Staging(store, encrypted=engine_key(engine) is not None, attach=next(iter(attach), None))
    except (OSError, *DBAPI_ERRORS) as exc:
        if _is_disk_full(exc):
            raise disk_full_error(store) from None
        raise
    try:
        try:
            drop_pending(engine)
            row_counts, digests = _stage(staging, extract_meta, feeds, progress)
            return _commit(engine, staging, target, source_kind=source_kind, source=source, extract_meta=extract_meta,
                           row_counts=row_counts, digests=digests, progress=progress, source_sha256=source_sha256)
        except (OSError, *DBAPI_ERRORS, SQLAlchemyError) as exc:
            if _is_disk_full(exc):
                raise disk_full_error(store) from None
            if _is_locked(exc) or _is_locked(getattr(exc, "orig", None)):
                raise store_busy() from None
            raise
    finally:
        staging.close()


def _stage(staging: Staging, extract_meta: Mapping[str, str], feeds: Mapping[str, TableFeed],
           progress: Progress) -> tuple[dict[str, int], dict[str, str]]:
    row_counts: dict[str, int] = {}
    # Tables load in the feeds' order (a feed may depend on rows fed before it), then the rest.
    order = ["extract_meta"] + [t for t in feeds if t != "extract_meta"]
    order += [t for t in SNAPSHOT_MODELS if t not in order]
    digests: dict[str, str] = {}
    cur = staging.con.cursor()
    for table in order:
        if table == "extract_meta":
            kept = sorted((str(k), str(v)) for k, v in extract_meta.items() if str(k) not in OMITTED_META_KEYS)
            feed = TableFeed(len(kept), [kept])
        else:
            feed = feeds.get(table) or TableFeed(0, [])
        if isinstance(feed, SqlFeed) and feed.codes_from:
            # The catalogue rows the staged tables refer to: their codes are collected by the
            # digest pass over those tables (one read of the staged rows instead of two).
            progress.set_status(_("digests"))
            codes: set[str] = set()
            for t in feed.codes_from:
                progress.check()
                digests[t] = _digest(cur, f"stg_{t}", t, None, codes)
            feed = SqlFeed(len(codes), feed.ctes, feed.select, {**feed.params, "codes": json.dumps(sorted(c for c in codes if c is not None))},
                           feed.attach, feed.checked)
        row_counts[table] = _copy_table(staging, table, feed, progress)
        if staging.has_bad_rows(table):
            raise StagedBadRows(table)
    staging.con.execute("COMMIT")
    progress.set_status(_("digests"))
    for t in SNAPSHOT_MODELS:
        progress.check()
        if t not in digests:
            digests[t] = _digest(cur, f"stg_{t}", t, None)
    return row_counts, digests


def _copy_table(staging: Staging, table: str, feed: TableFeed | SqlFeed, progress: Progress) -> int:
    sql = staging.create(table, feed.checked)
    if isinstance(feed, SqlFeed):
        return _insert_select(staging, table, feed, progress)
    reduce = REDUCED_TABLES[table][1] if table in REDUCED_TABLES else None
    if reduce is not None and feed.checked:   # the `_bad` value stays last
        plain = reduce
        reduce = lambda r: plain(r[:-1]) + (r[-1],)  # noqa: E731
    cur = staging.con.cursor()
    done = 0
    total = feed.resolved_total()
    progress.set_progress(table, 0, total)
    for batch in feed.batches:
        progress.check()
        if batch:
            try:
                cur.executemany(sql, batch if reduce is None else [reduce(r) for r in batch])
            except _INTEGRITY_ERRORS as exc:
                raise StagingKeyError(table, str(exc)) from None
            done += len(batch)
            progress.set_progress(table, done, total)
    if total != done:
        progress.set_progress(table, done, done)
    return done


# The copy into the store: many short write transactions, each held about COPY_HOLD seconds,
# with a pause of COPY_PAUSE seconds once the lock was held COPY_PAUSE_AFTER seconds in all
# since the last pause (`_Pacer`). A writer waiting for the lock (a census tick) polls every
# 100 ms once it has waited a little (SQLite's busy handler), so a pause longer than that always
# lets it in: no tick waits longer than one chunk (plus COPY_PAUSE_AFTER of tiny ones before it).
COPY_HOLD = 0.25
COPY_PAUSE = 0.12
COPY_PAUSE_AFTER = 0.05
COPY_CACHE_KIB = 65536
_FIRST_CHUNK = 1000
_MAX_CHUNK = 200_000
PENDING = "pending"   # source_kind of a snapshot whose rows are still being copied


def _chunk_rows() -> int | None:
    """A fixed chunk size from $INSPECTOR_SYNC_CHUNK_ROWS (tests: many chunks on small data)."""
    env = os.environ.get("INSPECTOR_SYNC_CHUNK_ROWS")
    try:
        return max(1, int(env)) if env else None
    except ValueError:
        return None


class _Pacer:
    """The pauses of the copy (see COPY_PAUSE): one after each COPY_PAUSE_AFTER seconds of lock
    held, so that a tiny table's single transaction costs no pause of its own (a pause per table
    cost every load, however small, 13 pauses: 1.6 s)."""

    def __init__(self) -> None:
        self.since = 0.0

    def held(self, seconds: float) -> None:
        self.since += seconds
        if self.since >= COPY_PAUSE_AFTER:
            time.sleep(COPY_PAUSE)
            self.since = 0.0


def _insert_select(staging: Staging, table: str, feed: SqlFeed, progress: Progress) -> int:
    """Stage a table by one INSERT ... SELECT from the attached central (cancellable while it runs)."""
    total = feed.resolved_total()
    progress.set_progress(table, 0, total)
    select = feed.select
    if table in REDUCED_SQL:
        select = f"SELECT {REDUCED_SQL[table]}, _bad FROM ({select})"
    staging.con.set_progress_handler(progress.is_cancelled, 100_000)
    try:
        staging.con.execute(f"{feed.ctes}\nINSERT INTO stg_{table} {select}", dict(feed.params))
        done = staging.con.execute("SELECT changes()").fetchone()[0]
    except DBAPI_ERRORS as exc:
        if progress.is_cancelled():
            progress.check()
        if isinstance(exc, _INTEGRITY_ERRORS):   # a duplicate or empty key
            raise StagingKeyError(table, str(exc)) from None
        raise
    finally:
        staging.con.set_progress_handler(None, 0)
    progress.set_progress(table, done, done)
    return done


def _commit(engine: Engine, staging: Staging, target: NewInspection | int, *, source_kind: str, source: str,
            extract_meta: Mapping[str, str], row_counts: dict[str, int], digests: dict[str, str],
            progress: Progress, source_sha256: str | None) -> SnapshotResult:
    """Copy the staged rows into the store without ever holding its write lock for long.

    1. a pending snapshot row (no inspection: invisible to every reader) is inserted;
    2. each table's staged rows are copied under it in key order, in chunks, each chunk its
       own short transaction (`COPY_HOLD`), with a pause between them (`COPY_PAUSE`);
    3. one tiny transaction gives the snapshot its inspection (created then, for a new one)
       and version: only now does anyone see it;
    4. the planner's statistics are refreshed, one short transaction per table.

    A failure or a cancel removes the pending rows again; after a kill they stay invisible
    until the next load removes them (`drop_pending`).
    """
    progress.set_status(_("saving"))
    staging.con.execute("PRAGMA cache_size=-2000")   # its pages are read once more, in order, from now on
    staging.con.execute("PRAGMA shrink_memory")
    with engine.connect() as conn:
        dbapi = conn.connection.driver_connection
        # While the pending rows go in: a big page cache (fewer pages decrypted again and again in
        # an encrypted store), and no fsync per chunk (WAL, NORMAL: a power cut may lose pending
        # rows, which no one sees, never corrupt the store); the publishing commit is FULL again.
        dbapi.execute(f"PRAGMA main.cache_size=-{COPY_CACHE_KIB}")
        dbapi.execute("PRAGMA synchronous=NORMAL")
        # Checkpoints run between the chunks (`_copy_in`), not inside a chunk's commit.
        dbapi.execute("PRAGMA wal_autocheckpoint=0")
        if staging.key is not None:
            dbapi.execute(f"ATTACH DATABASE ? AS staging KEY {staging.key.sql_literal()}", (str(staging.path),))
        else:
            dbapi.execute("ATTACH DATABASE ? AS staging", (str(staging.path),))
        snapshot_id = None
        try:
            cur = dbapi.cursor()
            now = datetime.now().strftime(TIMESTAMP_FORMAT)
            counted = {t: row_counts[t] for t in COUNTED_TABLES}
            t0 = time.monotonic()
            with conn.execution_options(begin="IMMEDIATE").begin():
                snapshot_id = conn.execute(
                    Snapshot.__table__.insert().values(
                        inspection_id=None, version=0, source_kind=PENDING, source=staging.path.name,
                        source_sha256=source_sha256, extract_id=str(extract_meta["extract_id"]),
                        schema_version=str(extract_meta["schema_version"]), synced_at=now,
                        row_counts=counted, digests=digests,
                    )
                ).inserted_primary_key[0]
            holds: list[float] = [time.monotonic() - t0]
            fixed = _chunk_rows()
            pacer = _Pacer()
            for table in SNAPSHOT_MODELS:   # each table starts small: its rows cost what they cost
                _copy_in(conn, cur, table, int(snapshot_id), fixed or _FIRST_CHUNK, fixed, row_counts.get(table),
                         progress, holds, pacer)
            dbapi.execute("PRAGMA synchronous=FULL")
            t0 = time.monotonic()
            with conn.execution_options(begin="IMMEDIATE").begin():
                inspection_id, version = _publish(conn, cur, target, int(snapshot_id), source_kind, source, now)
            holds.append(time.monotonic() - t0)
            published = True
        except BaseException:
            published = False
            raise
        finally:
            if not published and snapshot_id is not None:
                try:
                    _drop_snapshot_rows(conn, cur, int(snapshot_id))
                except Exception:  # noqa: BLE001 - the next load removes what is left
                    pass
            try:
                dbapi.execute("DETACH DATABASE staging")
            except DBAPI_ERRORS:
                pass
            try:   # the connection goes back to the pool as every other: FULL, a small cache
                dbapi.execute("PRAGMA wal_autocheckpoint=1000")
                dbapi.execute("PRAGMA synchronous=FULL")
                dbapi.execute("PRAGMA main.cache_size=-2000")
                dbapi.execute("PRAGMA shrink_memory")
            except DBAPI_ERRORS:
                pass
        progress.set_status(_("statistics"))
        try:   # one short transaction per table; no fsync for each (statistics are easily made again)
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute(f"PRAGMA analysis_limit = {ANALYSIS_LIMIT}")
            tables = [r[0] for r in cur.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite%' ORDER BY name")]
            for table in tables:
                t0 = time.monotonic()
                with conn.execution_options(begin="IMMEDIATE").begin():
                    cur.execute(f'ANALYZE main."{table}"')
                holds.append(time.monotonic() - t0)
        except (*DBAPI_ERRORS, SQLAlchemyError):
            pass  # the snapshot is saved; the statistics are refreshed by the next load
        finally:
            try:
                cur.execute("PRAGMA synchronous=FULL")
            except DBAPI_ERRORS:
                pass
    progress.set_status(_("saved in {n} short transactions; the longest held the store for {s:.2f} s").format(
        n=len(holds), s=max(holds)))
    return SnapshotResult(inspection_id, int(snapshot_id), version, counted, digests)


def _copy_in(conn, cur, table: str, snapshot_id: int, chunk: int, fixed: int | None, total: int | None,
             progress: Progress, holds: list[float], pacer: _Pacer) -> int:
    """Copy staging.stg_<table> into snap_<table> in key order, one short transaction per chunk
    (each one's time appended to `holds`).

    Returns the last chunk size (adapted to hold the lock about COPY_HOLD, at most doubling)."""
    cols = ", ".join(stored_columns(table))
    pk = primary_key(table)
    keys = ", ".join(pk)
    head = f"INSERT INTO snap_{table} (snapshot_id, {cols}) SELECT {snapshot_id}, {cols} FROM staging.stg_{table}"
    order = f"ORDER BY {keys} LIMIT ?"
    after = f"WHERE ({keys}) > ({', '.join('?' * len(pk))})" if len(pk) > 1 else f"WHERE {keys} > ?"
    desc = ", ".join(f"{k} DESC" for k in pk)
    last_sql = f"SELECT {keys} FROM snap_{table} WHERE snapshot_id = ? ORDER BY {desc} LIMIT 1"
    last: tuple | None = None
    done = 0
    progress.set_progress(table, 0, total)
    while True:
        progress.check()
        t0 = time.monotonic()
        with conn.execution_options(begin="IMMEDIATE").begin():
            if last is None:
                cur.execute(f"{head} {order}", (chunk,))
            else:
                cur.execute(f"{head} {after} {order}", (*last, chunk))
            n = cur.rowcount
            if n > 0:
                last = tuple(cur.execute(last_sql, (snapshot_id,)).fetchone())
        held = time.monotonic() - t0
        holds.append(held)
        done += max(n, 0)
        progress.set_progress(table, done, total)
        if n < chunk:
            pacer.held(held)
            break
        if fixed is None:
            chunk = max(500, min(_MAX_CHUNK, chunk * 2, int(chunk * COPY_HOLD / max(held, 1e-3))))
        _checkpoint(cur)
        pacer.held(held)
    return chunk


def _checkpoint(cur) -> None:
    """Copy the WAL into the store file as far as readers allow, holding no write lock (PASSIVE)."""
    try:
        cur.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
    except DBAPI_ERRORS:
        pass


def _publish(conn, cur, target: NewInspection | int, snapshot_id: int, source_kind: str, source: str,
             now: str) -> tuple[int, int]:
    """The tiny final step: the pending snapshot becomes its inspection's newest version."""
    if isinstance(target, NewInspection):
        fixmedins_code = target.fixmedins_code
    else:
        fixmedins_code = conn.execute(select(Inspection.fixmedins_code).where(Inspection.id == target)).scalar_one_or_none()
        if fixmedins_code is None:
            raise UserError(_("no inspection with id {id} in this store").format(id=target))
    name = cur.execute(
        "SELECT fixmedins_name FROM staging.stg_fixmedins WHERE fixmedins_code=?", (fixmedins_code,)
    ).fetchone()
    if name is None:
        raise UserError(_("institution {code} is not in the source").format(code=fixmedins_code))
    if isinstance(target, NewInspection):
        inspection_id = conn.execute(
            Inspection.__table__.insert().values(
                uid=str(uuid.uuid4()), fixmedins_code=target.fixmedins_code, fixmedins_name=name[0],
                date_from=target.date_from, date_to=target.date_to, visit_time=target.visit_time,
                status="synced", team=target.team, settings=target.settings or default_settings(),
                created_at=now,
            )
        ).inserted_primary_key[0]
    else:
        inspection_id = target
        conn.execute(Inspection.__table__.update().where(Inspection.id == inspection_id)
                     .values(fixmedins_name=name[0]))
    version = conn.execute(
        select(func.coalesce(func.max(Snapshot.version), 0)).where(Snapshot.inspection_id == inspection_id)
    ).scalar_one() + 1
    conn.execute(Snapshot.__table__.update().where(Snapshot.id == snapshot_id).values(
        inspection_id=inspection_id, version=version, source_kind=source_kind, source=source, synced_at=now))
    return int(inspection_id), int(version)


def _drop_snapshot_rows(conn, cur, snapshot_id: int, chunk: int = 20_000) -> None:
    """Delete a pending snapshot and its rows, in short transactions (never a published one)."""
    for table in SNAPSHOT_MODELS:
        while True:
            with conn.execution_options(begin="IMMEDIATE").begin():
                cur.execute(f"DELETE FROM snap_{table} WHERE rowid IN "
                            f"(SELECT rowid FROM snap_{table} WHERE snapshot_id = ? LIMIT ?)", (snapshot_id, chunk))
                n = cur.rowcount
            if n < chunk:
                break
            time.sleep(COPY_PAUSE)
    with conn.execution_options(begin="IMMEDIATE").begin():
        cur.execute("DELETE FROM snapshot WHERE id = ? AND inspection_id IS NULL", (snapshot_id,))


def drop_pending(engine: Engine) -> int:
    """Remove the pending snapshots that no live load is writing (left by a kill); their count.

    A pending snapshot names its load's staging file; a live load keeps that file flock()ed."""
    store = _store_path(engine)
    dropped = 0
    with engine.connect() as conn:
        pending = conn.execute(select(Snapshot.id, Snapshot.source).where(Snapshot.inspection_id.is_(None))).all()
        conn.rollback()
        cur = conn.connection.driver_connection.cursor()
        for sid, name in pending:
            if _staging_in_use(store.parent / str(name)):
                continue
            _drop_snapshot_rows(conn, cur, int(sid))
            dropped += 1
    return dropped


def _staging_in_use(path: Path) -> bool:
    try:
        with open(path, "rb") as f:
            try:
                fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                return True
    except OSError:
        return False
    return False


# Rows sampled per index by ANALYZE: enough for the planner's estimates, and ANALYZE of a
# store with millions of fee lines stays well under a second.
ANALYSIS_LIMIT = 2000


def refresh_statistics(cur) -> None:
    """Refresh the planner's statistics (sqlite_stat1) inside the caller's transaction.

    Screening pins its plans with INDEXED BY (see inspector/screening/plans.py), so it does
    not depend on them; every other query on the store (census roster, data browser) gets
    estimates that match the rows just written instead of a fresh store's guesses."""
    cur.execute(f"PRAGMA analysis_limit = {ANALYSIS_LIMIT}")
    cur.execute("ANALYZE main")


def digest_line_sql(table: str) -> str:
    """SQL text of one row's canonical line: SQLite's json_array() of the stored columns.

    json_array() is the fastest canonical form SQLite offers (about 4x quote()
    concatenation), exact for our values: text and integers only, no floats.
    """
    return f"json_array({', '.join(stored_columns(table))})"


def table_digest(cur, table: str, snapshot_id: int) -> str:
    """SHA-256 of a snapshot table in canonical form (see the module docstring)."""
    return _digest(cur, f"snap_{table}", table, snapshot_id)


def _digest(cur, relation: str, table: str, snapshot_id: int | None, codes: set[str] | None = None) -> str:
    """The table's digest; with `codes`, the table's med_list_codg values are added to it too."""
    order = ", ".join(primary_key(table))
    h = hashlib.sha256()
    where, params = ("WHERE snapshot_id=?", (snapshot_id,)) if snapshot_id is not None else ("", ())
    extra = ", med_list_codg" if codes is not None else ""
    cur.execute(f"SELECT {digest_line_sql(table)} || char(10){extra} FROM {relation} {where} ORDER BY {order}",
                params)
    while True:
        rows = cur.fetchmany(20000)
        if not rows:
            break
        h.update("".join([r[0] for r in rows]).encode("utf-8"))
        if codes is not None:
            codes.update([r[1] for r in rows])
    return h.hexdigest()


def latest_snapshot_id(conn_or_session, inspection_id: int) -> int | None:
    """The newest snapshot of an inspection (the one every check reads)."""
    return conn_or_session.execute(
        select(Snapshot.id)
        .where(Snapshot.inspection_id == inspection_id)
        .order_by(Snapshot.version.desc())
        .limit(1)
    ).scalar_one_or_none()
