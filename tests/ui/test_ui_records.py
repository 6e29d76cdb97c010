"""Record review driven by clicks: draw the sample, answer the checklist, fail with an amount."""
from __future__ import annotations

from decimal import Decimal

import pytest
from PySide6.QtCore import Qt

pytest.importorskip("inspector.checks.records", reason="the record-review core is not on this branch yet")

from inspector.checks.records import records_summary  # noqa: E402
from ui.main_window import MainWindow  # noqa: E402
from ui.records import RecordsView  # noqa: E402


def test_record_review(qtbot, ctx):
    w = MainWindow(ctx)
    qtbot.addWidget(w)
    w.resize(1366, 768)
    w.show()
    view = w.open_inspection(w.home.selected_id()).show_screen("records")
    assert isinstance(view, RecordsView) and view.records.count() == 0
    qtbot.mouseClick(view.draw_button, Qt.MouseButton.LeftButton)
    with ctx.engine.connect() as c:
        summary = records_summary(c, 1)
    assert view.records.count() == summary.n > 0 and str(summary.seed) in view.sample_info.text()
    first = summary.records[0]
    assert view.current == first.mdtrt_id
    assert view.front_labels["mdtrt_id"][1].text() == first.mdtrt_id
    assert view.fees.rowCount() > 0
    assert {view.fees.data(view.fees.index(r, [c.name for c in view.fees.columns].index("mdtrt_id")))
            for r in range(view.fees.rowCount())} == {first.mdtrt_id}
    # every item passes but the second, which fails with an amount and a note
    for i, row in enumerate(view.rows):
        if i == 1:
            row.amount.setText("120.50")
            row.note.setText("无医嘱收费")
            qtbot.mouseClick(view.rows[i].radios["fail"], Qt.MouseButton.LeftButton)
        elif i == 2:
            qtbot.mouseClick(view.rows[i].radios["na"], Qt.MouseButton.LeftButton)
        else:
            qtbot.mouseClick(view.rows[i].radios["pass"], Qt.MouseButton.LeftButton)
    with ctx.engine.connect() as c:
        rec = next(r for r in records_summary(c, 1).records if r.mdtrt_id == first.mdtrt_id)
    assert rec.status == "fail" and rec.amount == Decimal("120.50")
    assert [i.outcome for i in rec.items][:3] == ["pass", "fail", "na"] and rec.items[1].note == "无医嘱收费"
    assert "120.50" in view.records.item(0).text()
    # an amount with a pass is refused by the core and shown
    view.rows[0].amount.setText("5")
    qtbot.mouseClick(view.rows[0].radios["pass"], Qt.MouseButton.LeftButton)
    assert view.message.text()
