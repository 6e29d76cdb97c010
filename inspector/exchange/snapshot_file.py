"""Joining on site: an inspection's snapshot carried to a laptop that never reached the central.

`export_snapshot` writes one SQLite file holding the inspection (its uid, institution, window,
visit time, settings), the snapshot's rows of every contract table with their row counts and
digests (each table WITHOUT ROWID, clustered on its key and written in key order), the team with
each member's certificate, and a bundle of every event so far; the manifest is signed with the
exporting account's key. `import_snapshot` checks the signature and the certificate's trust
anchor, copies every table's rows in while recomputing its digest and row count in the same pass
(the file read front to back, no sort), compares them with the manifest, then merges the bundle
(all in one transaction: a refusal leaves the store as it was). The file holds patient data: it
goes only where the user chose.
"""
from __future__ import annotations

import hashlib
import json
import os
import sqlite3
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from cryptography import x509
from sqlalchemy import Engine

from inspector.db import DBAPI_ERRORS
from inspector.errors import UserError
from inspector.events import canonical_json
from inspector.exchange.bundle import (BundleError, _check_signature, chains_to_anchor, export_bundle, fingerprint,
                                       merge_bundle, sign_body)
from inspector.i18n import _
from inspector.models import SNAPSHOT_MODELS
from inspector.snapshot import (digest_line_sql, latest_snapshot_id, primary_key, refresh_statistics,
                                stored_columns)

FORMAT = "inspector-snapshot/1"
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


def export_snapshot(engine: Engine, inspection_id: int, out: Path, *, login: str, name: str, private_key,
                    certificate: x509.Certificate, team: list[dict[str, Any]]) -> SnapshotFileResult:
    """Write the inspection's snapshot file (see the module doc); `team` as `exchange.people.team_for_export`."""
    out = Path(out)
    part = out.with_name(out.name + ".part")
    bundle_part = out.with_name(out.name + ".bundle.part")
    for p in (part, bundle_part):
        p.unlink(missing_ok=True)
    try:
        export_bundle(engine, inspection_id, bundle_part, login=login, name=name, private_key=private_key,
                      certificate=certificate)
        bundle_doc = bundle_part.read_text(encoding="utf-8")
        rows = 0
        with engine.connect() as conn:
            sid = latest_snapshot_id(conn, inspection_id)
            if sid is None:
                raise UserError(_("inspection {id} has no snapshot to share").format(id=inspection_id))
            ins = conn.exec_driver_sql(f"SELECT {', '.join(_INSPECTION_COLS)} FROM inspection WHERE id = ?",
                                       (inspection_id,)).first()
            snap = conn.exec_driver_sql(f"SELECT {', '.join(_SNAPSHOT_COLS)} FROM snapshot WHERE id = ?", (sid,)).first()
            _attach(conn, str(part))
            # a new file, renamed into place only when complete: no rollback journal needed
            conn.connection.driver_connection.execute("PRAGMA xfer.journal_mode = OFF")
            try:
                with conn.begin():
                    for table in SNAPSHOT_MODELS:
                        rows += _copy_out(conn, table, sid)
                    manifest = {
                        "format": FORMAT,
                        "inspection": dict(zip(_INSPECTION_COLS, [_jsonable(v) for v in ins])),
                        "snapshot": dict(zip(_SNAPSHOT_COLS, [_jsonable(v) for v in snap])),
                        "team": team,
                        "sender": {"login": login, "name": name},
                        "created_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
                    }
                    signature = sign_body(manifest, private_key, certificate)
                    conn.exec_driver_sql("CREATE TABLE xfer.manifest (doc TEXT NOT NULL, signature TEXT NOT NULL, "
                                         "bundle TEXT NOT NULL)")
                    conn.exec_driver_sql("INSERT INTO xfer.manifest VALUES (?, ?, ?)",
                                         (canonical_json(manifest), canonical_json(signature), bundle_doc))
            finally:
                _detach(conn)
        os.replace(part, out)
    finally:
        part.unlink(missing_ok=True)
        bundle_part.unlink(missing_ok=True)
    return SnapshotFileResult(str(out), manifest["inspection"]["uid"], inspection_id,
                              manifest["inspection"]["fixmedins_name"], rows, 0)


def _copy_out(conn, table: str, snapshot_id: int) -> int:
    """Copy one table's rows of the snapshot into the file: a WITHOUT ROWID table clustered on the
    table's key (the columns with the store's declared types), filled in key order, so that the
    digest on arrival reads it front to back with no sort."""
    info = [r for r in conn.exec_driver_sql(f"PRAGMA main.table_info(snap_{table})") if r[1] != "snapshot_id"]
    key = primary_key(table)
    decl = ", ".join(f"{name} {ctype}" for _cid, name, ctype, *_rest in info)
    cols = ", ".join(r[1] for r in info)
    conn.exec_driver_sql(f"CREATE TABLE xfer.snap_{table} ({decl}, PRIMARY KEY ({', '.join(key)})) WITHOUT ROWID")
    return conn.exec_driver_sql(f"INSERT INTO xfer.snap_{table} ({cols}) SELECT {cols} FROM main.snap_{table} "
                                f"WHERE snapshot_id = ? ORDER BY {', '.join(key)}", (snapshot_id,)).rowcount


