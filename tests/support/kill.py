"""Run a real `main.py` command with its progress on a terminal (a pty) and SIGKILL it at a chosen
point, the way a dying battery or `kill -9` would stop it."""
from __future__ import annotations

import os
import pty
import re
import select
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def run_and_kill(args: list[str], should_kill: Callable[[str | None], bool], env: dict | None = None,
                 timeout: float = 120, open_line: bool = False) -> tuple[int, str]:
    """`python main.py ARGS` with stderr on a terminal; SIGKILL when `should_kill(line)` for a line of
    its output, and `should_kill(None)` about twenty times a second (for kills decided by the state
    of the store). `open_line`: a line not ended yet is asked about too (a progress bar redrawn in
    place stays open while the work runs; it may be cut anywhere). Returns the exit code
    (-SIGKILL when killed) and what it printed."""
    master, slave = pty.openpty()
    proc = subprocess.Popen([sys.executable, "main.py", *args], cwd=ROOT, stdout=subprocess.PIPE, stderr=slave,
                            stdin=subprocess.DEVNULL, env={**os.environ, **(env or {})})
    os.close(slave)
    seen, buffer = "", ""
    deadline = time.monotonic() + timeout

    def kill() -> tuple[int, str]:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
        return proc.returncode, seen

    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], 0.05)
            if should_kill(None):
                return kill()
            if not ready:
                if proc.poll() is not None:
                    break
                continue
            try:
                chunk = os.read(master, 4096).decode(errors="replace")
            except OSError:
                break
            buffer += chunk
            *lines, buffer = re.split(r"[\r\n]", buffer)
            for line in lines:
                seen += line + "\n"
                if should_kill(line.strip()):
                    return kill()
            if open_line and buffer and should_kill(buffer.strip()):
                seen += buffer + "\n"
                return kill()
    finally:
        os.close(master)
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    return proc.wait(timeout=30), seen
