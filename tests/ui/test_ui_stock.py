"""Stock count with the keyboard only: draw, type counts with Enter, add a searched drug."""
from __future__ import annotations

from decimal import Decimal

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

pytest.importorskip("inspector.checks.stock", reason="the stock-count core is not on this branch yet")

from inspector.checks.stock import current_sample, sample_rows  # noqa: E402
from ui.main_window import MainWindow  # noqa: E402
from ui.stock import COUNTED, StockView  # noqa: E402


def test_stock_count_keyboard_flow(qtbot, ctx):
    w = MainWindow(ctx)
    qtbot.addWidget(w)
    w.resize(1366, 768)
    w.show()
    w.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is w)
    view = w.open_inspection(w.home.selected_id()).show_screen("stock")
    assert isinstance(view, StockView) and view.model.rowCount() == 0
    qtbot.mouseClick(view.draw_button, Qt.MouseButton.LeftButton)
    with ctx.engine.connect() as c:
        sample = current_sample(c, 1)
    assert sample is not None and view.model.rowCount() == len(sample.drugs) > 2
    assert view.table.currentIndex().column() == COUNTED and view.table.currentIndex().row() == 0
    rows = view.model.rows
    typed = []
    for n in range(3):   # type a number, Enter: saved, and the next drug's cell is current
        r = rows[n] if n < len(view.model.rows) else None
        qty = f"{r.expected + (0 if n == 0 else (-5 if n == 1 else 7)):.2f}"
        qtbot.keyClick(view.table, qty[0])          # any key starts editing the Counted cell
        editor = QApplication.focusWidget()
        qtbot.keyClicks(editor, qty[1:])
        qtbot.keyClick(editor, Qt.Key.Key_Return)
        qtbot.wait(20)                                # the delegate commits on a queued call
        typed.append((r.med_list_codg, Decimal(qty)))
        assert view.table.currentIndex().row() == n + 1, view.message.text()
    with ctx.engine.connect() as c:
        counted = {r.med_list_codg: r for r in sample_rows(c, 1)}
    for code, qty in typed:
        assert counted[code].counted == qty
    statuses = [counted[code].status for code, _q in typed]
    assert statuses == ["ok", "shortage", "surplus"]
    # colours follow the status; the stocking ratio line is shown
    from ui.stock import STATUS_COLOURS

    bg = view.model.data(view.model.index(1, 0), Qt.ItemDataRole.BackgroundRole)
    assert bg.color().name() == STATUS_COLOURS["shortage"]
    assert "%" in view.stocking.text()
    # a bad quantity is refused, nothing recorded
    view.table.setCurrentIndex(view.model.index(3, COUNTED))
    qtbot.keyClick(view.table, "a")
    qtbot.keyClicks(QApplication.focusWidget(), "bc")
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Return)
    qtbot.wait(20)
    with ctx.engine.connect() as c:
        assert {r.med_list_codg: r for r in sample_rows(c, 1)}[rows[3].med_list_codg].counted is None
    assert view.message.text()
    # search a drug by code and add it
    outside = [code for code in (f"X{i:022d}" for i in range(20)) if code not in sample.drugs]
    if outside:
        view.search.setFocus()
        qtbot.keyClicks(view.search, outside[0])
        qtbot.keyClick(view.search, Qt.Key.Key_Return)
        assert view.results.count() == 1
        qtbot.keyClick(view.results, Qt.Key.Key_Return)
        with ctx.engine.connect() as c:
            assert outside[0] in current_sample(c, 1).added
