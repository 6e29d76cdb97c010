"""The local store: one SQLite file per laptop, WAL, foreign keys on, migrated on open."""
from __future__ import annotations

import os
import re
import sqlite3
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from platformdirs import user_data_dir
from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

from inspector.errors import StoreBusy, UserError, os_reason
from inspector.i18n import N_

if TYPE_CHECKING:
    from alembic.config import Config

# Alembic is imported only when a store needs creating or upgrading: it costs about a
# second of start-up, and an up-to-date store (the usual case) does not need it.
MIGRATIONS_DIR = Path(__file__).with_name("migrations")


class StoreError(UserError):
    """The store cannot be opened or written; the message says why and that nothing was changed."""


class StoreLocked(StoreError):
    """The store is encrypted and its key is not unlocked in this process."""


# Errors of either driver: the plain `sqlite3` module, or `sqlcipher3` for an encrypted store.
try:
    from sqlcipher3 import dbapi2 as sqlcipher
except ImportError:  # pragma: no cover - a dependency; kept importable for tools that read plain stores
    sqlcipher = None  # type: ignore[assignment]
OPERATIONAL_ERRORS: tuple[type[Exception], ...] = (sqlite3.OperationalError,) + (
    (sqlcipher.OperationalError,) if sqlcipher is not None else ())
DATABASE_ERRORS: tuple[type[Exception], ...] = (sqlite3.DatabaseError,) + (
    (sqlcipher.DatabaseError,) if sqlcipher is not None else ())
DBAPI_ERRORS: tuple[type[Exception], ...] = (sqlite3.Error,) + ((sqlcipher.Error,) if sqlcipher is not None else ())

SQLITE_MAGIC = b"SQLite format 3\x00"

# How long a write waits for another writer (a sync's final copy, another window) before it
# gives up with `StoreBusy`. Syncs stream into a staging file and hold the write lock only
# for their final copy, so a tick rarely waits at all.
BUSY_TIMEOUT_MS = 5000



def default_store_path() -> Path:
    """Where the store lives when no --db is given: $INSPECTOR_DB or the user data dir."""
    env = os.environ.get("INSPECTOR_DB")
    if env:
        return Path(env)
    return Path(user_data_dir("Inspector", appauthor=False)) / "inspector.db"


class StoreKey:
    """The 256-bit store key of an unlocked store, held in a bytearray that `wipe` overwrites.

    The engine's connection factory reads it for each new connection; once wiped, opening a
    connection raises StoreLocked (the idle lock disposes the engine and wipes the key)."""

    __slots__ = ("_buf", "__weakref__")

    def __init__(self, key: bytes | bytearray) -> None:
        if len(key) != 32:
            raise ValueError("a store key is 32 bytes")
        self._buf = bytearray(key)  # a copy: the caller wipes its own

    @property
    def wiped(self) -> bool:
        return not any(self._buf)

    def sql_literal(self) -> str:
        """The key as SQLCipher reads a raw key: `"x'<64 hex digits>'"` (no key derivation)."""
        if self.wiped:
            from inspector.i18n import _

            raise StoreLocked(_("the store is locked: log in again"))
        return "\"x'" + self._buf.hex() + "'\""

    def pragma(self) -> str:
        """The PRAGMA key statement (raw key: SQLCipher derives nothing, opening is instant)."""
        return "PRAGMA key = " + self.sql_literal()

    def copy(self) -> bytearray:
        return bytearray(self._buf)

    def restore(self, key: bytes | bytearray) -> None:
        """Put the key back after a lock (the same object, so engines holding it work again)."""
        if len(key) != 32:
            raise ValueError("a store key is 32 bytes")
        self._buf[:] = key

    def wipe(self) -> None:
        for i in range(len(self._buf)):
            self._buf[i] = 0


# Engines of encrypted stores -> their key (to lock them: dispose + wipe).
_ENGINE_KEYS: "weakref.WeakKeyDictionary[Engine, StoreKey]" = weakref.WeakKeyDictionary()
# Keys unlocked in this process, by resolved store path: `open_store(path)` without a key uses them.
_UNLOCKED: dict[Path, StoreKey] = {}


def _resolved(path: Path | str) -> Path:
    return Path(path).expanduser().resolve()


def register_key(path: Path | str, key: StoreKey) -> None:
    """Remember the unlocked key of the store at `path` for later `open_store(path)` calls."""
    _UNLOCKED[_resolved(path)] = key


def registered_key(path: Path | str) -> StoreKey | None:
    k = _UNLOCKED.get(_resolved(path))
    return None if k is None or k.wiped else k


