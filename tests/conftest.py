"""Test-wide setup: Qt's offscreen platform before any QApplication exists, and a private
PostgreSQL server for the tests that read a central database over the network."""
from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# TEST ONLY: cheap Argon2id parameters for the many accounts the tests create (inspector/accounts.py);
# the product's parameters are tested by tests/core/test_accounts.py and measured by bench/login.py.
os.environ["INSPECTOR_TEST_ARGON2"] = "fast"
# no test acts as whoever runs it: a test that needs the CLI to authenticate says who
os.environ.pop("INSPECTOR_USER", None)
os.environ.pop("INSPECTOR_PASSWORD_FILE", None)

import uuid  # noqa: E402
from collections.abc import Iterator  # noqa: E402

import pytest  # noqa: E402

from tests.support.pg_server import PostgresUnavailable, create_database, drop_database, private_postgres  # noqa: E402


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A private PostgreSQL server on 127.0.0.1 for this test session; yields its SQLAlchemy URL.

    Fails (never skips) when PostgreSQL is missing: scripts/setup.sh installs it.
    """
    try:
        server = private_postgres()
        url = server.__enter__()
    except PostgresUnavailable as exc:
        pytest.fail(str(exc), pytrace=False)
    try:
        yield url
    finally:
        server.__exit__(None, None, None)


@pytest.fixture
def postgres_db(postgres_url: str) -> Iterator[str]:
    """A fresh empty database on the session's server for one test; yields its URL, drops it after."""
    name = f"t_{uuid.uuid4().hex[:12]}"
    url = create_database(postgres_url, name)
    try:
        yield url
    finally:
        drop_database(postgres_url, name)


@pytest.fixture
def cli_account(monkeypatch, tmp_path):
    """`cli_account(db_path, login="zhang")`: the default test accounts in the store at `db_path`
    (created when missing) and the CLI acting as `login`; returns the accounts by login."""
    from inspector.db import open_store
    from tests.support.accounts import make_accounts, use_account

    def setup(db_path, login: str = "zhang"):
        engine = open_store(db_path)
        try:
            actors = make_accounts(engine)
        finally:
            engine.dispose()
        use_account(monkeypatch, tmp_path, login)
        return actors

    return setup
