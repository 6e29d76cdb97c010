"""A small disk for the full-disk cases: a 2 MB tmpfs (the tests run as root in the project's
sandbox, where mount is allowed; elsewhere the case is skipped, saying why)."""
from __future__ import annotations

import subprocess

import pytest


@pytest.fixture
def tiny_disk(tmp_path):
    """A 2 MB tmpfs mounted for the test, unmounted after it."""
    mnt = tmp_path / "tiny"
    mnt.mkdir()
    out = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2M", "tmpfs", str(mnt)], capture_output=True, text=True)
    if out.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here ({out.stderr.strip()}): the full-disk case needs one")
    try:
        yield mnt
    finally:
        subprocess.run(["umount", "-l", str(mnt)], capture_output=True)


def fill(disk, leave: int = 0) -> None:
    """Fill `disk` up to `leave` bytes free."""
    import os

    free = os.statvfs(disk).f_bavail * os.statvfs(disk).f_frsize
    with open(disk / "filler", "wb") as f:
        f.write(b"\0" * max(0, free - leave))
        f.flush()
