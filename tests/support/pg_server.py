"""A private, throw-away PostgreSQL server on 127.0.0.1 (tests and benchmarks)."""
from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

SETUP_HINT = "PostgreSQL is needed here: run scripts/setup.sh (it installs it)."


class PostgresUnavailable(RuntimeError):
    """PostgreSQL's programs are missing or the server would not start."""


def pg_bin(name: str) -> str:
    """Path of a PostgreSQL program: on PATH or in /usr/lib/postgresql/*/bin."""
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), reverse=True)
    if candidates:
        return candidates[0]
    raise PostgresUnavailable(f"{name} not found on PATH or in /usr/lib/postgresql/*/bin. {SETUP_HINT}")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _as_postgres(cmd: list[str]) -> list[str]:
    """Run as the postgres user when we are root (initdb and postgres refuse root)."""
    return ["runuser", "-u", "postgres", "--", *cmd] if os.geteuid() == 0 else cmd


@contextmanager
def private_postgres(*, durable: bool = False) -> Iterator[str]:
    """Start a server in a temp dir, yield `postgresql+psycopg://postgres@127.0.0.1:PORT/postgres`,
    then stop it and remove everything. `durable=False` turns fsync off (tests only)."""
    initdb, pg_ctl = pg_bin("initdb"), pg_bin("pg_ctl")
    base = Path(tempfile.mkdtemp(prefix="inspector-pg-"))
    data = base / "data"
    log = base / "server.log"
    if os.geteuid() == 0:
        shutil.chown(base, "postgres")
    port = _free_port()
    try:
        out = subprocess.run(
            _as_postgres([initdb, "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync"]),
            capture_output=True, text=True,
        )
        if out.returncode != 0:
            raise PostgresUnavailable(f"initdb failed: {out.stderr.strip()}\n{SETUP_HINT}")
        opts = f"-c listen_addresses=127.0.0.1 -p {port} -c unix_socket_directories={base}"
        if not durable:
            opts += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        out = subprocess.run(
            _as_postgres([pg_ctl, "-D", str(data), "-l", str(log), "-w", "-t", "60", "-o", opts, "start"]),
            capture_output=True, text=True,
        )
        if out.returncode != 0:
            detail = log.read_text() if log.exists() else ""
            raise PostgresUnavailable(f"PostgreSQL did not start: {out.stderr.strip()}\n{detail}\n{SETUP_HINT}")
        yield f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres"
    finally:
        if (data / "postmaster.pid").exists():
            subprocess.run(_as_postgres([pg_ctl, "-D", str(data), "-m", "immediate", "-w", "stop"]),
                           capture_output=True, text=True)
        shutil.rmtree(base, ignore_errors=True)


def create_database(server_url: str, name: str) -> str:
    """CREATE DATABASE `name` on the server; returns its URL."""
    import psycopg

    with psycopg.connect(server_url.replace("postgresql+psycopg://", "postgresql://"), autocommit=True) as con:
        con.execute(f'CREATE DATABASE "{name}"')
    return server_url.rsplit("/", 1)[0] + f"/{name}"


def drop_database(server_url: str, name: str) -> None:
    import psycopg

    with psycopg.connect(server_url.replace("postgresql+psycopg://", "postgresql://"), autocommit=True) as con:
        con.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
