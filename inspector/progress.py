"""Qt-free progress and cancel for long core work (sync, import, screening, reports).

Core functions take a `Progress`, call `step`/`status` as they go and `check` between
batches; the CLI prints it as a bar, the GUI relays it to a dialog.
"""
from __future__ import annotations

import sys
import threading
import time
from typing import TextIO

from inspector.i18n import gettext


class Cancelled(Exception):
    """Raised inside long work when the user cancelled; the work undoes itself."""


class Progress:
    """Base progress sink: remembers the latest state and carries the cancel flag."""

    def __init__(self) -> None:
        self._cancel = threading.Event()
        self.label = ""
        self.done = 0
        self.total: int | None = None
        self.status_text = ""

    # reporting -------------------------------------------------------------------
    def set_progress(self, label: str, done: int, total: int | None) -> None:
        """Work item `label` is at `done` of `total` (None: unknown)."""
        self.label, self.done, self.total = label, done, total
        self.on_progress()

    def set_status(self, text: str) -> None:
        self.status_text = text
        self.on_status()

    def on_progress(self) -> None:  # overridden by sinks that show something
        pass

    def on_status(self) -> None:
        pass

    # cancelling ------------------------------------------------------------------
    def cancel(self) -> None:
        """Ask the work to stop; safe from any thread."""
        self._cancel.set()

    def is_cancelled(self) -> bool:
        return self._cancel.is_set()

    def check(self) -> None:
        """Raise `Cancelled` if the user asked to stop."""
        if self._cancel.is_set():
            raise Cancelled()


class TextProgress(Progress):
    """Prints a one-line bar per work item to a terminal (or plain lines to a pipe)."""

    def __init__(self, stream: TextIO | None = None, min_interval: float = 0.1) -> None:
        super().__init__()
        self.stream = stream or sys.stderr
        self.min_interval = min_interval
        self._last = 0.0
        self._last_label = None
        self._tty = hasattr(self.stream, "isatty") and self.stream.isatty()

    def on_progress(self) -> None:
        now = time.monotonic()
        finished = self.total is not None and self.done >= self.total
        new_label = self.label != self._last_label
        if not (finished or new_label or now - self._last >= self.min_interval):
            return
        self._last = now
        if new_label and self._last_label is not None and self._tty:
            self.stream.write("\n")
        self._last_label = self.label
        if self.total:
            frac = min(1.0, self.done / self.total)
            bar = "#" * int(frac * 30)
            line = f"{gettext(self.label):<12} [{bar:<30}] {self.done:>10,}/{self.total:,}"
        else:
            line = f"{gettext(self.label):<12} {self.done:>10,}"
        if self._tty:
            self.stream.write("\r" + line)
            if finished:
                self.stream.write("\n")
                self._last_label = None
        elif finished or new_label:
            self.stream.write(line + "\n")
        self.stream.flush()

    def on_status(self) -> None:
        self.stream.write(gettext(self.status_text) + "\n")
        self.stream.flush()
