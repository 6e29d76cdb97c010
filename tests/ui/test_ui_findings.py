"""Findings driven like a user: create by hand with inline validation, edit, from a census
entry with the amount from the source, evidence thumbnails; each checked in the store."""
from __future__ import annotations

from decimal import Decimal

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QPixmap

pytest.importorskip("inspector.findings", reason="the findings core is not on this branch yet")

from inspector.checks.census import census_summary, record_outcome, roster  # noqa: E402
from inspector.findings import fold_findings  # noqa: E402
from ui.findings import FindingsView  # noqa: E402
from ui.main_window import MainWindow  # noqa: E402


@pytest.fixture
def view(qtbot, ctx) -> FindingsView:
    w = MainWindow(ctx)
    qtbot.addWidget(w)
    w.resize(1366, 768)
    w.show()
    ws = w.open_inspection(w.home.selected_id())
    v = ws.show_screen("findings")
    assert isinstance(v, FindingsView)
    return v


def test_create_and_edit_a_finding_by_hand(qtbot, ctx, view):
    view.category.setCurrentIndex(view.category.findData("V03"))
    assert "第三十八条" in view.basis.text()  # Art. 38(3), in Chinese by default
    qtbot.keyClicks(view.amount, "1000.00")
    qtbot.keyClicks(view.multiplier, "3")      # V03 allows 1-2x: the core says so inline
    assert "b00020" in view.penalty.styleSheet() and "3" in view.penalty.text()
    view.description.setPlainText("重复收取床位费")
    qtbot.mouseClick(view.save_button, Qt.MouseButton.LeftButton)
    with ctx.engine.connect() as c:
        assert fold_findings(c, 1) == []           # refused: nothing recorded
    assert view.message.text()
    view.multiplier.clear()
    qtbot.keyClicks(view.multiplier, "1.5")
    assert "1,500.00" in view.penalty.text() and "2,500.00" in view.penalty.text()
    qtbot.keyClick(view.multiplier, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    with ctx.engine.connect() as c:
        (f,) = fold_findings(c, 1)
    assert (f.category, f.amount, f.multiplier, f.description) == ("V03", Decimal("1000.00"), Decimal("1.5"), "重复收取床位费")
    assert "2,500.00" in view.totals.text()
    # edit: multiplier 2, handling
    assert view.current is not None and view.current.id == f.id
    view.multiplier.clear()
    qtbot.keyClicks(view.multiplier, "2")
    qtbot.keyClicks(view.handling, "order to correct")
    qtbot.mouseClick(view.save_button, Qt.MouseButton.LeftButton)
    with ctx.engine.connect() as c:
        (f2,) = fold_findings(c, 1)
    assert f2.multiplier == Decimal("2") and f2.handling == "order to correct"
    assert f2.history[-1]["event"] == "finding.edited" and f2.history[-1]["previous"]["multiplier"] == "1.5"
    assert "3,000.00" in view.totals.text()


def test_finding_from_a_census_entry_takes_the_amount_from_the_source(qtbot, ctx, view, tmp_path):
    with ctx.engine.connect() as c:
        entry = roster(c, 1)[0]
    record_outcome(ctx.engine, 1, entry.mdtrt_id, "absent")
    with ctx.engine.connect() as c:
        flagged = census_summary(c, 1)["flagged"][0]
    view.source_type.setCurrentIndex(view.source_type.findData("census"))
    i = view.source_ref.findData(entry.mdtrt_id)
    assert i >= 0 and view.amount.isReadOnly()
    view.source_ref.setCurrentIndex(i)
    view.prefill_from_source()
    assert view.amount.text() == flagged["amount"] and view.category.currentData() == "V01"
    qtbot.mouseClick(view.save_button, Qt.MouseButton.LeftButton)
    with ctx.engine.connect() as c:
        (f,) = fold_findings(c, 1)
    assert (f.source_type, f.ref, f.category, f.amount) == ("census", entry.mdtrt_id, "V01", Decimal(flagged["amount"]))
    # evidence: a photo attached to the finding shows as a thumbnail
    photo = tmp_path / "photo.png"
    pix = QPixmap(40, 30)
    pix.fill(QColor("red"))
    assert pix.save(str(photo))
    view.add_evidence_file(str(photo))
    assert view.gallery.count() == 1 and not view.gallery.item(0).icon().isNull()
    with ctx.engine.connect() as c:
        (f,) = fold_findings(c, 1)
    assert len(f.evidence) == 1
