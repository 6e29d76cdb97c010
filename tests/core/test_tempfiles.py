"""Files that leave the store go only where the user chose; temporary files holding patient data
are removed when the command ends, after an error or a SIGTERM too."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from inspector.tempfiles import private_tempdir, sweep_stale
from tests.core.test_xlsx_import import HOSP, sheets_of, workbook

PY = [sys.executable, "main.py"]


def _env(tmpdir: Path) -> dict[str, str]:
    return {**os.environ, "TMPDIR": str(tmpdir), "PYTHONPATH": str(Path.cwd())}


def _import(tmp_path: Path, book: Path, institution: str = HOSP) -> subprocess.CompletedProcess:
    tmpdir = tmp_path / "tmp"
    tmpdir.mkdir(exist_ok=True)
    return subprocess.run([*PY, "import-xlsx", str(book), "--institution", institution, "--from", "2026-10-01",
                           "--to", "2026-10-31", "--visit-time", "2026-11-01 09:00:00", "--db", str(tmp_path / "s.db")],
                          env=_env(tmpdir), capture_output=True, text=True, timeout=120)


def test_import_errors_leave_no_temporary_file(tmp_path, cli_account):
    """Refused after staging began (a bad cell), and refused after the staged copy was complete
    (institution not in the workbook): exit 2 both times, and the temporary folder is empty."""
    tmpdir = tmp_path / "tmp"
    cli_account(tmp_path / "s.db", "li")                # import-xlsx: as a logged-in account
    sheets = sheets_of()
    sheets["feedetl"][3][6] = "15"  # an unknown charge type, found while staging
    bad = workbook(tmp_path / "bad.xlsx", sheets)
    proc = _import(tmp_path, bad)
    assert proc.returncode == 2, proc.stderr
    assert list(tmpdir.iterdir()) == []
    good = workbook(tmp_path / "good.xlsx", sheets_of())
    proc = _import(tmp_path, good, institution="H61019999999")
    assert proc.returncode == 2, proc.stderr
    assert list(tmpdir.iterdir()) == []
    proc = _import(tmp_path, good)
    assert proc.returncode == 0, proc.stderr
    assert list(tmpdir.iterdir()) == []
    # nothing else appeared beside the files the user named
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.xlsx", "good.xlsx", "s.db", "s.db-shm", "s.db-wal", "tmp"] \
        or sorted(p.name for p in tmp_path.iterdir()) == ["bad.xlsx", "good.xlsx", "s.db", "tmp"]


def test_private_tempdir_is_removed_after_an_error_and_on_sigterm(tmp_path):
    with pytest.raises(RuntimeError):
        with private_tempdir("test", tmp_path) as d:
            (d / "rows.db").write_bytes(b"patient data")
            assert oct(d.stat().st_mode & 0o777) == "0o700"
            raise RuntimeError("mid-command")
    assert list(tmp_path.iterdir()) == []
    # a command stopped by SIGTERM (a closed terminal, a log-out) still removes its folder
    script = ("import sys, time; from inspector.tempfiles import private_tempdir, exit_cleanly_on_signals\n"
              "exit_cleanly_on_signals()\n"
              f"with private_tempdir('test', {str(tmp_path)!r}) as d:\n"
              "    (d / 'rows.db').write_bytes(b'x'); print(d, flush=True); time.sleep(60)\n")
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONPATH": str(Path.cwd())})
    made = Path(proc.stdout.readline().strip())
    assert made.exists()
    proc.send_signal(signal.SIGTERM)
    proc.wait(timeout=30)
    assert not made.exists() and list(tmp_path.iterdir()) == []


def test_folders_of_a_killed_process_are_swept_next_time(tmp_path):
    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    dead = tmp_path / f"inspector-xlsx-{proc.pid}-abc"
    dead.mkdir()
    (dead / "central.db").write_bytes(b"patient data")
    alive = tmp_path / f"inspector-xlsx-{os.getppid()}-def"  # a running process's folder stays
    alive.mkdir()
    assert sweep_stale(tmp_path) == []
    proc.kill()
    proc.wait()
    time.sleep(0.1)
    with private_tempdir("xlsx", tmp_path):
        pass
    assert not dead.exists() and alive.exists()
