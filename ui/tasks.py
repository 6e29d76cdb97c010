"""One way to run long work off the GUI thread, with progress, cancel and results back.

`TaskRunner.run(fn, ...)` calls `fn(progress)` on a worker thread. `fn` must not touch
widgets; it opens its own Session. Its result (or exception) is delivered on the GUI
thread to `on_done` (or `on_error`). Writes go to a one-thread pool, so they never race.
A progress dialog appears only if the work takes longer than `DIALOG_DELAY_MS`; its
Cancel calls `progress.cancel()`, which the core checks between batches.
"""
from __future__ import annotations

import time
import traceback
from collections.abc import Callable
from typing import Any

import shiboken6
from PySide6.QtCore import QObject, QRunnable, Qt, QThreadPool, QTimer, Signal, Slot
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from inspector.db import StoreError
from inspector.errors import UserError
from inspector.i18n import _
from inspector.progress import Cancelled, Progress

DIALOG_DELAY_MS = 600
_EMIT_INTERVAL = 0.05


class _ProgressRelay(QObject):
    progress = Signal(str, int, int)   # label, done, total (-1: unknown)
    status = Signal(str)


class QtProgress(Progress):
    """A core Progress whose reports reach the GUI thread as (throttled) Qt signals."""

    def __init__(self) -> None:
        super().__init__()
        self.relay = _ProgressRelay()
        self._last_emit = 0.0
        self._last_label: str | None = None

    def on_progress(self) -> None:
        now = time.monotonic()
        finished = self.total is not None and self.done >= self.total
        if self.label == self._last_label and not finished and now - self._last_emit < _EMIT_INTERVAL:
            return
        self._last_emit, self._last_label = now, self.label
        self.relay.progress.emit(self.label, int(self.done), -1 if self.total is None else int(self.total))

    def on_status(self) -> None:
        self.relay.status.emit(self.status_text)


class _Runnable(QRunnable):
    def __init__(self, task: Task) -> None:
        super().__init__()
        self.task = task
        self.setAutoDelete(True)

    def run(self) -> None:
        try:
            result = self.task.fn(self.task.progress)
        except BaseException as exc:  # delivered to the GUI thread, never lost
            exc.__traceback_text__ = traceback.format_exc()  # type: ignore[attr-defined]
            self.task._relay.emit(False, exc)
        else:
            self.task._relay.emit(True, result)


