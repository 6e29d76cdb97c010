"""`exchange import FILE`: merge a bundle, or join an inspection from a snapshot file.

Joining a laptop that has no store (or an empty one): the person joining names themself with
INSPECTOR_USER and INSPECTOR_PASSWORD_FILE as for any command, must be on the team the snapshot
file carries, and gives the bureau's CA certificate (`--trust CA.pem`) that the file's signature
is checked against. Their account is created on this laptop from their team entry, with their
own password (and the store with it, encrypted, when there was none); the other members become
accounts known by their certificates only. Then `account set-key` stores their own signing key.
"""
from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import Any

from cryptography import x509

from inspector.db import lock_store
from inspector.errors import UserError
from inspector.i18n import _
from inspector.outputs import fsync_path
from inspector.storecrypt import create_encrypted_store


def is_snapshot_file(path: Path) -> bool:
    """A snapshot file (encrypted: random bytes, or an unencrypted one of an earlier version), not a
    bundle. A bundle is a JSON object in UTF-8: it opens with `{`, ends with `}` and its first 4 KiB
    decode; random bytes pass all three about never. Only the ends are read (the bundle's import
    reads it whole)."""
    try:
        with open(path, "rb") as f:
            head = f.read(4096)
            f.seek(max(0, f.seek(0, 2) - 64))
            tail = f.read().rstrip()
    except OSError:
        return False
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start < len(head) - 3:      # not just a character cut at the 4 KiB edge
            return True
    return not (head.lstrip()[:1] == b"{" and tail.endswith(b"}"))


def _anchors(engine) -> list[x509.Certificate]:
    from inspector.signing.trust import anchor_certificates

    return [x509.load_der_x509_certificate(d) for d in anchor_certificates(engine)]


def import_file(args) -> dict[str, Any]:
    """The `exchange import` command: a bundle, or a snapshot file (joining)."""
    path = Path(args.file)
    if not path.is_file():
        raise UserError(_("cannot read {path}: {why}").format(path=path, why=_("no such file")))
    if is_snapshot_file(path):
        return _join(args, path)
    return _merge(args, path)


def _merge(args, path: Path) -> dict[str, Any]:
    from inspector.cli.common import authenticated, store
    from inspector.exchange.bundle import import_bundle

    engine = store(args)
    actor = authenticated(args, with_key=True)     # a bundle is sealed for the team: opened with your key
    r = import_bundle(engine, path, anchors=_anchors(engine), author=actor.login, reader=actor)
    message = (_("merged {added} new events of {n} from {who}'s bundle").format(added=r.added, n=r.events,
                                                                              who=r.sender_name or r.sender)
               if r.added else _("nothing new in {who}'s bundle: this laptop already had all {n} events")
               .format(who=r.sender_name or r.sender, n=r.events))
    return {"kind": "bundle", "message": message, **r.as_dict()}


def _join(args, path: Path) -> dict[str, Any]:
    from inspector.accounts import has_accounts
    from inspector.cli.common import authenticated, cached_credentials, store
    from inspector.db import default_store_path
    from inspector.exchange.people import joining_member, register_team
    from inspector.exchange.snapshot_file import import_snapshot, read_manifest
    from inspector.signing.trust import add_anchor

    import sys

    from inspector.progress import TextProgress

    code = _transfer_code(args)
    progress = TextProgress() if sys.stderr.isatty() else None     # the file's tables, on a terminal
    store_path = Path(args.db) if getattr(args, "db", None) else default_store_path()
    if not store_path.exists() or store_path.stat().st_size == 0:
        if not args.trust:
            raise UserError(_("joining a new laptop: give the bureau's CA certificate with --trust CA.pem"))
        login, password = cached_credentials(args)
        _engine, r, recovery = join_new_laptop(store_path, path, code, Path(args.trust), login, password, progress)
        return _joined(r, recovery)
    engine = store(args)
    with engine.connect() as conn:
        empty = not has_accounts(conn)
    if not empty:
        actor = authenticated(args)
        return _joined(join_with_account(engine, path, code, actor, Path(args.trust) if args.trust else None,
                                         progress), None)
    # a store made before any account (plain): the person's account is created in it
    login, password = cached_credentials(args)
    member = joining_member(read_manifest(path, code)[0]["team"], login)
    if args.trust:
        add_anchor(engine, Path(args.trust), actor=None)
    actor = _create_member_account(engine, member, password)
    r = import_snapshot(engine, path, code=code, anchors=_anchors(engine), author=actor.login,
                        register_team=register_team, progress=progress)
    return _joined(r, None)


