"""The shell driven like a user: home list, open a workspace, data browser, language, help."""
from __future__ import annotations

from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtWidgets import QApplication, QDialogButtonBox

from inspector import i18n
from ui.data_browser import DataBrowser
from ui.main_window import MainWindow
from ui.settings import UiSettings
from ui.shortcuts import ShortcutsDialog


def _window(qtbot, ctx) -> MainWindow:
    w = MainWindow(ctx)
    qtbot.addWidget(w)
    w.show()
    w.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is w)
    return w


def test_home_lists_the_store_and_enter_opens_the_workspace(qtbot, ctx):
    w = _window(qtbot, ctx)
    m = w.home.model
    assert m.rowCount() == 1
    assert "测试医院" in m.data(m.index(0, 0)) and m.data(m.index(0, 5)) == "3,000"
    assert m.headerData(0, Qt.Orientation.Horizontal) == "机构"  # Chinese by default
    w.home.table.setFocus()
    qtbot.keyClick(w.home.table, Qt.Key.Key_Return)
    assert w.workspace is not None and w.stack.currentWidget() is w.workspace
    assert w.workspace.screen_keys()[-1] == "data"
    qtbot.keyClick(w, Qt.Key.Key_H, Qt.KeyboardModifier.ControlModifier)
    assert w.workspace is None and w.stack.currentWidget() is w.home


def test_data_browser_filters_in_sql_off_the_gui_thread(qtbot, ctx):
    w = _window(qtbot, ctx)
    ws = w.open_inspection(w.home.selected_id())
    browser = ws.show_screen("data")
    assert isinstance(browser, DataBrowser)
    assert browser.current_table() == "feedetl" and browser.model.rowCount() == 100
    assert browser.model.canFetchMore(QModelIndex())
    assert "3,000" in browser.count.text()
    # pick the item-code column and type a code; Enter applies it
    browser.column.setCurrentIndex(browser.column.findData("med_list_codg"))
    browser.filter.setFocus()
    qtbot.keyClicks(browser.filter, "C0001")
    qtbot.keyClick(browser.filter, Qt.Key.Key_Return)
    assert ctx.tasks.wait_idle()
    with ctx.engine.connect() as c:
        expected = c.exec_driver_sql("SELECT count(*) FROM snap_feedetl WHERE med_list_codg='C0001'").scalar()
    assert "{:,}".format(expected) in browser.count.text()  # counted in the background
    browser.view.scrollToBottom()  # the view asks for more rows as it scrolls
    while browser.model.canFetchMore(QModelIndex()):
        browser.model.fetchMore(QModelIndex())
    n = browser.model.rowCount()
    assert n == expected
    # a bad number for a money column is shown inline and changes nothing
    browser.column.setCurrentIndex(browser.column.findData("det_item_fee_sumamt"))
    browser.filter.setText("abc")
    qtbot.keyClick(browser.filter, Qt.Key.Key_Return)
    assert browser.error.isVisible() and "abc" in browser.error.text()
    assert browser.model.rowCount() == n
    # Esc clears the filter, a header click sorts in SQL
    qtbot.keyClick(browser.filter, Qt.Key.Key_Escape)
    assert browser.filter.text() == ""
    col = [c.name for c in browser.model.columns].index("pric")
    browser.view.horizontalHeader().setSortIndicator(col, Qt.SortOrder.DescendingOrder)
    assert ctx.tasks.wait_idle()
    assert browser.model.query.sort_column == "pric" and browser.model.query.descending
    top = browser.model.data(browser.model.index(0, col))
    with ctx.engine.connect() as c:
        assert top == str(c.exec_driver_sql("SELECT max(pric) FROM snap_feedetl").scalar() / 10000)
    # another table
    browser.show_table("mdtrt")
    assert browser.model.table == "mdtrt" and browser.model.rowCount() == 40


def test_language_switches_live_and_is_remembered(qtbot, ctx, tmp_path):
    w = _window(qtbot, ctx)
    ws = w.open_inspection(w.home.selected_id())
    browser = ws.show_screen("data")
    assert ws.sidebar.item(ws.screen_keys().index("data")).text() == "数据"
    assert w.file_menu.title().startswith("文件")
    qtbot.keyClick(w, Qt.Key.Key_L, Qt.KeyboardModifier.ControlModifier)
    assert i18n.language() == "en"
    assert ws.sidebar.item(ws.screen_keys().index("data")).text() == "Data"
    assert w.file_menu.title() == "&File"
    assert browser.model.headerData(0, Qt.Orientation.Horizontal) == "Fee line no."
    assert ctx.language.qt_catalogs_loaded() == 0
    ctx.settings.sync()
    assert UiSettings(tmp_path / "settings.ini").language() == "en"
    w.set_language("zh_CN")
    assert browser.model.headerData(0, Qt.Orientation.Horizontal) == "费用明细流水号"
    assert ctx.language.qt_catalogs_loaded() >= 1
    # Qt's own standard buttons come from Qt's catalog
    box = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
    assert box.button(QDialogButtonBox.StandardButton.Cancel).text() == "取消"


def test_help_lists_every_shortcut(qtbot, ctx):
    w = _window(qtbot, ctx)
    qtbot.keyClick(w, Qt.Key.Key_F1)
    dialogs = [d for d in QApplication.topLevelWidgets() if isinstance(d, ShortcutsDialog) and d.isVisible()]
    assert dialogs
    table = dialogs[-1].table
    texts = {table.item(r, 1).text() for r in range(table.rowCount())}
    assert "切换语言（中文 / English）" in texts and table.rowCount() >= 10
    dialogs[-1].close()


def test_geometry_is_saved_in_qsettings(qtbot, ctx, tmp_path):
    w = _window(qtbot, ctx)
    w.resize(1100, 700)
    w.close()
    assert UiSettings(tmp_path / "settings.ini").geometry("main") is not None
