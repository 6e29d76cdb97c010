"""The encrypted store: creating it, unlocking it, converting a plain store, recovering it.

How the store is opened (every caller goes through one of these):

- `create_encrypted_store(path, login, password)` -> (engine, recovery_key): a new store
  (or a plain one converted) with a fresh random store key, the key file beside it with
  `login`'s slot and the recovery slot. The recovery key is returned once, to be shown.
- `unlock_store(path, login, password)` -> engine: the store key unwrapped from `login`'s
  slot (Argon2id + AES-GCM, `inspector.keyslots`), the SQLCipher store opened with it and
  the key registered for this process, so `inspector.db.open_store(path)` works after it.
- `unlock_with_recovery(path, recovery_key)` -> engine: the same through the recovery slot.
- `inspector.db.open_store(path, key=...)`: the core API with an explicit key (tests).
- `inspector.db.lock_store(path=..., engine=...)`: dispose the engine, wipe the key.

Converting a plain store (`encrypt_store`) never risks it: the encrypted copy is written to
`<store>.encrypting` with `sqlcipher_export`, closed, reopened with the key and checked
(`PRAGMA integrity_check`, row counts of every table equal to the plain one's), fsynced,
then swapped in with `os.replace` and the directory fsynced. Killed at any point, the store
is either the plain original (the half-written copy is discarded next time) or the checked
encrypted copy; the key file is written before the swap, so an encrypted store always has it.
"""
from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import Engine

from inspector.db import (
    StoreError,
    StoreKey,
    cipher_connect,
    is_encrypted_file,
    open_store,
    register_key,
)
from inspector.errors import UserError
from inspector.i18n import _
from inspector.outputs import fsync_path
from inspector import keyslots

ENCRYPTING_SUFFIX = ".encrypting"


def _sidecars(p: Path) -> list[Path]:
    return [p.with_name(p.name + s) for s in ("-wal", "-shm", "-journal")]


