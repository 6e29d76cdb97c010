"""The packaged application: built with PyInstaller, wrapped as a .deb, unpacked with `dpkg -x`
into a fresh tree and run there with a clean environment (no virtual environment, no source
tree on PATH, a new HOME): the CLI's help, the demo, `verify`, the GUI offscreen, and a store
made by the previous release migrated in place.
"""
from __future__ import annotations

import hashlib
import json
import lzma
import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures"

# The build takes minutes of CPU: `make test` (the README's test command, run by CI) sets
# INSPECTOR_PACKAGE_TEST=1; a bare `pytest` run while developing leaves it out.
pytestmark = [
    pytest.mark.slow,
    pytest.mark.timeout(1500),
    pytest.mark.skipif(os.environ.get("INSPECTOR_PACKAGE_TEST") != "1",
                       reason="the package build runs under `make test` and CI (INSPECTOR_PACKAGE_TEST=1)"),
]


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    """`make package`'s script run into a temporary folder, the .deb unpacked with dpkg -x."""
    out = tmp_path_factory.mktemp("package")
    env = dict(os.environ, PACKAGE_OUT=str(out), PACKAGE_GZIP_LEVEL="1")
    subprocess.run(["bash", "packaging/build.sh"], cwd=ROOT, env=env, check=True,
                   stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=1400)
    debs = list(out.glob("inspector_*.deb"))
    assert len(debs) == 1, debs
    root = tmp_path_factory.mktemp("root")
    subprocess.run(["dpkg", "-x", str(debs[0]), str(root)], check=True)
    control = subprocess.run(["dpkg-deb", "-f", str(debs[0]), "Package", "Depends"], check=True,
                             capture_output=True, text=True).stdout
    assert "Package: inspector" in control and "libxcb-cursor0" in control
    assert (root / "usr/share/applications/inspector.desktop").read_text().count("Exec=inspector-gui") == 1
    assert os.readlink(root / "usr/bin/inspector") == "/opt/inspector/inspector"
    return root


def run(root: Path, home: Path, *args: str, program: str = "inspector", **env: str):
    """A program of the unpacked package with a clean environment: no venv, no source tree."""
    clean = {"HOME": str(home), "PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", **env}
    return subprocess.run([str(root / "opt/inspector" / program), *args], cwd=home, env=clean,
                          capture_output=True, text=True, timeout=600)


def test_cli_demo_verify_and_gui_from_the_installed_package(installed, tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    helped = run(installed, home, "--help")
    assert helped.returncode == 0, helped.stderr
    assert "demo" in helped.stdout and "verify" in helped.stdout

    demo = run(installed, home, "demo", "--workdir", str(home / "demo"))
    assert demo.returncode == 0, demo.stdout + demo.stderr
    assert "Traceback" not in demo.stdout + demo.stderr
    signed = home / "demo" / "inspection-1-signed.pdf"
    assert signed.exists()

    # the demo store is encrypted: the lead opens it with his demo password file
    lead = {"INSPECTOR_USER": "chenzq", "INSPECTOR_PASSWORD_FILE": str(home / "demo/passwords/chenzq.txt")}
    verified = run(installed, home, "verify", str(signed), "--trust", str(home / "demo/demo-ca/ca.pem"),
                   "--format", "json", "--db", str(home / "demo/inspector.db"), **lead)
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert json.loads(verified.stdout)["ok"] is True

    gui = run(installed, home, "--db", str(home / "demo/inspector.db"), "--smoke-test", program="inspector-gui",
              QT_QPA_PLATFORM="offscreen")
    assert gui.returncode == 0, gui.stdout + gui.stderr
    assert "gui ok" in gui.stdout


def test_previous_release_store_is_migrated_in_place_and_a_newer_one_refused(installed, tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    store = tmp_path / "old.db"
    store.write_bytes(lzma.decompress((FIXTURES / "store-0.1.0.db.xz").read_bytes()))
    listed = run(installed, home, "inspections", "--format", "json", "--db", str(store))
    assert listed.returncode == 0, listed.stdout + listed.stderr
    rows = json.loads(listed.stdout)
    assert [r["fixmedins_code"] for r in rows] == ["H61011300001"]
    con = sqlite3.connect(store)
    try:
        assert con.execute("SELECT count(*) FROM event").fetchone()[0] == 20  # the old work is kept
    finally:
        con.close()

    newer = tmp_path / "newer.db"
    shutil.copy(store, newer)
    con = sqlite3.connect(newer)
    con.execute("UPDATE alembic_version SET version_num = '9999_from_the_future'")
    con.commit()
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    con.close()
    before = files_digest(newer)
    refused = run(installed, home, "inspections", "--db", str(newer))
    assert refused.returncode == 2
    assert "Traceback" not in refused.stdout + refused.stderr
    assert files_digest(newer) == before


def files_digest(store: Path) -> str:
    """One digest of the store and any -wal/-shm beside it."""
    h = hashlib.sha256()
    for f in sorted(store.parent.glob(store.name + "*")):
        h.update(f.name.encode() + b"\0" + f.read_bytes())
    return h.hexdigest()
