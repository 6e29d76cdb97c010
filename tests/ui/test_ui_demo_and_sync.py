"""First start: the demo offer creates and syncs the demo; the sync dialog syncs an institution
picked by search; a refused workbook shows its errors in a table that copies."""
from __future__ import annotations

from datetime import datetime

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QMessageBox

pytest.importorskip("inspector.demo.central", reason="the demo core is not on this branch yet")
pytest.importorskip("inspector.sync.central", reason="the sync core is not on this branch yet")

from inspector.inspections import list_inspections  # noqa: E402
from ui.context import create_context  # noqa: E402
from ui.main_window import MainWindow  # noqa: E402
from ui.new_inspection import NewInspectionDialog  # noqa: E402


@pytest.fixture
def empty_ctx(qapp, tmp_path):
    from inspector import i18n

    context = create_context(tmp_path / "empty.db", tmp_path / "settings.ini")
    yield context
    context.close()
    i18n.set_language(i18n.DEFAULT_LANGUAGE)


def test_first_start_offers_the_demo_and_opens_it(qtbot, empty_ctx):
    ctx = empty_ctx
    w = MainWindow(ctx)
    qtbot.addWidget(w)
    w.show()
    assert w.home.model.rowCount() == 0 and w.home.empty.isVisible()
    box = w.offer_demo_if_empty()
    assert isinstance(box, QMessageBox) and box.isVisible()
    qtbot.mouseClick(box.button(QMessageBox.StandardButton.Yes), Qt.MouseButton.LeftButton)
    assert ctx.tasks.wait_idle(120_000)
    with ctx.session() as s:
        rows = list_inspections(s)
    assert len(rows) == 1 and rows[0]["row_counts"]["feedetl"] > 1000
    assert w.workspace is not None and w.workspace.info.inspection_id == rows[0]["id"]
    assert ctx.settings.value("central_url").endswith("demo-central.db")


def test_sync_dialog_searches_institutions_and_syncs(qtbot, empty_ctx):
    ctx = empty_ctx
    w = MainWindow(ctx)
    qtbot.addWidget(w)
    w.show()
    w.create_demo()                      # builds the demo central and remembers its URL
    assert ctx.tasks.wait_idle(120_000)
    with ctx.session() as s:
        rows_before = [r["fixmedins_code"] for r in list_inspections(s)]
    from inspector.demo.central import DEMO_DATE_FROM, DEMO_DATE_TO, DEMO_VISIT_TIME

    dlg = w.new_inspection("central")
    assert isinstance(dlg, NewInspectionDialog)
    assert dlg.url.currentText().endswith("demo-central.db")   # remembered
    qtbot.keyClicks(dlg.search, "P")     # pharmacies: code starts with P
    dlg.run_search()
    assert ctx.tasks.wait_idle()
    assert dlg.results.count() >= 1
    pharmacy = dlg.results.item(0).data(Qt.ItemDataRole.UserRole)
    assert pharmacy.startswith("P")
    dlg.results.setCurrentRow(0)
    assert dlg.code.text() == pharmacy
    dlg.set_request(DEMO_DATE_FROM, DEMO_DATE_TO, DEMO_VISIT_TIME)
    # Cancel works: the progress dialog's Cancel stops the copy and nothing is added
    qtbot.mouseClick(dlg.buttons.button(dlg.buttons.StandardButton.Ok), Qt.MouseButton.LeftButton)
    dlg.task.dialog.request_cancel()
    assert ctx.tasks.wait_idle(60_000)
    assert dlg.error.isVisible() and dlg.isVisible()
    with ctx.session() as s:
        assert [r["fixmedins_code"] for r in list_inspections(s)] == [rows_before[0]]
    created = []
    dlg.created.connect(created.append)
    qtbot.mouseClick(dlg.buttons.button(dlg.buttons.StandardButton.Ok), Qt.MouseButton.LeftButton)
    assert ctx.tasks.wait_idle(60_000)
    with ctx.session() as s:
        rows = {r["id"]: r for r in list_inspections(s)}
    assert created and rows[created[0]]["fixmedins_code"] == pharmacy
    assert rows[created[0]]["visit_time"] == DEMO_VISIT_TIME.strftime("%Y-%m-%d %H:%M:%S")


def test_refused_workbook_errors_are_shown_and_copied(qtbot, empty_ctx, tmp_path):
    pytest.importorskip("inspector.sync.xlsx_import", reason="the Excel import is not on this branch yet")
    from openpyxl import Workbook

    book = tmp_path / "bad.xlsx"
    wb = Workbook()
    ws = wb.active
    ws.title = "fixmedins"
    ws.append(["fixmedins_code", "fixmedins_name", "fixmedins_type", "hosp_lv", "admdvs", "aprv_bed_cnt", "addr",
               "credit_grade", "contract_status"])
    ws.append(["H61010200001", "测试医院", "1", "2", "610102", "many", "x", "A", "active"])
    wb.save(book)
    ctx = empty_ctx
    w = MainWindow(ctx)
    qtbot.addWidget(w)
    w.show()
    dlg = w.new_inspection("xlsx")
    dlg.path.setText(str(book))
    dlg.code.setText("H61010200001")
    dlg.set_request(datetime(2026, 8, 1).date(), datetime(2026, 10, 31).date(), datetime(2026, 11, 3, 10))
    qtbot.mouseClick(dlg.buttons.button(dlg.buttons.StandardButton.Ok), Qt.MouseButton.LeftButton)
    assert ctx.tasks.wait_idle(60_000)
    errors = dlg.errors_dialog
    assert errors.isVisible() and errors.model.rowCount() >= 1
    rows = [errors.model.cells(r) for r in range(errors.model.rowCount())]
    bad = [r for r in rows if r[0] == "fixmedins" and r[3] == "many"]
    assert bad and bad[0][2] == "aprv_bed_cnt" and bad[0][1] == "2"   # sheet, Excel row, column, value
    qtbot.mouseClick(errors.copy_button, Qt.MouseButton.LeftButton)
    copied = QGuiApplication.clipboard().text()
    assert "fixmedins" in copied and "many" in copied and copied.count("\n") == errors.model.rowCount() + 1
    with ctx.session() as s:
        assert list_inspections(s) == []
