"""Big tables in the GUI: a sort or filter runs off the GUI thread with a Cancel that stops
SQLite mid-query, a background count can be stopped, and screening shows each rule's
translated name as it runs."""
from __future__ import annotations

import threading

import pytest
from PySide6.QtCore import QRunnable, Qt

from ui.data_browser import DataBrowser
from ui.main_window import MainWindow
from ui.tasks import DIALOG_DELAY_MS


class _Blocker(QRunnable):
    """Holds one worker thread until released: the next task queues behind it, as it would
    behind a slow query, so the test sees the 'still running' state for sure."""

    def __init__(self, release: threading.Event) -> None:
        super().__init__()
        self.release = release

    def run(self) -> None:
        self.release.wait(30)


@pytest.fixture
def browser(qtbot, ctx):
    w = MainWindow(ctx)
    qtbot.addWidget(w)
    w.resize(1366, 768)
    w.show()
    b = w.open_inspection(w.home.selected_id()).show_screen("data")
    assert isinstance(b, DataBrowser)
    yield b
    assert ctx.tasks.wait_idle(30000)


def _hold_workers(ctx) -> threading.Event:
    release = threading.Event()
    for _ in range(ctx.tasks.read_pool.maxThreadCount()):
        ctx.tasks.read_pool.start(_Blocker(release))
    return release


def test_a_sort_runs_in_the_background_and_cancel_keeps_the_rows_shown(qtbot, ctx, browser):
    before = list(browser.model.ids)
    col = [c.name for c in browser.model.columns].index("pric")
    release = _hold_workers(ctx)
    try:
        browser.view.horizontalHeader().setSortIndicator(col, Qt.SortOrder.DescendingOrder)
        task = browser.last_task
        assert task.running and browser.model.query.sort_column is None     # the GUI thread did not wait
        qtbot.wait(DIALOG_DELAY_MS + 200)                                    # the event loop runs meanwhile
        dialog = task.dialog
        assert dialog.isVisible()                                            # progress with a Cancel
        qtbot.mouseClick(dialog.cancel_button, Qt.MouseButton.LeftButton)
        assert task.progress.is_cancelled()
    finally:
        release.set()
    assert ctx.tasks.wait_idle(30000)
    assert not task.finished_ok
    assert browser.model.query.sort_column is None and list(browser.model.ids) == before
    # the same sort, not cancelled, is applied
    browser.view.horizontalHeader().setSortIndicator(col, Qt.SortOrder.AscendingOrder)
    assert ctx.tasks.wait_idle(30000)
    assert browser.model.query.sort_column == "pric" and not browser.model.query.descending


def test_a_background_count_can_be_stopped(qtbot, ctx, browser):
    browser.column.setCurrentIndex(browser.column.findData("med_list_codg"))
    browser.filter.setText("C0001")
    browser.apply_filter()
    assert ctx.tasks.wait_idle(30000)
    assert browser.shown_generation == browser._generation and browser.model.rowCount() > 0
    rows_shown = browser.model.rowCount()
    release = _hold_workers(ctx)
    try:
        browser._count_in_background(browser.model.query)                  # as after a big first page
        assert browser.stop_count.isVisible()
        qtbot.mouseClick(browser.stop_count, Qt.MouseButton.LeftButton)
        assert browser._count_task.progress.is_cancelled()
    finally:
        release.set()
    assert ctx.tasks.wait_idle(30000)
    assert browser.count.text() == "已停止计数" and not browser.stop_count.isVisible()
    assert browser.model.rowCount() == rows_shown                          # the rows stay


def test_screening_from_the_gui_names_each_rule_as_it_runs(qtbot, ctx):
    w = MainWindow(ctx)
    qtbot.addWidget(w)
    w.show()
    view = w.open_inspection(w.home.selected_id()).show_screen("leads")
    statuses: list[str] = []
    labels: set[str] = set()
    qtbot.mouseClick(view.run_button, Qt.MouseButton.LeftButton)
    view.task.progress.relay.status.connect(statuses.append, Qt.ConnectionType.DirectConnection)
    view.task.progress.relay.progress.connect(lambda label, _d, _t: labels.add(label),
                                              Qt.ConnectionType.DirectConnection)
    assert ctx.tasks.wait_idle(60000) and view.task.finished_ok
    # The task may have started before we listened: the status texts we saw are translated rule names.
    rule_lines = [s for s in statuses if s[:1] == "S" and "（" in s]
    assert rule_lines and all("/9）" in s for s in rule_lines)
    assert "S9 重叠住院（9/9）" in statuses
    assert labels <= {"筛查规则"} and "正在保存疑点" in statuses