def join_new_laptop(store_path: Path, snapshot: Path, code: str, trust: Path, login: str, password: str,
                    progress=None):
    """A laptop without accounts joins from a snapshot file (the CLI's `exchange import` on a new
    laptop, the GUI's first start): its store is created encrypted (an empty plain store there is
    replaced) with the person's account from their signed team entry and `password`, the CA at
    `trust` is added as its trust anchor, and the snapshot file is checked and imported. Returns
    (engine, result, recovery key).

    The new store is made in a private folder beside `store_path` and moved into place (with its
    key file) only once the join is complete: a refused, cancelled or killed join (SIGKILL, a
    battery that dies) leaves the laptop as it was, and the next join sweeps the folder away."""
    from inspector.accounts import check_password_policy, has_accounts
    from inspector.db import open_store
    from inspector.exchange.people import joining_member, register_team
    from inspector.exchange.snapshot_file import import_snapshot, read_manifest
    from inspector.keyslots import has_keyfile, keyfile_path
    from inspector.signing.trust import add_anchor
    from inspector.tempfiles import private_tempdir

    check_password_policy(password)
    manifest, _sig, _bundle = read_manifest(snapshot, code)
    member = joining_member(manifest["team"], login)
    if store_path.exists() and store_path.stat().st_size > 0:
        existing = open_store(store_path)
        try:
            with existing.connect() as conn:
                if has_accounts(conn):
                    raise UserError(_("this laptop already has accounts: log in, and import the snapshot file as "
                                      "one of them"))
                if conn.exec_driver_sql("SELECT count(*) FROM inspection").scalar():
                    raise UserError(_("this store already holds inspections: join from a store of its own"))
        finally:
            existing.dispose()
    elif has_keyfile(store_path):
        keyfile_path(store_path).unlink()        # a key file whose store never arrived (killed in the move)
    made_folder = not store_path.parent.exists()
    store_path.parent.mkdir(parents=True, exist_ok=True)
    try:
        with private_tempdir("joining", store_path.parent) as work:
            building = work / store_path.name
            engine, recovery = create_encrypted_store(building, member["login"], password)
            try:
                add_anchor(engine, Path(trust), actor=None)
                actor = _create_member_account(engine, member, password)
                r = import_snapshot(engine, snapshot, code=code, anchors=_anchors(engine), author=actor.login,
                                    register_team=register_team, progress=progress)
                engine = _move_into_place(engine, building, store_path)
            except BaseException:
                lock_store(path=building, engine=engine)     # the folder goes with its `with`
                raise
    except BaseException:
        if made_folder:
            with contextlib.suppress(OSError):
                store_path.parent.rmdir()        # the laptop's folder too, when this join made it
        raise
    return engine, r, recovery


def join_with_account(engine, snapshot: Path, code: str, actor, trust: Path | None = None, progress=None):
    """A laptop whose store has accounts joins another inspection (the CLI's `exchange import` as a
    logged-in account, the GUI's home screen): `actor` must be on the snapshot file's team; `trust`,
    when given, is added as a trust anchor first."""
    from inspector.exchange.people import joining_member, register_team
    from inspector.exchange.snapshot_file import import_snapshot, read_manifest
    from inspector.signing.trust import add_anchor

    manifest, _sig, _bundle = read_manifest(snapshot, code)
    joining_member(manifest["team"], actor.login)
    if trust is not None and not _trusted_already(engine, Path(trust)):
        add_anchor(engine, Path(trust), actor=actor)      # a new anchor: the team lead's to add
    return import_snapshot(engine, snapshot, code=code, anchors=_anchors(engine), author=actor.login,
                           register_team=register_team, progress=progress)


