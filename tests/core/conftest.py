"""Core test fixtures: the demo's workdir (store, central, keys, PDFs), built once per session by `main.py demo`."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def demo_workdir(tmp_path_factory) -> Path:
    work = tmp_path_factory.mktemp("cli-demo")
    env = {**os.environ, "PYTHONPATH": str(ROOT), "INSPECTOR_LOG_DIR": str(work / "log")}
    out = subprocess.run([sys.executable, str(ROOT / "main.py"), "demo", "--workdir", str(work)], cwd=work, env=env,
                         capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr
    return work


@pytest.fixture
def english():
    """Messages are matched in English; the default language is restored afterwards.
    A module asks for it with `pytestmark = pytest.mark.usefixtures("english")`."""
    from inspector import i18n

    before = i18n.language()
    i18n.set_language("en")
    yield
    i18n.set_language(before)


@pytest.fixture
def engine(tmp_path):
    """A new plain store in the test's folder (a module may define its own `engine`)."""
    from inspector.db import open_store

    return open_store(tmp_path / "s.db")
