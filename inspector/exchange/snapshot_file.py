"""Joining on site: an inspection's snapshot carried to a laptop that never reached the central.

`export_snapshot` writes one SQLite file holding the inspection (its uid, institution, window,
visit time, settings), the snapshot's rows of every contract table in the store's own table
layout (columns, key and indexes as the store declares them, rows in key order) with their row
counts and digests, the team with each member's certificate, and a bundle of every event so far;
the manifest is signed with the exporting account's key. `import_snapshot` checks the signature
and the certificate's trust anchor, recomputes every table's digest and row count from the file
in key order, compares them with the manifest and copies the rows in within the same transaction,
then merges the bundle (all in one transaction: a refusal leaves the store as it was).

Because the file's tables have the store's layout, both copies are SQLite's transfer
optimisation (records and index entries copied as they are, no row decoded or re-indexed)
whenever the source holds only this snapshot and the destination is empty: exporting from a store
that holds one snapshot, joining a laptop that holds none. Otherwise rows are copied one by one,
which gives the same file and the same store, more slowly.

The file holds patient data: it is encrypted whole (manifest included) with the key of a transfer
code shown once to the exporting person (`inspector.exchange.transfer_code`); without the code the
file is random bytes.
"""
from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import os
import re
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from cryptography import x509
from sqlalchemy import Engine

from inspector.db import DBAPI_ERRORS, cipher_connect, engine_key
from inspector.errors import UserError, cannot_write
from inspector.events import canonical_json
from inspector.exchange.bundle import (BundleError, _check_signature, chains_to_anchor, fingerprint, merge_bundle,
                                       sign_body, signed_bundle)
from inspector.exchange.transfer_code import attach_file, new_transfer_code, open_file
from inspector.i18n import _
from inspector.models import SNAPSHOT_MODELS
from inspector.progress import Progress
from inspector.snapshot import (digest_line_sql, latest_snapshot_id, primary_key, refresh_statistics,
                                stored_columns)

FORMAT = "inspector-snapshot/2"
_INSPECTION_COLS = ("uid", "fixmedins_code", "fixmedins_name", "date_from", "date_to", "visit_time", "settings",
                    "created_at")
_SNAPSHOT_COLS = ("version", "source_kind", "source", "source_sha256", "extract_id", "schema_version", "synced_at",
                  "row_counts", "digests")


@dataclass(frozen=True)
class SnapshotFileResult:
    path: str
    inspection_uid: str
    inspection_id: int
    fixmedins_name: str
    rows: int
    events_added: int
    transfer_code: str | None = None     # export: the code that opens the file, shown once


