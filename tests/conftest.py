"""Test-wide setup: Qt's offscreen platform before any QApplication exists, and a private
PostgreSQL server for the tests that read a central database over the network."""
from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import glob  # noqa: E402
import shutil  # noqa: E402
import socket  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import uuid  # noqa: E402
from collections.abc import Iterator  # noqa: E402
from pathlib import Path  # noqa: E402

import pytest  # noqa: E402

SETUP_HINT = "PostgreSQL is needed for these tests: run scripts/setup.sh (it installs it)."


def _pg_bin(name: str) -> str:
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), reverse=True)
    if candidates:
        return candidates[0]
    pytest.fail(f"{name} not found on PATH or in /usr/lib/postgresql/*/bin. {SETUP_HINT}", pytrace=False)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _as_postgres(cmd: list[str]) -> list[str]:
    """Run as the postgres user when we are root (initdb and postgres refuse root)."""
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *cmd]
    return cmd


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A private PostgreSQL server on 127.0.0.1 for this test session; yields its SQLAlchemy URL."""
    initdb, pg_ctl = _pg_bin("initdb"), _pg_bin("pg_ctl")
    base = Path(tempfile.mkdtemp(prefix="inspector-pg-"))
    data = base / "data"
    if os.geteuid() == 0:
        shutil.chown(base, "postgres")
    port = _free_port()
    log = base / "server.log"
    try:
        out = subprocess.run(
            _as_postgres([initdb, "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync"]),
            capture_output=True, text=True,
        )
        if out.returncode != 0:
            pytest.fail(f"initdb failed: {out.stderr.strip()}\n{SETUP_HINT}", pytrace=False)
        opts = (f"-c listen_addresses=127.0.0.1 -p {port} -c unix_socket_directories={base} "
                "-c fsync=off -c synchronous_commit=off -c full_page_writes=off")
        out = subprocess.run(
            _as_postgres([pg_ctl, "-D", str(data), "-l", str(log), "-w", "-t", "60", "-o", opts, "start"]),
            capture_output=True, text=True,
        )
        if out.returncode != 0:
            detail = log.read_text() if log.exists() else ""
            pytest.fail(f"PostgreSQL did not start: {out.stderr.strip()}\n{detail}\n{SETUP_HINT}", pytrace=False)
        yield f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres"
    finally:
        if (data / "postmaster.pid").exists():
            subprocess.run(_as_postgres([pg_ctl, "-D", str(data), "-m", "immediate", "-w", "stop"]),
                           capture_output=True, text=True)
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture
def postgres_db(postgres_url: str) -> Iterator[str]:
    """A fresh empty database on the session's server for one test; yields its URL, drops it after."""
    import psycopg

    name = f"t_{uuid.uuid4().hex[:12]}"
    admin = postgres_url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(admin, autocommit=True) as con:
        con.execute(f'CREATE DATABASE "{name}"')
    try:
        yield postgres_url.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with psycopg.connect(admin, autocommit=True) as con:
            con.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
