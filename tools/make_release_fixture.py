"""Keep a store made by this release as a test fixture for the next one.

Runs `main.py demo` into a temporary folder and writes its store, compacted and xz-compressed,
to tests/fixtures/store-<version>.db.xz (and the demo's password files beside it, when the
demo writes any), where tests/core/test_release_fixtures.py and the packaging test open it.
Run once per release: `.venv/bin/python tools/make_release_fixture.py`.
"""
from __future__ import annotations

import lzma
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main() -> int:
    version = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    out = ROOT / "tests" / "fixtures" / f"store-{version}.db.xz"
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp) / "demo"
        subprocess.run([sys.executable, str(ROOT / "main.py"), "demo", "--workdir", str(work)], check=True,
                       stdout=subprocess.DEVNULL)
        store = work / "inspector.db"
        con = sqlite3.connect(store)
        try:
            con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            con.execute("VACUUM")
        except sqlite3.DatabaseError:
            pass  # an encrypted store: kept as it is
        finally:
            con.close()
        out.write_bytes(lzma.compress(store.read_bytes(), preset=9))
        passwords = work / "passwords"
        if passwords.is_dir():
            target = out.with_name(f"store-{version}.passwords")
            shutil.rmtree(target, ignore_errors=True)
            shutil.copytree(passwords, target)
    print(out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