def export_snapshot(engine: Engine, inspection_id: int, out: Path, *, login: str, name: str, private_key,
                    certificate: x509.Certificate, team: list[dict[str, Any]],
                    progress: Progress | None = None,
                    session_from: tuple[tuple[str, str, int], ...] | None = None) -> SnapshotFileResult:
    """Write the inspection's snapshot file (see the module doc); `team` as `exchange.people.team_for_export`.

    The result carries the transfer code that opens the file: show it to the person exporting."""
    out = Path(out)
    code = new_transfer_code()
    part = out.with_name(out.name + ".part")
    try:
        part.unlink(missing_ok=True)
        out.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise cannot_write(out, exc) from None
    try:
        # the events so far, carried inside the file's own encryption (never written on their own)
        bundle_doc = signed_bundle(engine, inspection_id, login=login, name=name, private_key=private_key,
                                   certificate=certificate, session_from=session_from)[0].decode("utf-8")
        rows = 0
        with engine.connect() as conn:
            sid = latest_snapshot_id(conn, inspection_id)
            if sid is None:
                raise UserError(_("inspection {id} has no snapshot to share").format(id=inspection_id))
            ins = conn.exec_driver_sql(f"SELECT {', '.join(_INSPECTION_COLS)} FROM inspection WHERE id = ?",
                                       (inspection_id,)).first()
            snap = conn.exec_driver_sql(f"SELECT {', '.join(_SNAPSHOT_COLS)} FROM snapshot WHERE id = ?", (sid,)).first()
        # A connection of its own, always SQLCipher's (a plain store's own driver would ignore the
        # file's key and write it unencrypted), reading the store in one transaction; the file is
        # new and renamed into place only when complete: no rollback journal. Foreign keys stay off
        # on it: the file's tables name no snapshot table, and SQLite copies whole tables only so.
        src = _store_reader(engine)
        try:
            attach_file(src, part, code)
            src.execute("PRAGMA xfer.journal_mode = OFF")
            src.execute("BEGIN")
            # the store holds this snapshot only: each table is copied whole (the transfer optimisation)
            whole = src.execute("SELECT count(*) FROM main.snapshot").fetchone()[0] == 1
            for n, table in enumerate(SNAPSHOT_MODELS):
                if progress is not None:   # a cancel leaves no file
                    progress.set_progress(_("writing the snapshot's tables"), n, len(SNAPSHOT_MODELS))
                    progress.check()
                rows += _copy_out(src, table, sid, whole)
            manifest = {
                "format": FORMAT,
                "inspection": dict(zip(_INSPECTION_COLS, [_jsonable(v) for v in ins])),
                "snapshot": dict(zip(_SNAPSHOT_COLS, [_jsonable(v) for v in snap])),
                "snapshot_id": sid,      # the value the file's rows carry in snapshot_id
                "team": team,
                "sender": {"login": login, "name": name},
                "created_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            }
            signature = sign_body(manifest, private_key, certificate)
            src.execute("CREATE TABLE xfer.manifest (doc TEXT NOT NULL, signature TEXT NOT NULL, bundle TEXT NOT NULL)")
            src.execute("INSERT INTO xfer.manifest VALUES (?, ?, ?)",
                        (canonical_json(manifest), canonical_json(signature), bundle_doc))
            src.execute("COMMIT")
        except DBAPI_ERRORS as exc:
            failed = _write_failure(exc)
            if failed is None:
                raise
            raise cannot_write(out, failed) from None
        finally:
            src.close()
        os.replace(part, out)
    except OSError as exc:
        raise cannot_write(out, exc) from None
    finally:
        part.unlink(missing_ok=True)
    return SnapshotFileResult(str(out), manifest["inspection"]["uid"], inspection_id,
                              manifest["inspection"]["fixmedins_name"], rows, 0, code)


def _write_failure(exc: Exception) -> OSError | None:
    """The operating system's refusal behind SQLite's error while the file was written (a full or
    failing disk), or None for anything else."""
    text = str(exc).lower()
    if "disk is full" in text:
        return OSError(errno.ENOSPC, "disk full")
    if "disk i/o error" in text or "unable to open database" in text:
        return OSError(errno.EIO, "I/O error")
    return None


def _store_reader(engine: Engine):
    """A SQLCipher DB-API connection of its own on the store (keyed when the store is encrypted), in
    autocommit mode: the caller says BEGIN and COMMIT."""
    from inspector.db import BUSY_TIMEOUT_MS, engine_key, sqlcipher
    from inspector.storecrypt import store_path_of

    path, key = store_path_of(engine), engine_key(engine)
    con = cipher_connect(path, key) if key is not None else sqlcipher.connect(str(path))
    con.isolation_level = None
    con.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    return con


def _table_ddl(con, table: str) -> tuple[str, list[str]]:
    """The store's CREATE TABLE of snap_<table> and its CREATE INDEX statements, as the store declares them."""
    name = f"snap_{table}"
    ddl = con.execute("SELECT sql FROM main.sqlite_master WHERE type = 'table' AND name = ?", (name,)).fetchone()[0]
    indexes = [r[0] for r in con.execute(
        "SELECT sql FROM main.sqlite_master WHERE type = 'index' AND tbl_name = ? AND sql IS NOT NULL ORDER BY name",
        (name,))]
    return ddl, indexes


def _in_file(ddl: str, kind: str) -> str:
    """A CREATE TABLE/INDEX statement of the store made to create its object in the attached file
    (`xfer`); a table loses its foreign key (the file has no snapshot table)."""
    out = re.sub(rf"^CREATE {kind}\s+", f"CREATE {kind} xfer.", ddl.strip(), count=1)
    return re.sub(r",\s*FOREIGN KEY\s*\(\s*snapshot_id\s*\)\s*REFERENCES\s*\"?snapshot\"?\s*\(\s*id\s*\)", "", out)


def _copy_out(con, table: str, snapshot_id: int, whole: bool) -> int:
    """Copy one table's rows of the snapshot into the file, in the store's own layout.

    `whole` (the store holds this snapshot only): the indexes first, then one INSERT of the whole
    table, which SQLite does by copying records and index entries as they are. Otherwise the
    snapshot's rows in key order, and the indexes built after them."""
    ddl, indexes = _table_ddl(con, table)
    con.execute(_in_file(ddl, "TABLE"))
    if whole:
        for sql in indexes:
            con.execute(_in_file(sql, "INDEX"))
        return con.execute(f"INSERT INTO xfer.snap_{table} SELECT * FROM main.snap_{table}").rowcount
    n = con.execute(f"INSERT INTO xfer.snap_{table} SELECT * FROM main.snap_{table} WHERE snapshot_id = ? "
                    f"ORDER BY {', '.join(primary_key(table))}", (snapshot_id,)).rowcount
    for sql in indexes:
        con.execute(_in_file(sql, "INDEX"))
    return n


def _bad_fit(table: str) -> BundleError:
    return BundleError(_("the snapshot file's table {table} cannot be read: the file is damaged, or another version "
                         "of Inspector wrote it").format(table=table))


def _ordered_rows(table: str, schema: str) -> str:
    """The FROM clause reading the file's rows of `table` in key order (through its key, no sort),
    feeding each row's canonical line to the digest: `xfer_line` is the digest's own update(),
    which returns NULL, so `IS NULL` keeps every row, with no Python code of ours run per row."""
    line = f"xfer_line(CAST({digest_line_sql(table)} || char(10) AS BLOB))"
    return (f"FROM {schema}.snap_{table} WHERE snapshot_id = ? AND {line} IS NULL "
            f"ORDER BY {', '.join(primary_key(table))}")


def _require_key_order(con, sql: str, params: tuple, table: str) -> None:
    """Refuse the file when SQLite would sort to read it in key order: not a file this version wrote."""
    plan = " ".join(str(r[-1]) for r in con.execute(f"EXPLAIN QUERY PLAN {sql}", params))
    if "TEMP B-TREE" in plan.upper():
        raise _bad_fit(table)


def _copy_in(cur, table: str, snapshot_id: int, file_snapshot_id: int, snap: dict[str, Any]) -> int:
    """Check one table of the attached file and copy it into the store, in one transaction.

    When the file's rows already carry this store's snapshot id (`snapshot_id == file_snapshot_id`,
    a laptop joining with no snapshot under that id) the table is copied whole, records as they are
    (the transfer optimisation); its count and digest come from `_FileDigests`, which reads the same
    file meanwhile, and the caller compares them. Otherwise the rows are copied one by one under the
    new id, the digest taken of them in key order as they are read; a row count or digest other
    than the manifest's refuses the file (the caller's transaction then leaves the store as it
    was). The table's columns are the store's, with the same declared types, so what is stored is
    what was checked."""
    columns = ["snapshot_id", *stored_columns(table)]
    cols = ", ".join(stored_columns(table))
    sha = hashlib.sha256()
    try:
        cur.connection.create_function("xfer_line", 1, sha.update)
        if [(r[1], r[2].upper()) for r in cur.execute(f"PRAGMA xfer.table_info(snap_{table})")] != \
                [(r[1], r[2].upper()) for r in cur.execute(f"PRAGMA main.table_info(snap_{table})")] or \
                [r[1] for r in cur.execute(f"PRAGMA main.table_info(snap_{table})")] != columns:
            raise _bad_fit(table)
        if cur.execute(f"SELECT 1 FROM xfer.snap_{table} WHERE snapshot_id IS NOT ? LIMIT 1",
                       (file_snapshot_id,)).fetchone():
            raise _bad_fit(table)
        if snapshot_id == file_snapshot_id:
            return cur.execute(f"INSERT INTO main.snap_{table} SELECT * FROM xfer.snap_{table}").rowcount
        copy = f"INSERT INTO main.snap_{table} (snapshot_id, {cols}) SELECT ?, {cols} {_ordered_rows(table, 'xfer')}"
        params = (snapshot_id, file_snapshot_id)
        _require_key_order(cur, copy, params, table)
        n = cur.execute(copy, params).rowcount
    except DBAPI_ERRORS:
        raise _bad_fit(table) from None
    _check_table(table, n, sha.hexdigest(), snap)
    return n


def _check_table(table: str, n: int, digest: str, snap: dict[str, Any]) -> None:
    """A table's row count and digest, as read from the file, against the signed manifest's."""
    want_count = (snap["row_counts"] or {}).get(table)
    if want_count is not None and want_count != n:
        raise BundleError(_("table {table} holds {n} rows but the snapshot file says {m}: it was "
                            "altered or damaged").format(table=table, n=n, m=want_count))
    if digest != (snap["digests"] or {}).get(table):
        raise BundleError(_("table {table} does not match its digest: the snapshot file was altered "
                            "or damaged").format(table=table))


class _FileDigests:
    """Every table's row count and digest, computed from the file on a connection of its own in a
    thread of its own, while the store copies the same tables (SQLite releases the interpreter
    while it works: the two passes run side by side on two cores). Read in key order through each
    table's key (a plan that would sort refuses the file, as `_copy_in` does)."""

    def __init__(self, open_connection, file_snapshot_id: int) -> None:
        import threading

        self._open = open_connection
        self._sid = file_snapshot_id
        self.results: dict[str, tuple[int, str]] = {}
        self.error: BaseException | None = None
        self._con = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="snapshot-digests", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            self._con = self._open()
            for table in SNAPSHOT_MODELS:
                if self._stop.is_set():
                    return
                self.results[table] = _file_digest(self._con, table, self._sid)
        except BaseException as exc:          # delivered to the importing thread by `wait`
            self.error = exc
        finally:
            if self._con is not None:
                self._con.close()

    def stop(self) -> None:
        """Stop early (the import was refused or cancelled)."""
        self._stop.set()
        con = self._con
        if con is not None:
            try:
                con.interrupt()
            except DBAPI_ERRORS:
                pass
        self._thread.join()

    def wait(self) -> dict[str, tuple[int, str]]:
        self._thread.join()
        if self.error is not None:
            if isinstance(self.error, BundleError):
                raise self.error
            raise BundleError(_("the snapshot file cannot be read: it is damaged, or another version of Inspector "
                                "wrote it")) from None
        return self.results


def _file_digest(con, table: str, file_snapshot_id: int) -> tuple[int, str]:
    """The row count and digest of one table of the file (its main database), rows in key order;
    LIMIT -1 keeps the ordered subquery as it is (not flattened into the count)."""
    sha = hashlib.sha256()
    con.create_function("xfer_line", 1, sha.update)
    sql = f"SELECT count(*) FROM (SELECT 1 {_ordered_rows(table, 'main')} LIMIT -1)"
    _require_key_order(con, sql, (file_snapshot_id,), table)
    n = con.execute(sql, (file_snapshot_id,)).fetchone()[0]
    return int(n), sha.hexdigest()


# While a snapshot file's rows are copied in: a rollback journal instead of the WAL (rows
# appended to the store are written once, not to the WAL and again at the checkpoint; the
# store stays crash-safe) and a 64 MB page cache; both back to the store's own afterwards.
# When another connection holds the store the journal cannot change and the WAL is used.
_BULK_CACHE_KIB = 65536


def _bulk_load(conn) -> str:
    dbapi = conn.connection.driver_connection
    dbapi.execute(f"PRAGMA main.cache_size = -{_BULK_CACHE_KIB}")
    try:
        return str(dbapi.execute("PRAGMA main.journal_mode = DELETE").fetchone()[0]).lower()
    except DBAPI_ERRORS:
        return "wal"


def _end_bulk_load(conn, journal: str) -> None:
    dbapi = conn.connection.driver_connection
    try:
        dbapi.execute("PRAGMA main.cache_size = -2000")
        if journal != "wal":
            dbapi.execute("PRAGMA main.journal_mode = WAL")
    except DBAPI_ERRORS:
        pass     # the next connection opening the store sets the WAL again (inspector.db)


def _damaged(path: Path) -> BundleError:
    return BundleError(_("{path} is not an Inspector snapshot file, or it is damaged or cut short").format(path=path))


def _decrypt(path: Path, code: str, out: Path) -> None:
    """A plain copy of the snapshot file at `out` (every page's HMAC checked on the way)."""
    con = open_file(path, code)
    try:
        con.execute("ATTACH DATABASE ? AS plain KEY ''", (str(out),))
        con.execute("SELECT sqlcipher_export('plain')").fetchall()
        con.execute("DETACH DATABASE plain")
    except DBAPI_ERRORS:
        raise _damaged(path) from None
    finally:
        con.close()


def _detach(conn) -> None:
    conn.commit()
    conn.connection.driver_connection.execute("DETACH DATABASE xfer")


def _jsonable(v: Any) -> Any:
    if isinstance(v, (datetime,)):
        return v.isoformat(sep=" ")
    if hasattr(v, "isoformat"):
        return v.isoformat()
    if isinstance(v, str) and v[:1] in "{[":
        try:
            return json.loads(v)
        except ValueError:
            return v
    return v


SQLITE_MAGIC = b"SQLite format 3\x00"


def read_manifest(path: Path, code: str) -> tuple[dict[str, Any], dict[str, Any], str]:
    """The signed manifest, its signature and the embedded bundle, read with the file's transfer
    code; a clear refusal for anything else."""
    path = Path(path)
    if not path.is_file():
        raise BundleError(_("cannot read {path}: {why}").format(path=path, why=_("no such file")))
    with open(path, "rb") as f:
        if f.read(16) == SQLITE_MAGIC:
            raise BundleError(_("{path} was written by an earlier version of Inspector, unencrypted: export it again "
                                "with this version").format(path=path))
    try:
        con = open_file(f"file:{path}?mode=ro", code, uri=True)
        try:
            row = con.execute("SELECT doc, signature, bundle FROM manifest").fetchone()
        finally:
            con.close()
    except DBAPI_ERRORS:
        raise BundleError(_("the transfer code does not open {path}: check the code with the person who exported "
                            "the file (or the file is damaged)").format(path=path)) from None
    try:
        manifest, signature = json.loads(row[0]), json.loads(row[1])
    except (TypeError, ValueError):
        raise _damaged(path) from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise _damaged(path)
    sid = manifest.get("snapshot_id")
    if not isinstance(sid, int) or isinstance(sid, bool) or sid <= 0:
        raise _damaged(path)
    return manifest, signature, row[2]


def import_snapshot(engine: Engine, path: Path, *, code: str, anchors: list[x509.Certificate], author: str,
                    register_team, progress: Progress | None = None) -> SnapshotFileResult:
    """Join the inspection of a snapshot file (see the module doc).

    `register_team(conn, team)` makes the team's accounts known to this store (certificates only;
    each person keeps logging in with their own password on their own laptop)."""
    path = Path(path)
    manifest, signature, bundle_doc = read_manifest(path, code)
    cert = _check_signature(manifest, signature)
    if not anchors:
        raise BundleError(_("no trust anchor is configured in this store: add the bureau's CA certificate first"))
    if not chains_to_anchor(cert, anchors, datetime.fromisoformat(manifest["created_at"])):
        raise BundleError(_("the snapshot file was signed with a certificate that does not chain to a trust anchor of "
                            "this store, or that was not valid when it signed"))
    sender = manifest["sender"]
    fp = fingerprint(cert)
    if not any(m.get("login") == sender.get("login") and m.get("fingerprint") == fp for m in manifest["team"]):
        raise BundleError(_("the snapshot file was signed by {who}, who is not on its team with that certificate")
                          .format(who=sender.get("name") or sender.get("login")))
    ins, snap = manifest["inspection"], manifest["snapshot"]
    rows = 0
    with engine.connect() as conn:
        if conn.exec_driver_sql("SELECT 1 FROM inspection WHERE uid = ?", (ins["uid"],)).first():
            raise BundleError(_("this laptop already holds inspection {name} ({uid}); exchange bundles instead")
                              .format(name=ins["fixmedins_name"], uid=ins["uid"][:8]))
        plain_copy = contextlib.ExitStack()
        with plain_copy:
            if engine_key(engine) is not None:      # an encrypted store: SQLCipher attaches the file itself
                conn.commit()
                attach_file(conn.connection.driver_connection, path, code)

                def reader():
                    return open_file(f"file:{path}?mode=ro", code, uri=True)
            else:
                # a plain store (its driver cannot open an encrypted file): the file decrypted next to
                # it into a private folder that goes when the join ends; no more readable than the store
                from inspector.storecrypt import store_path_of
                from inspector.tempfiles import private_tempdir

                folder = plain_copy.enter_context(private_tempdir("join", store_path_of(engine).parent))
                _decrypt(path, code, folder / "snapshot.db")
                conn.commit()
                conn.connection.driver_connection.execute("ATTACH DATABASE ? AS xfer", (str(folder / "snapshot.db"),))

                def reader(plain=folder / "snapshot.db"):
                    import sqlite3

                    return sqlite3.connect(f"file:{plain}?mode=ro", uri=True)
            plain_copy = plain_copy.pop_all()   # the folder stays until the copy below is done
        journal = _bulk_load(conn)
        dbapi = conn.connection.driver_connection
        dbapi.execute("PRAGMA foreign_keys = OFF")     # see _copy_in; every row's snapshot id is checked there
        try:
            with conn.begin():
                iid = conn.exec_driver_sql(
                    "INSERT INTO inspection (uid, fixmedins_code, fixmedins_name, date_from, date_to, visit_time, status, "
                    "team, settings, created_at) VALUES (?, ?, ?, ?, ?, ?, 'synced', '[]', ?, ?)",
                    (ins["uid"], ins["fixmedins_code"], ins["fixmedins_name"], ins["date_from"], ins["date_to"],
                     ins["visit_time"], canonical_json(ins["settings"]), ins["created_at"])).lastrowid
                # the snapshot takes the id the file's rows carry when it is free here (a laptop that
                # joins holds no snapshot yet): the rows are then copied as they are
                file_sid = manifest["snapshot_id"]
                free = conn.exec_driver_sql("SELECT 1 FROM snapshot WHERE id = ?", (file_sid,)).first() is None
                sid = conn.exec_driver_sql(
                    "INSERT INTO snapshot (id, inspection_id, version, source_kind, source, source_sha256, extract_id, "
                    "schema_version, synced_at, row_counts, digests) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (file_sid if free else None, iid, snap["version"], snap["source_kind"], snap["source"],
                     snap["source_sha256"], snap["extract_id"], snap["schema_version"], snap["synced_at"],
                     canonical_json(snap["row_counts"]), canonical_json(snap["digests"]))).lastrowid
                cur = dbapi.cursor()
                # whole tables copied as they are: their counts and digests are read from the file by
                # a second reader meanwhile (`_FileDigests`), then compared before anything commits
                apart = _FileDigests(reader, file_sid) if sid == file_sid else None
                try:
                    copied: dict[str, int] = {}
                    for n, table in enumerate(SNAPSHOT_MODELS):
                        if progress is not None:   # a cancel rolls the whole join back
                            progress.set_progress(_("checking and copying the snapshot's tables"), n,
                                                  len(SNAPSHOT_MODELS))
                            progress.check()
                        copied[table] = _copy_in(cur, table, sid, file_sid, snap)
                        rows += copied[table]
                    if apart is not None:
                        read = apart.wait()
                        for table in SNAPSHOT_MODELS:
                            n_file, digest = read.get(table, (-1, ""))
                            if n_file != copied[table]:
                                raise _bad_fit(table)
                            _check_table(table, n_file, digest, snap)
                finally:
                    if apart is not None:
                        apart.stop()
                if progress is not None:
                    progress.set_progress(_("checking and copying the snapshot's tables"), len(SNAPSHOT_MODELS),
                                          len(SNAPSHOT_MODELS))
                refresh_statistics(cur)
                register_team(conn, manifest["team"])
                # the events so far, a bundle of their own, checked and merged like any other
                try:
                    bundle = json.loads(bundle_doc)
                except ValueError:
                    raise _damaged(path) from None
                team = {m["login"]: (m["display_name"], m["fingerprint"]) for m in manifest["team"]}
                merged = merge_bundle(conn, bundle, hashlib.sha256(bundle_doc.encode("utf-8")).hexdigest(), str(path),
                                      anchors=anchors, author=author, team=team)
        finally:
            _detach(conn)
            dbapi.execute("PRAGMA foreign_keys = ON")
            _end_bulk_load(conn, journal)
            plain_copy.close()
    return SnapshotFileResult(str(path), ins["uid"], iid, ins["fixmedins_name"], rows, merged.added)
