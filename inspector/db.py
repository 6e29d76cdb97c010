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

if TYPE_CHECKING:
    from alembic.config import Config

# Alembic is imported only when a store needs creating or upgrading: it costs about a
# second of start-up, and an up-to-date store (the usual case) does not need it.
MIGRATIONS_DIR = Path(__file__).with_name("migrations")


class StoreError(Exception):
    """The store cannot be opened; the message says why and that nothing was changed."""


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


def make_engine(path: Path | str) -> Engine:
    """An engine on the SQLite file at `path` with the store's pragmas on every connection."""
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
    with open(path, "rb") as f:
        magic = f.read(16)
    if magic and magic != b"SQLite format 3\x00":
        raise StoreError(f"{path} is not an Inspector store (not an SQLite file); it was not changed.")


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


def open_store(path: Path | str | None = None) -> Engine:
    """Open (creating if needed) the store at `path`, upgrading an older schema in place.

    A store written by a newer Inspector is refused, untouched.
    """
    p = Path(path) if path is not None else default_store_path()
    p.parent.mkdir(parents=True, exist_ok=True)
    _check_sqlite_file(p)
    if p.exists() and p.stat().st_size > 0:
        stored = _stored_revision(p)
        if stored is not None and stored == _shipped_head():
            return make_engine(p)  # up to date: nothing to migrate
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
        raise StoreError(f"{p} cannot be read as an Inspector store ({exc}); it was not changed.") from exc
    if current is not None:
        try:
            script.get_revision(current)
        except Exception:
            engine.dispose()
            raise StoreError(
                f"{p} was written by a newer version of Inspector (schema revision {current}); "
                f"this version knows up to {script.get_current_head()}. Update Inspector to open it; "
                "the file was not changed."
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