def lock_store(path: Path | str | None = None, engine: Engine | None = None) -> None:
    """Drop a store key from memory: dispose the engine (closing its connections) and wipe the key.

    With neither argument every unlocked store is locked."""
    keys: list[StoreKey] = []
    if engine is not None:
        k = _ENGINE_KEYS.get(engine)
        engine.dispose()
        if k is not None:
            keys.append(k)
    if path is not None:
        k = _UNLOCKED.pop(_resolved(path), None)
        if k is not None:
            keys.append(k)
    if engine is None and path is None:
        keys.extend(_UNLOCKED.values())
        _UNLOCKED.clear()
        for eng, k in list(_ENGINE_KEYS.items()):
            eng.dispose()
            keys.append(k)
    for k in keys:
        k.wipe()


def engine_key(engine: Engine) -> StoreKey | None:
    """The key of an encrypted store's engine (None for a plain store)."""
    return _ENGINE_KEYS.get(engine)


def is_encrypted_file(path: Path | str) -> bool:
    """True when `path` exists, is not empty and does not start with SQLite's plain header."""
    p = Path(path)
    if not p.exists() or p.stat().st_size == 0:
        return False
    with open(p, "rb") as f:
        return f.read(16) != SQLITE_MAGIC


def _set_pragmas(dbapi_conn: sqlite3.Connection, _record) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    # FULL: a transaction acknowledged on screen survives a power cut, not only a crash.
    cur.execute("PRAGMA synchronous=FULL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    # Sorts and temporary tables stay in memory: no temporary file ever holds patient data.
    cur.execute("PRAGMA temp_store=MEMORY")
    cur.close()


def _is_locked(exc: BaseException | None) -> bool:
    return isinstance(exc, OPERATIONAL_ERRORS) and (
        "database is locked" in str(exc) or "database is busy" in str(exc))


def _on_error(context) -> None:
    """A write that still met another writer's lock after BUSY_TIMEOUT_MS: a clear StoreBusy."""
    if _is_locked(context.original_exception):
        raise store_busy() from None


def store_busy() -> StoreBusy:
    from inspector.i18n import _

    return StoreBusy(_("the store is busy (another task, such as a sync saving its data, is writing to it) and did "
                       "not free up within {n:g} seconds; nothing was recorded: try again").format(
                           n=BUSY_TIMEOUT_MS / 1000))


def _driver_autocommit(dbapi_conn: sqlite3.Connection, _record) -> None:
    # Let SQLAlchemy, not the driver, say when a transaction begins (see _emit_begin).
    dbapi_conn.isolation_level = None


def _emit_begin(conn) -> None:
    """BEGIN DEFERRED by default; BEGIN IMMEDIATE for writers that read-then-write
    (e.g. the event log's hash chain), asked for with execution_options(begin="IMMEDIATE")."""
    mode = conn.get_execution_options().get("begin", "DEFERRED")
    conn.exec_driver_sql(f"BEGIN {mode}")


_cipher_log_quiet = False


def cipher_connect(path: Path | str, key: StoreKey, **kwargs: Any):
    """A sqlcipher3 connection to the encrypted file at `path`, keyed (nothing else run yet)."""
    global _cipher_log_quiet
    if sqlcipher is None:  # pragma: no cover
        raise StoreError("sqlcipher3 is not installed: run scripts/setup.sh")
    con = sqlcipher.connect(str(path), **kwargs)
    if not _cipher_log_quiet:
        # SQLCipher logs a failed page check (a wrong key) on stderr; the user gets our message.
        con.execute("PRAGMA cipher_log_level = NONE")
        _cipher_log_quiet = True
    con.execute(key.pragma())
    return con


def make_engine(path: Path | str, key: StoreKey | bytes | bytearray | None = None, *,
                read_only: bool = False) -> Engine:
    """An engine on the store file at `path` with the store's pragmas on every connection.

    With `key` the file is a SQLCipher 4 database opened with that raw 256-bit key.
    `read_only` (a plain store): SQLite opens the file with mode=ro, so any write fails
    (see `store_write_error`)."""
    if key is None and read_only:
        from urllib.parse import quote

        engine = create_engine(f"sqlite:///file:{quote(str(Path(path).resolve()))}?mode=ro&uri=true")
    elif key is None:
        engine = create_engine(f"sqlite:///{Path(path)}")
    else:
        skey = key if isinstance(key, StoreKey) else StoreKey(key)
        p = str(Path(path))

        def connect():
            if read_only:   # SQLite refuses every write; `store_write_error` words it
                return cipher_connect(f"file:{p}?mode=ro", skey, uri=True, check_same_thread=False)
            return cipher_connect(p, skey, check_same_thread=False)

        # The URL names the file (for messages and caches); the creator makes the keyed connection.
        engine = create_engine(f"sqlite:///{Path(path)}", module=sqlcipher, creator=connect)
        _ENGINE_KEYS[engine] = skey
    event.listen(engine, "connect", _set_pragmas)
    event.listen(engine, "connect", _driver_autocommit)
    event.listen(engine, "begin", _emit_begin)
    event.listen(engine, "handle_error", _on_error)
    return engine


@contextmanager
def write_transaction(engine: Engine) -> Iterator[Connection]:
    """One committed write transaction that holds the write lock from its first statement."""
    with engine.connect().execution_options(begin="IMMEDIATE") as conn:
        with conn.begin():
            yield conn


def alembic_config() -> Config:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    return cfg


def head_revision() -> str:
    from alembic.script import ScriptDirectory

    heads = ScriptDirectory.from_config(alembic_config()).get_heads()
    assert len(heads) == 1, heads
    return heads[0]


def _check_sqlite_file(path: Path, key: StoreKey | None) -> None:
    if not path.exists() or path.stat().st_size == 0:
        return
    try:
        encrypted = is_encrypted_file(path)
    except OSError as exc:
        raise StoreError(N_("{path} cannot be read ({reason}); nothing was changed."),
                         path=path, reason=os_reason(exc)) from None
    if key is None and encrypted:
        from inspector.keyslots import has_keyfile

        if not has_keyfile(path):
            raise StoreError(N_("{path} is not an Inspector store (not an SQLite file); it was not changed."),
                             path=path)
        from inspector.i18n import _

        raise StoreLocked(_("{path} is an encrypted store: log in to open it (INSPECTOR_USER and "
                            "INSPECTOR_PASSWORD_FILE, or the login window)").format(path=path))
    if key is not None and not encrypted:
        from inspector.i18n import _

        raise StoreError(_("{path} is a plain (unencrypted) store: it is encrypted when its first account is "
                           "created; it was not changed").format(path=path))


def _check_inspector_tables(path: Path) -> None:
    """Refuse an SQLite file of another program (e.g. a copy of the central database): never migrate it."""
    try:
        con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        finally:
            con.close()
    except sqlite3.Error as exc:
        raise StoreError(N_("{path} cannot be read as an Inspector store ({reason}); it was not changed."),
                         path=path, reason=str(exc)) from None
    if tables and not ({"alembic_version", "inspection", "event"} <= tables or tables == {"alembic_version"}):
        raise StoreError(N_("{path} is an SQLite database of another program, not an Inspector store; "
                            "it was not changed."), path=path)


def is_read_only(path: Path) -> bool:
    """The store file is marked read-only (no write permission bits), or this user may not write it."""
    try:
        mode = path.stat().st_mode
    except OSError:
        return False
    return (mode & 0o222) == 0 or not os.access(path, os.W_OK)


def store_write_error(exc: BaseException, path: Path | str | None = None) -> StoreError | None:
    """A clear StoreError for SQLite's own refusals (read-only, locked, disk full), else None."""
    text = str(getattr(exc, "orig", None) or exc).lower()
    where = str(path) if path is not None else ""
    if "readonly" in text or "read-only" in text:
        return StoreError(N_("the store {path} is read-only: this command changes it, so it was refused; "
                             "nothing was changed."), path=where)
    if "database is locked" in text or "database is busy" in text:
        return StoreError(N_("the store {path} is busy (another program is writing it); nothing was changed. "
                             "Try again."), path=where)
    if "disk is full" in text or "database or disk is full" in text:
        return StoreError(N_("the disk holding the store {path} is full; nothing was changed."), path=where)
    return None


_REVISION = re.compile(r"^(down_revision|revision)\s*(?::[^=]*)?=\s*['\"]?([\w.-]+|None)['\"]?", re.M)


def _shipped_head() -> str | None:
    """The head revision read from the migration files' text (None if not unambiguous)."""
    revisions, downs = set(), set()
    for f in (MIGRATIONS_DIR / "versions").glob("*.py"):
        found = dict((k, v) for k, v in _REVISION.findall(f.read_text(encoding="utf-8")))
        if "revision" in found:
            revisions.add(found["revision"])
            downs.add(found.get("down_revision"))
    heads = revisions - downs
    return heads.pop() if len(heads) == 1 else None


def _stored_revision(p: Path, key: StoreKey | None) -> str | None:
    """The store's alembic revision, read without SQLAlchemy or Alembic (None if unknown)."""
    try:
        if key is None:
            con = sqlite3.connect(f"file:{p}?mode=ro", uri=True)
        else:
            con = cipher_connect(f"file:{p}?mode=ro", key, uri=True)
        try:
            row = con.execute("SELECT version_num FROM alembic_version").fetchone()
        finally:
            con.close()
    except DATABASE_ERRORS:
        return None
    return row[0] if row else None


def open_store(path: Path | str | None = None, *, key: StoreKey | bytes | bytearray | None = None,
               create: bool = True) -> Engine:
    """Open the store at `path`, upgrading an older schema in place.

    `key`: the 256-bit store key of an encrypted store (a new file is then created
    encrypted). Without it, a key unlocked earlier in this process for the same path
    (`register_key`) is used; a plain store opens as it is; an encrypted one raises
    StoreLocked. `create`: a missing store (and its folder) is created; otherwise a missing
    store is a StoreError and nothing is created. A directory, a file that is not a store,
    an SQLite database of another program and a store written by a newer Inspector are
    refused, untouched. A plain store marked read-only is opened read-only: reading works,
    a write is refused by SQLite (`store_write_error` words it).
    """
    p = Path(path) if path is not None else default_store_path()
    if p.is_dir():
        raise StoreError(N_("{path} is a folder, not a store file; nothing was changed."), path=p)
    if not p.exists():
        if not create:
            raise StoreError(N_("there is no Inspector store at {path}; nothing was created. "
                                "A sync, an Excel import or the demo creates one."), path=p)
        try:
            p.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(N_("the folder of {path} cannot be created ({reason}); nothing was changed."),
                             path=p, reason=os_reason(exc)) from None
    skey = key if isinstance(key, StoreKey) or key is None else StoreKey(key)
    if skey is None and is_encrypted_file(p):
        skey = registered_key(p)
    _check_sqlite_file(p, skey)
    if p.exists() and p.stat().st_size > 0:
        if skey is None:
            _check_inspector_tables(p)
        stored = _stored_revision(p, skey)
        read_only = is_read_only(p)
        if stored is not None and stored == _shipped_head():
            return make_engine(p, skey, read_only=read_only)  # up to date: nothing to migrate
        if read_only:
            raise StoreError(N_("the store {path} is read-only and needs upgrading to this version's schema; "
                                "it was not changed."), path=p)
    from alembic import command
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    engine = make_engine(p, skey)
    script = ScriptDirectory.from_config(alembic_config())
    try:
        with engine.connect() as conn:
            current = MigrationContext.configure(conn).get_current_revision()
    except Exception as exc:  # sqlite3.DatabaseError: file is not a database, etc.
        engine.dispose()
        if skey is not None and "not a database" in str(exc):
            from inspector.i18n import _

            raise StoreError(_("{path} cannot be opened with this key; it was not changed").format(path=p)) from None
        raise StoreError(N_("{path} cannot be read as an Inspector store ({reason}); it was not changed."),
                         path=p, reason=str(exc)) from exc
    if current is not None:
        try:
            script.get_revision(current)
        except Exception:
            engine.dispose()
            raise StoreError(
                N_("{path} was written by a newer version of Inspector (schema revision {current}); "
                   "this version knows up to {head}. Update Inspector to open it; the file was not changed."),
                path=p, current=current, head=script.get_current_head(),
            ) from None
    if current != script.get_current_head():
        with engine.connect() as conn:
            # SQLite's own procedure for rebuilding a table others refer to (ALTER TABLE, "other
            # kinds of table schema changes"): enforcement off outside the transaction, every
            # reference checked before the commit, enforcement back on.
            dbapi = conn.connection.driver_connection
            dbapi.execute("PRAGMA foreign_keys=OFF")
            try:
                with conn.begin():
                    cfg = alembic_config()
                    cfg.attributes["connection"] = conn
                    command.upgrade(cfg, "head")
                    broken = conn.exec_driver_sql("PRAGMA foreign_key_check").first()
                    if broken is not None:
                        raise StoreError(N_("upgrading {path} would break a reference in table {table}; "
                                            "it was not changed."), path=p, table=broken[0])
            finally:
                dbapi.execute("PRAGMA foreign_keys=ON")
        if current is not None and current < _PURGING_REVISION:
            _purge_free_pages(engine)
    return engine


# Migrations up to this one dropped personal data (0004: birth dates, ID hashes): a store
# upgraded across it is rewritten so that no free page keeps the old values.
_PURGING_REVISION = "0004"


def _purge_free_pages(engine: Engine) -> None:
    raw = engine.raw_connection()  # the driver connection is in autocommit mode (no BEGIN)
    try:
        raw.driver_connection.execute("VACUUM")
        raw.driver_connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        raw.close()


def session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions for one user action or background task each; never shared across threads."""
    return sessionmaker(engine, expire_on_commit=False)