class Task(QObject):
    """One piece of background work; `done` fires on the GUI thread when it has ended."""

    done = Signal()
    _relay = Signal(bool, object)

    def __init__(self, fn: Callable[[QtProgress], Any], title: str, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.fn = fn
        self.title = title
        self.progress = QtProgress()
        self.result: Any = None
        self.error: BaseException | None = None
        self.finished_ok = False
        self.running = True
        self.on_done: Callable[[Any], None] | None = None
        self.on_error: Callable[[BaseException], None] | None = None
        self.guard: QObject | None = None   # callbacks are skipped once this widget is gone
        self._relay.connect(self._deliver, Qt.ConnectionType.QueuedConnection)

    def cancel(self) -> None:
        self.progress.cancel()

    @Slot(bool, object)
    def _deliver(self, ok: bool, value: Any) -> None:
        self.running = False
        alive = self.guard is None or shiboken6.isValid(self.guard)
        try:
            if ok:
                self.result, self.finished_ok = value, True
                if self.on_done is not None and alive:
                    self.on_done(value)
            else:
                self.error = value
                if self.on_error is not None and alive:
                    self.on_error(value)
        finally:
            self.done.emit()   # always: the runner must not wait for a task whose callback failed


def _display_label(label: str) -> str:
    """Core work items are often contract table names: show their translated name."""
    from ui.models.labels import TABLE_LABELS, table_label

    return table_label(label) if label in TABLE_LABELS else _(label)


class ProgressDialog(QDialog):
    """A bar per work item (e.g. per table of a sync), a status line and a working Cancel."""

    def __init__(self, task: Task, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.task = task
        self.setWindowTitle(task.title)
        self.setModal(True)
        self.setMinimumWidth(460)
        self._layout = QVBoxLayout(self)
        self.status = QLabel(_("Working…"))
        self.status.setWordWrap(True)
        self._layout.addWidget(self.status)
        self._bars: dict[str, QProgressBar] = {}
        self._bar_layout = QVBoxLayout()
        self._layout.addLayout(self._bar_layout)
        self._layout.addStretch(1)
        buttons = QDialogButtonBox()
        self.cancel_button = QPushButton(_("Cancel"))
        buttons.addButton(self.cancel_button, QDialogButtonBox.ButtonRole.RejectRole)
        self._layout.addWidget(buttons)
        self.cancel_button.clicked.connect(self.request_cancel)
        task.progress.relay.progress.connect(self.on_progress)
        task.progress.relay.status.connect(lambda text: self.status.setText(_(text)))

    def bar(self, label: str) -> QProgressBar:
        if label not in self._bars:
            bar = QProgressBar()
            bar.setFormat(f"{_display_label(label)}  %v / %m")
            bar.setTextVisible(True)
            self._bars[label] = bar
            self._bar_layout.addWidget(bar)
        return self._bars[label]

    @Slot(str, int, int)
    def on_progress(self, label: str, done: int, total: int) -> None:
        bar = self.bar(label)
        label = _display_label(label)
        if total < 0:
            bar.setRange(0, 0)
            bar.setFormat(f"{label}  {done:,}")
        else:
            # QProgressBar holds ints: scale big totals so they fit.
            scale = max(1, total // 1_000_000_000 + 1)
            bar.setRange(0, max(total // scale, 1))
            bar.setValue(min(done // scale, total // scale))
            bar.setFormat(f"{label}  {done:,} / {total:,}")

    def request_cancel(self) -> None:
        self.task.cancel()
        self.cancel_button.setEnabled(False)
        self.status.setText(_("Cancelling…"))

    def reject(self) -> None:  # Esc or the window's close button cancel the work too
        if self.task.running:
            self.request_cancel()
        else:
            super().reject()


class TaskRunner(QObject):
    """Starts tasks, shows their progress after a delay, reports errors; no globals."""

    idle = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.read_pool = QThreadPool(self)
        self.read_pool.setMaxThreadCount(2)
        self.write_pool = QThreadPool(self)
        self.write_pool.setMaxThreadCount(1)
        self.active: set[Task] = set()
        self.dialog_parent: QWidget | None = None

    def run(
        self,
        fn: Callable[[QtProgress], Any],
        *,
        title: str,
        on_done: Callable[[Any], None] | None = None,
        on_error: Callable[[BaseException], None] | None = None,
        write: bool = False,
        show_progress: bool = True,
        parent: QWidget | None = None,
    ) -> Task:
        """Run `fn(progress)` off the GUI thread; callbacks run on the GUI thread."""
        task = Task(fn, title, self)
        task.guard = parent
        task.on_done = on_done
        task.on_error = on_error or (lambda exc: self.show_error(exc, parent or self.dialog_parent, title))
        self.active.add(task)
        dialog: ProgressDialog | None = None
        if show_progress:
            dialog = ProgressDialog(task, parent or self.dialog_parent)
            timer = QTimer(task)
            timer.setSingleShot(True)
            timer.timeout.connect(lambda: task.running and shiboken6.isValid(dialog) and dialog.show())
            timer.start(DIALOG_DELAY_MS)
            task.dialog = dialog  # type: ignore[attr-defined]

        def finish() -> None:
            if dialog is not None and shiboken6.isValid(dialog):
                dialog.hide()
                dialog.deleteLater()
            self.active.discard(task)
            if not self.active:
                self.idle.emit()

        task.done.connect(finish)
        (self.write_pool if write else self.read_pool).start(_Runnable(task))
        return task

    def wait_idle(self, timeout_ms: int = 30000) -> bool:
        """Block (processing events) until no task runs; for tests and shutdown."""
        from PySide6.QtCore import QCoreApplication, QDeadlineTimer

        deadline = QDeadlineTimer(timeout_ms)
        while self.active and not deadline.hasExpired():
            QCoreApplication.processEvents()
            self.read_pool.waitForDone(10)
            self.write_pool.waitForDone(10)
        QCoreApplication.processEvents()
        return not self.active

    @staticmethod
    def show_error(exc: BaseException, parent: QWidget | None, title: str) -> None:
        """Tell the user what went wrong: their error plainly, a bug with its traceback."""
        box = QMessageBox(parent)
        box.setWindowTitle(title)
        if isinstance(exc, Cancelled):
            box.setIcon(QMessageBox.Icon.Information)
            box.setText(_("Cancelled; nothing was changed."))
        elif isinstance(exc, (UserError, StoreError)):
            box.setIcon(QMessageBox.Icon.Warning)
            box.setText(str(exc))
        else:
            box.setIcon(QMessageBox.Icon.Critical)
            box.setText(_("Unexpected error: {error}").format(error=f"{type(exc).__name__}: {exc}"))
            box.setDetailedText(getattr(exc, "__traceback_text__", ""))
        box.setModal(True)
        box.show()