def _trusted_already(engine, ca: Path) -> bool:
    """Whether the CA certificate at `ca` is a trust anchor of the store already (naming it again is
    no change, which any member may make)."""
    from cryptography.hazmat.primitives import serialization

    from inspector.signing.trust import anchor_certificates, read_ca_certificate

    try:
        der = read_ca_certificate(ca.read_bytes(), str(ca)).public_bytes(serialization.Encoding.DER)
    except OSError:
        return False            # add_anchor says why it cannot be read
    return der in {bytes(d) for d in anchor_certificates(engine)}


def _transfer_code(args) -> str:
    """The snapshot file's transfer code: --code-file, else asked for on a terminal."""
    import sys

    from inspector.exchange.transfer_code import normalise, read_code_file

    if getattr(args, "code_file", None):
        code = read_code_file(args.code_file)
    elif sys.stdin.isatty():
        import getpass

        code = getpass.getpass(_("Transfer code of the snapshot file (shown to the person who exported it): "))
    else:
        raise UserError(_("joining from a snapshot file needs its transfer code, which the person who exported it "
                          "was shown: give it with --code-file FILE"))
    normalise(code)            # a clear message for a mistyped code, before anything is created
    return code


def _joined(r, recovery: str | None) -> dict[str, Any]:
    message = _("joined inspection {name} (id {id} on this laptop): {rows} rows checked against their digests, "
                "{added} events merged").format(name=r.fixmedins_name, id=r.inspection_id, rows=f"{r.rows:,}",
                                                added=r.events_added)
    if recovery:
        message += "\n" + _("The store of this laptop was created and encrypted. Its recovery key, shown only now; "
                            "write it down and keep it apart from the laptop:") + f"\n  {recovery}"
    return {"kind": "snapshot", "message": message, "inspection": r.inspection_id, "inspection_uid": r.inspection_uid,
            "rows": r.rows, "events_added": r.events_added, "recovery_key": recovery}


def _move_into_place(engine, building: Path, store_path: Path):
    """The joined store, complete, replaces what was at `store_path` (nothing, or an empty plain
    store): closed (SQLite folds its log into it), its files fsynced, the key file moved first and
    the store last, the folder fsynced. Returns the engine of the store in its place."""
    from inspector.db import StoreKey, engine_key, open_store, register_key
    from inspector.keyslots import keyfile_path

    key = engine_key(engine)
    raw = key.copy()
    try:
        lock_store(path=building, engine=engine)
        # a log left beside it (another connection kept it open) travels with the store
        carried = [(building.with_name(building.name + "-wal"), store_path.with_name(store_path.name + "-wal"))]
        carried = [(a, b) for a, b in carried if a.exists() and a.stat().st_size > 0]
        for f in (building, keyfile_path(building), *(a for a, _b in carried)):
            fsync_path(f)
        for suffix in ("-wal", "-shm", "-journal"):
            store_path.with_name(store_path.name + suffix).unlink(missing_ok=True)
        os.replace(keyfile_path(building), keyfile_path(store_path))
        for a, b in carried:
            os.replace(a, b)
        os.replace(building, store_path)
        fsync_path(store_path.parent)
        placed = StoreKey(raw)
        register_key(store_path, placed)
        return open_store(store_path, key=placed)
    finally:
        for i in range(len(raw)):
            raw[i] = 0




def _create_member_account(engine, member: dict[str, Any], password: str):
    from inspector.accounts import create_member_account

    return create_member_account(engine, member["login"], password, member["account_role"], member["cert_no"],
                                 member["display_name"], member["certificate"])