def _table_counts(con) -> dict[str, int]:
    names = [r[0] for r in con.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")]
    return {n: con.execute(f'SELECT count(*) FROM "{n}"').fetchone()[0] for n in names}




def discard_partial_conversion(path: Path | str) -> None:
    """Remove what an interrupted conversion left (`<store>.encrypting`), never the store itself."""
    p = Path(path)
    tmp = p.with_name(p.name + ENCRYPTING_SUFFIX)
    for f in [tmp, *_sidecars(tmp)]:
        f.unlink(missing_ok=True)


def encrypt_store(path: Path | str, key: StoreKey) -> None:
    """Convert the plain store at `path` into a SQLCipher store with `key`, safely (see module doc)."""
    from inspector.db import sqlcipher

    p = Path(path)
    if is_encrypted_file(p):
        raise StoreError(_("{path} is already encrypted; it was not changed").format(path=p))
    discard_partial_conversion(p)
    tmp = p.with_name(p.name + ENCRYPTING_SUFFIX)
    # sqlcipher3 opens a plain SQLite file as it is (no key); it sees the WAL's content too.
    src = sqlcipher.connect(str(p), isolation_level=None)
    try:
        src.execute("PRAGMA busy_timeout=15000")
        src.execute("PRAGMA temp_store=MEMORY")
        # Leave WAL mode first: the log is folded into the file and removed, so no plain -wal can
        # ever sit beside the encrypted file (SQLite would replay it). Needs the store to ourselves.
        if src.execute("PRAGMA journal_mode=DELETE").fetchone()[0].lower() != "delete":
            raise StoreError(_("{path} is in use by another window or command: close it, then try again; "
                               "nothing was changed").format(path=p))
        src.execute(f"ATTACH DATABASE ? AS encrypted KEY {key.sql_literal()}", (str(tmp),))
        src.execute("BEGIN IMMEDIATE")
        src.execute("SELECT sqlcipher_export('encrypted')")
        version = src.execute("PRAGMA main.user_version").fetchone()[0]
        src.execute(f"PRAGMA encrypted.user_version = {int(version)}")
        src.execute("COMMIT")
        # hold the write lock from here to the swap: nothing can change the plain store meanwhile
        src.execute("BEGIN IMMEDIATE")
        before = _table_counts(src)
        # check the copy on its own connection, as it will be opened
        chk = cipher_connect(tmp, key, isolation_level=None)
        try:
            ok = chk.execute("PRAGMA integrity_check").fetchone()[0]
            after = _table_counts(chk)
        finally:
            chk.close()
        if ok != "ok" or after != before:
            raise StoreError(_("converting {path} failed its check ({why}); the plain store was kept unchanged")
                             .format(path=p, why=ok if ok != "ok" else "row counts differ"))
        fsync_path(tmp)
        for f in _sidecars(tmp):
            f.unlink(missing_ok=True)
        os.replace(tmp, p)
        keyslots.fsync_dir(p.parent)
    except BaseException:
        src.close()
        discard_partial_conversion(p)
        raise
    # the old plain file is gone (replaced); it had no -wal (rollback-journal mode, nothing written)
    src.execute("ROLLBACK")
    src.close()
    for f in _sidecars(p):
        f.unlink(missing_ok=True)


def create_encrypted_store(path: Path | str, login: str, password: str, *,
                           params: dict[str, int] | None = None) -> tuple[Engine, str]:
    """A new encrypted store for its first account (a plain store at `path` is converted).

    Returns the engine and the recovery key, which the caller shows once."""
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    if keyslots.has_keyfile(p) and is_encrypted_file(p):
        raise UserError(_("{path} is already an encrypted store with its keys").format(path=p))
    if keyslots.has_keyfile(p) and not is_encrypted_file(p):
        # a conversion that stopped before its swap: its key file stands, but the key is unknown here
        # unless this login's password opens it; then the conversion is finished with it.
        key = StoreKey(keyslots.unwrap_with_password(p, login, password))
        encrypt_store(p, key)
        register_key(p, key)
        return open_store(p, key=key), ""
    raw = keyslots.new_store_key()
    key = StoreKey(raw)
    keyslots.wipe(raw)
    recovery = keyslots.create_keyfile(p, key._buf, login, password, params=params)
    if p.exists() and p.stat().st_size > 0:
        encrypt_store(p, key)
    else:
        for f in _sidecars(p):
            f.unlink(missing_ok=True)
    engine = open_store(p, key=key)
    register_key(p, key)
    return engine, recovery


def finish_interrupted_conversion(path: Path | str, key: StoreKey) -> None:
    """A plain store with a key file: a conversion was killed before its swap; finish it."""
    p = Path(path)
    if keyslots.has_keyfile(p) and p.exists() and not is_encrypted_file(p) and p.stat().st_size > 0:
        encrypt_store(p, key)


def unlock_store(path: Path | str, login: str, password: str) -> Engine:
    """Unwrap the store key from `login`'s slot, open the store with it and register it."""
    p = Path(path)
    raw = keyslots.unwrap_with_password(p, login, password)
    key = StoreKey(raw)
    keyslots.wipe(raw)
    finish_interrupted_conversion(p, key)
    engine = open_store(p, key=key)
    register_key(p, key)
    return engine


def unlock_with_recovery(path: Path | str, recovery_key: str) -> Engine:
    """Open the store with the recovery key (every password lost); registers the key."""
    p = Path(path)
    raw = keyslots.unwrap_with_recovery(p, recovery_key)
    key = StoreKey(raw)
    keyslots.wipe(raw)
    finish_interrupted_conversion(p, key)
    engine = open_store(p, key=key)
    register_key(p, key)
    return engine


def store_key_of(engine: Engine) -> StoreKey:
    """The key of an unlocked encrypted store's engine (to wrap it for a new account)."""
    from inspector.db import _ENGINE_KEYS

    key = _ENGINE_KEYS.get(engine)
    if key is None or key.wiped:
        raise StoreError(_("the store is not unlocked"))
    return key


def add_account_key(engine: Engine, path: Path | str, login: str, password: str, *,
                    params: dict[str, int] | None = None) -> None:
    """Give `login` a key slot (its password opens the store): for a new account or a new password."""
    buf = store_key_of(engine).copy()
    try:
        keyslots.add_account_slot(path, buf, login, password, params=params)
    finally:
        keyslots.wipe(buf)


def new_recovery_key(engine: Engine, path: Path | str, *, params: dict[str, int] | None = None) -> str:
    buf = store_key_of(engine).copy()
    try:
        return keyslots.replace_recovery_slot(path, buf, params=params)
    finally:
        keyslots.wipe(buf)


def needs_unlock(path: Path | str) -> bool:
    """Whether opening the store at `path` needs a login: it is encrypted, or has a key file."""
    p = Path(path)
    return is_encrypted_file(p) or keyslots.has_keyfile(p)


def open_with_credentials(path: Path | str, credentials: Callable[[], tuple[str, str]]) -> Engine:
    """The CLI's and GUI's way in: a plain store opens as it is; an encrypted one already unlocked
    in this process opens with its key; otherwise `credentials()` gives (login, password) and the
    store key is unwrapped from that login's slot (`unlock_store`)."""
    from inspector.db import registered_key

    p = Path(path)
    if not needs_unlock(p) or (is_encrypted_file(p) and registered_key(p) is not None):
        return open_store(p)
    login, password = credentials()
    return unlock_store(p, login, password)


def relock(engine: Engine) -> None:
    """The idle lock: close every connection of `engine` and overwrite its key in memory.

    The engine object stays (windows keep it); it cannot connect until `reunlock`."""
    from inspector.db import lock_store

    lock_store(engine=engine)


def reunlock(engine: Engine, path: Path | str, login: str, password: str) -> None:
    """Unlock a locked engine again: the key derived anew from `login`'s password into the same engine."""
    from inspector.db import _ENGINE_KEYS

    key = _ENGINE_KEYS.get(engine)
    if key is None:
        return  # a plain store has no key to restore
    raw = keyslots.unwrap_with_password(path, login, password)
    try:
        key.restore(raw)
    finally:
        keyslots.wipe(raw)
    engine.dispose()
    finish_interrupted_conversion(path, key)
    open_store(path, key=key).dispose()  # migrates a store from an older version, if need be
    register_key(path, key)


def store_path_of(engine: Engine) -> Path:
    db = engine.url.database
    if not db or db == ":memory:":
        raise StoreError("the store is not a file")
    return Path(db)


def ensure_account_slot(engine: Engine, login: str, password: str, *, replace: bool = False) -> None:
    """After an account is created (or its password set, `replace=True`): on an encrypted store, wrap
    the store key for it so its password opens the store. Nothing to do on a plain store."""
    from inspector.db import engine_key

    if engine_key(engine) is None:
        return
    path = store_path_of(engine)
    if not replace and login in keyslots.slot_logins(path):
        return
    add_account_key(engine, path, login, password)


def remove_account_slot(engine: Engine, login: str) -> None:
    """An account removed or disabled: its password no longer opens the store."""
    from inspector.db import engine_key

    if engine_key(engine) is not None:
        keyslots.remove_account_slot(store_path_of(engine), login)


def locked_engine(path: Path | str) -> Engine:
    """An engine on the encrypted store at `path` whose key is not there yet (`reunlock` puts it)."""
    from inspector.db import make_engine

    return make_engine(path, StoreKey(bytes(32)))


def is_locked(engine: Engine) -> bool:
    from inspector.db import engine_key

    key = engine_key(engine)
    return key is not None and key.wiped


def open_or_locked(path: Path | str) -> Engine:
    """The GUI's start: a plain store opens (migrated); an encrypted one unlocked in this process
    opens; otherwise a locked engine that the login dialog unlocks in place."""
    from inspector.db import registered_key

    p = Path(path)
    if needs_unlock(p) and registered_key(p) is None:
        return locked_engine(p)
    return open_store(p)
