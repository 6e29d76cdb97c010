"""The local store: one SQLite file per laptop, WAL, foreign keys on, migrated on open."""
from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import re
from typing import TYPE_CHECKING

from platformdirs import user_data_dir
from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

from inspector.errors import UserError
from inspector.i18n import N_

if TYPE_CHECKING:
    from alembic.config import Config

# Alembic is imported only when a store needs creating or upgrading: it costs about a
# second of start-up, and an up-to-date store (the usual case) does not need it.
MIGRATIONS_DIR = Path(__file__).with_name("migrations")


class StoreError(UserError):
    """The store cannot be opened or written; the message says why and that nothing was changed."""


def default_store_path() -> Path:
    """Where the store lives when no --db is given: $INSPECTOR_DB or the user data dir."""
    env = os.environ.get("INSPECTOR_DB")
    if env:
        return Path(env)
    return Path(user_data_dir("Inspector", appauthor=False)) / "inspector.db"


def _set_pragmas(dbapi_conn: sqlite3.Connection, _record) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    # FULL: a transaction acknowledged on screen survives a power cut, not only a crash.
    cur.execute("PRAGMA synchronous=FULL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=15000")
    cur.close()


def _driver_autocommit(dbapi_conn: sqlite3.Connection, _record) -> None:
    # Let SQLAlchemy, not the driver, say when a transaction begins (see _emit_begin).
    dbapi_conn.isolation_level = None


def _emit_begin(conn) -> None:
    """BEGIN DEFERRED by default; BEGIN IMMEDIATE for writers that read-then-write
    (e.g. the event log's hash chain), asked for with execution_options(begin="IMMEDIATE")."""
    mode = conn.get_execution_options().get("begin", "DEFERRED")
    conn.exec_driver_sql(f"BEGIN {mode}")


def make_engine(path: Path | str, *, read_only: bool = False) -> Engine:
    """An engine on the SQLite file at `path` with the store's pragmas on every connection.

    `read_only`: SQLite opens the file with mode=ro, so any write fails (see `store_write_error`).
    """
    if read_only:
        from urllib.parse import quote

        engine = create_engine(f"sqlite:///file:{quote(str(Path(path).resolve()))}?mode=ro&uri=true")
    else:
        engine = create_engine(f"sqlite:///{Path(path)}")
    event.listen(engine, "connect", _set_pragmas)
    event.listen(engine, "connect", _driver_autocommit)
    event.listen(engine, "begin", _emit_begin)
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


def _check_sqlite_file(path: Path) -> None:
    if not path.exists():
        return
    try:
        with open(path, "rb") as f:
            magic = f.read(16)
    except OSError as exc:
        raise StoreError(N_("{path} cannot be read ({reason}); nothing was changed."),
                         path=path, reason=exc.strerror) from None
    if magic and magic != b"SQLite format 3\x00":
        raise StoreError(N_("{path} is not an Inspector store (not an SQLite file); it was not changed."), path=path)


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


def _stored_revision(p: Path) -> str | None:
    """The store's alembic revision, read without SQLAlchemy or Alembic (None if unknown)."""
    try:
        con = sqlite3.connect(f"file:{p}?mode=ro", uri=True)
        try:
            row = con.execute("SELECT version_num FROM alembic_version").fetchone()
        finally:
            con.close()
    except sqlite3.Error:
        return None
    return row[0] if row else None


def open_store(path: Path | str | None = None, *, create: bool = True) -> Engine:
    """Open the store at `path`, upgrading an older schema in place.

    `create`: a missing store (and its folder) is created; otherwise a missing store is a
    StoreError and nothing is created. A directory, a file that is not SQLite, an SQLite
    database of another program and a store written by a newer Inspector are refused,
    untouched. A store marked read-only is opened read-only: reading works, a write is
    refused by SQLite (`store_write_error` words it).
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
                             path=p, reason=exc.strerror) from None
    _check_sqlite_file(p)
    if p.exists() and p.stat().st_size > 0:
        _check_inspector_tables(p)
        stored = _stored_revision(p)
        if stored is not None and stored == _shipped_head():
            return make_engine(p, read_only=is_read_only(p))  # up to date: nothing to migrate
        if is_read_only(p):
            raise StoreError(N_("the store {path} is read-only and needs upgrading to this version's schema; "
                                "it was not changed."), path=p)
    from alembic import command
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    engine = make_engine(p)
    script = ScriptDirectory.from_config(alembic_config())
    try:
        with engine.connect() as conn:
            current = MigrationContext.configure(conn).get_current_revision()
    except Exception as exc:  # sqlite3.DatabaseError: file is not a database, etc.
        engine.dispose()
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
        with engine.begin() as conn:
            cfg = alembic_config()
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "head")
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
