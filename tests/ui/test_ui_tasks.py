"""The background runner: results on the GUI thread, errors shown, cancel, dialog after a delay."""
from __future__ import annotations

import threading
import time

from PySide6.QtCore import QThread
from PySide6.QtWidgets import QApplication, QWidget

from inspector.errors import UserError
from ui.tasks import DIALOG_DELAY_MS, ProgressDialog, TaskRunner


def test_result_comes_back_on_the_gui_thread(qapp):
    runner = TaskRunner()
    seen = {}

    def work(progress):
        seen["worker"] = threading.get_ident()
        progress.set_progress("feedetl", 5, 10)
        return 42

    runner.run(work, title="t", on_done=lambda v: seen.update(value=v, thread=QThread.currentThread()),
               show_progress=False)
    assert runner.wait_idle()
    assert seen["value"] == 42 and seen["thread"] is qapp.thread() and seen["worker"] != threading.get_ident()


def test_cancel_stops_the_work_and_the_dialog_appears_after_the_delay(qtbot):
    parent = QWidget()
    qtbot.addWidget(parent)
    runner = TaskRunner()
    errors = []

    def work(progress):
        for i in range(500):
            progress.check()
            progress.set_progress("mdtrt", i, 500)
            time.sleep(0.01)
        return "finished"

    task = runner.run(work, title="long", on_error=errors.append, parent=parent)
    assert not task.dialog.isVisible()
    qtbot.waitUntil(lambda: task.dialog.isVisible(), timeout=DIALOG_DELAY_MS + 2000)
    dialog: ProgressDialog = task.dialog
    qtbot.waitUntil(lambda: "mdtrt" in dialog._bars, timeout=2000)
    dialog.cancel_button.click()
    assert runner.wait_idle()
    from inspector.progress import Cancelled

    assert len(errors) == 1 and isinstance(errors[0], Cancelled) and not task.finished_ok


def test_user_errors_reach_the_callback_and_dead_widgets_get_nothing(qtbot):
    runner = TaskRunner()
    errors = []

    def bad(_p):
        raise UserError("no such institution")

    runner.run(bad, title="t", on_error=errors.append, show_progress=False)
    assert runner.wait_idle() and str(errors[0]) == "no such institution"
    w = QWidget()
    called = []
    runner.run(lambda _p: time.sleep(0.2), title="t", on_done=called.append, show_progress=False, parent=w)
    w.deleteLater()
    QApplication.processEvents()
    from PySide6.QtCore import QCoreApplication, QEvent

    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    assert runner.wait_idle() and called == []
