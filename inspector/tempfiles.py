"""Temporary files that hold patient data: private, and gone when the command ends.

Every temporary folder the program makes goes through `private_tempdir`: created mode 0700,
named `inspector-<kind>-<pid>-...` and removed when the `with` block ends, whether the work
succeeded, raised, or was interrupted (Ctrl+C; SIGTERM and SIGHUP are turned into a normal
exit by `exit_cleanly_on_signals`, which the CLI installs). A process killed outright
(SIGKILL, power cut) cannot clean up: the next `private_tempdir` sweeps folders whose
process is gone. Files leaving the store otherwise go only where the user chose (`--out`,
a save dialog), written through a temporary file in that same folder and renamed.
"""
from __future__ import annotations

import os
import re
import shutil
import signal
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

PREFIX = "inspector-"
_OURS = re.compile(rf"^{PREFIX}[a-z]+-(\d+)-")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def sweep_stale(folder: Path | str | None = None) -> list[Path]:
    """Remove temporary folders of ours left by a process that no longer runs; returns them."""
    base = Path(folder) if folder is not None else Path(tempfile.gettempdir())
    removed = []
    try:
        entries = list(base.iterdir())
    except OSError:
        return removed
    for entry in entries:
        m = _OURS.match(entry.name)
        if m and entry.is_dir() and int(m.group(1)) != os.getpid() and not _alive(int(m.group(1))):
            shutil.rmtree(entry, ignore_errors=True)
            removed.append(entry)
    return removed


@contextmanager
def private_tempdir(kind: str, folder: Path | str | None = None) -> Iterator[Path]:
    """A fresh 0700 folder for `kind` of work (a lowercase word), removed when the block ends."""
    if not re.fullmatch(r"[a-z]+", kind):
        raise ValueError(kind)
    sweep_stale(folder)
    path = Path(tempfile.mkdtemp(prefix=f"{PREFIX}{kind}-{os.getpid()}-", dir=folder))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def exit_cleanly_on_signals() -> None:
    """SIGTERM / SIGHUP end the program through SystemExit, so `finally` blocks and `with` exits run."""
    def handler(signum, _frame):
        raise SystemExit(128 + signum)

    for sig in (signal.SIGTERM, getattr(signal, "SIGHUP", None)):
        if sig is not None:
            try:
                signal.signal(sig, handler)
            except (ValueError, OSError):  # not the main thread: leave the default
                pass