def _copy_in(cur, table: str, snapshot_id: int, snap: dict[str, Any]) -> int:
    """Copy one table of the attached file into the store and check it on the way, in one pass:
    each row's canonical line goes to the digest as the row is read (the file's table is
    clustered on its key, so it is read in key order with no sort); a row count or digest other
    than the manifest's refuses the file (the caller's transaction then leaves the store as it
    was). The store's columns have the types the digest saw, so what is stored is what was checked."""
    bad_fit = _("the snapshot file's table {table} cannot be read: the file is damaged, or another version of Inspector "
                "wrote it").format(table=table)
    cols = ", ".join(stored_columns(table))
    # xfer_line is the digest's own update(): fed each row's line as UTF-8 bytes, it returns
    # NULL, so `IS NULL` keeps every row, with no Python code run per row.
    select = (f"SELECT ?, {cols} FROM xfer.snap_{table} "
              f"WHERE xfer_line(CAST({digest_line_sql(table)} || char(10) AS BLOB)) IS NULL "
              f"ORDER BY {', '.join(primary_key(table))}")
    sha = hashlib.sha256()
    try:
        cur.connection.create_function("xfer_line", 1, sha.update)
        plan = " ".join(str(r[-1]) for r in cur.execute(f"EXPLAIN QUERY PLAN {select}", (snapshot_id,)))
        if "TEMP B-TREE" in plan.upper():     # not in key order: not a file this version wrote
            raise BundleError(bad_fit)
        n = cur.execute(f"INSERT INTO main.snap_{table} (snapshot_id, {cols}) {select}", (snapshot_id,)).rowcount
    except DBAPI_ERRORS:
        raise BundleError(bad_fit) from None
    want_count = (snap["row_counts"] or {}).get(table)
    if want_count is not None and want_count != n:
        raise BundleError(_("table {table} holds {n} rows but the snapshot file says {m}: it was "
                            "altered or damaged").format(table=table, n=n, m=want_count))
    if sha.hexdigest() != (snap["digests"] or {}).get(table):
        raise BundleError(_("table {table} does not match its digest: the snapshot file was altered "
                            "or damaged").format(table=table))
    return n


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


def _attach(conn, path: str) -> None:
    """Attach the transfer file as `xfer`, outside any transaction, unencrypted (KEY '')."""
    conn.commit()  # end the transaction the reads before began
    conn.connection.driver_connection.execute("ATTACH DATABASE ? AS xfer KEY ''", (path,))


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


def read_manifest(path: Path) -> tuple[dict[str, Any], dict[str, Any], str]:
    """The signed manifest, its signature and the embedded bundle; a clear refusal for anything else."""
    path = Path(path)
    bad = _("{path} is not an Inspector snapshot file, or it is damaged or cut short").format(path=path)
    if not path.is_file():
        raise BundleError(_("cannot read {path}: {why}").format(path=path, why=_("no such file")))
    try:
        con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            row = con.execute("SELECT doc, signature, bundle FROM manifest").fetchone()
        finally:
            con.close()
        manifest, signature = json.loads(row[0]), json.loads(row[1])
    except (sqlite3.Error, TypeError, ValueError):
        raise BundleError(bad) from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BundleError(bad)
    return manifest, signature, row[2]


def import_snapshot(engine: Engine, path: Path, *, anchors: list[x509.Certificate], author: str,
                    register_team) -> SnapshotFileResult:
    """Join the inspection of a snapshot file (see the module doc).

    `register_team(conn, team)` makes the team's accounts known to this store (certificates only;
    each person keeps logging in with their own password on their own laptop)."""
    path = Path(path)
    manifest, signature, bundle_doc = read_manifest(path)
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
        _attach(conn, str(path))
        journal = _bulk_load(conn)
        try:
            with conn.begin():
                iid = conn.exec_driver_sql(
                    "INSERT INTO inspection (uid, fixmedins_code, fixmedins_name, date_from, date_to, visit_time, status, "
                    "team, settings, created_at) VALUES (?, ?, ?, ?, ?, ?, 'synced', '[]', ?, ?)",
                    (ins["uid"], ins["fixmedins_code"], ins["fixmedins_name"], ins["date_from"], ins["date_to"],
                     ins["visit_time"], canonical_json(ins["settings"]), ins["created_at"])).lastrowid
                sid = conn.exec_driver_sql(
                    "INSERT INTO snapshot (inspection_id, version, source_kind, source, source_sha256, extract_id, "
                    "schema_version, synced_at, row_counts, digests) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (iid, snap["version"], snap["source_kind"], snap["source"], snap["source_sha256"], snap["extract_id"],
                     snap["schema_version"], snap["synced_at"], canonical_json(snap["row_counts"]),
                     canonical_json(snap["digests"]))).lastrowid
                cur = conn.connection.driver_connection.cursor()
                for table in SNAPSHOT_MODELS:
                    rows += _copy_in(cur, table, sid, snap)
                refresh_statistics(cur)
                register_team(conn, manifest["team"])
                # the events so far, a bundle of their own, checked and merged like any other
                try:
                    bundle = json.loads(bundle_doc)
                except ValueError:
                    raise BundleError(_("{path} is not an Inspector snapshot file, or it is damaged or cut short")
                                      .format(path=path)) from None
                team = {m["login"]: (m["display_name"], m["fingerprint"]) for m in manifest["team"]}
                merged = merge_bundle(conn, bundle, hashlib.sha256(bundle_doc.encode("utf-8")).hexdigest(), str(path),
                                      anchors=anchors, author=author, team=team)
        finally:
            _detach(conn)
            _end_bulk_load(conn, journal)
    return SnapshotFileResult(str(path), ins["uid"], iid, ins["fixmedins_name"], rows, merged.added)
