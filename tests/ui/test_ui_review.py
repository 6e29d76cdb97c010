"""Review in the GUI, as the logged-in accounts: submit, return with a comment the author sees,
resubmit, approve (the finding turns read-only), amend; and the idle lock hiding patient data."""
from __future__ import annotations

from decimal import Decimal

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractButton, QApplication, QLabel, QLineEdit

from inspector.findings import fold_findings  # noqa: E402
from tests.support.accounts import password_of  # noqa: E402
from ui.findings import FindingsView  # noqa: E402
from ui.main_window import MainWindow  # noqa: E402


@pytest.fixture
def window(qtbot, ctx) -> MainWindow:
    w = MainWindow(ctx)
    qtbot.addWidget(w)
    w.resize(1366, 768)
    w.show()
    return w


def _view(window) -> FindingsView:
    v = window.open_inspection(window.home.selected_id()).show_screen("findings")
    assert isinstance(v, FindingsView)
    return v


def _select(view: FindingsView, n: int) -> None:
    row = next(i for i, f in enumerate(view.model.findings) if f.no == n)
    view.table.selectRow(row)
    view.edit_row(row)


def _findings(ctx):
    with ctx.engine.connect() as c:
        return fold_findings(c, 1)


def test_review_path_submit_return_resubmit_approve_amend(qtbot, ctx, window):
    people = ctx.people
    view = _view(window)
    # the inspector li writes and submits a finding
    view.category.setCurrentIndex(view.category.findData("V03"))
    qtbot.keyClicks(view.amount, "1000.00")
    view.description.setPlainText("重复收取床位费")
    view.handling.setText("追回违规金额并处罚款")
    qtbot.mouseClick(view.save_button, Qt.MouseButton.LeftButton)
    qtbot.mouseClick(view.submit_button, Qt.MouseButton.LeftButton)
    assert [f.status for f in _findings(ctx)] == ["submitted"]
    # li cannot approve his own finding; the lead returns it with a comment
    qtbot.mouseClick(view.approve_button, Qt.MouseButton.LeftButton)
    assert "b00020" in view.message.styleSheet() and _findings(ctx)[0].status == "submitted"
    ctx.actor = people["zhang"]
    _select(view, 1)
    qtbot.mouseClick(view.return_button, Qt.MouseButton.LeftButton)       # a return needs a comment
    assert _findings(ctx)[0].status == "submitted"
    view.comment.setText("倍数偏低，请按1.5倍")
    qtbot.mouseClick(view.return_button, Qt.MouseButton.LeftButton)
    assert _findings(ctx)[0].status == "returned"
    # back to its author, the comment in view; he changes it and resubmits
    ctx.actor = people["li"]
    _select(view, 1)
    assert "倍数偏低，请按1.5倍" in view.review_state.text() and "张组长" in view.review_state.text()
    assert view.save_button.isEnabled() and view.category.isEnabled()
    view.multiplier.clear()
    qtbot.keyClicks(view.multiplier, "1.5")
    qtbot.mouseClick(view.save_button, Qt.MouseButton.LeftButton)
    qtbot.mouseClick(view.submit_button, Qt.MouseButton.LeftButton)
    assert _findings(ctx)[0].status == "submitted"
    # the lead approves: the finding is read-only, its history on screen
    ctx.actor = people["zhang"]
    _select(view, 1)
    view.comment.setText("同意")
    qtbot.mouseClick(view.approve_button, Qt.MouseButton.LeftButton)
    (f,) = _findings(ctx)
    assert f.status == "approved" and f.approved_by["reviewer"] == "zhang" and f.multiplier == Decimal("1.5")
    assert not view.save_button.isEnabled() and not view.category.isEnabled() and view.description.isReadOnly()
    history = [view.history.item(i).text() for i in range(view.history.count())]
    assert any("倍数偏低" in h and "张组长" in h for h in history) and any("同意" in h for h in history)
    assert "张组长" in view.review_state.text()
    # the inspector wang amends it: a new finding referencing the approved one
    ctx.actor = people["wang"]
    _select(view, 1)
    assert view.amend_button.isEnabled()
    qtbot.mouseClick(view.amend_button, Qt.MouseButton.LeftButton)
    assert view.save_button.isEnabled()
    view.multiplier.clear()
    qtbot.keyClicks(view.multiplier, "2")
    view.comment.setText("签字后更正倍数")
    qtbot.mouseClick(view.save_button, Qt.MouseButton.LeftButton)
    orig, amended = _findings(ctx)
    assert orig.superseded and orig.status == "approved" and orig.multiplier == Decimal("1.5")
    assert amended.amends == orig.id and amended.multiplier == Decimal("2") and amended.created_by == "wang"
    assert view.current is not None and view.current.id == amended.id


def _visible_text(window) -> str:
    """Every text a person could read on the screen now."""
    out = []
    for top in QApplication.topLevelWidgets():
        if not top.isVisible():
            continue
        for w in [top, *top.findChildren(QLabel), *top.findChildren(QLineEdit)]:
            if w.isVisible() and hasattr(w, "text"):
                out.append(w.text())
    from PySide6.QtCore import QModelIndex
    from PySide6.QtWidgets import QAbstractItemView

    for v in window.findChildren(QAbstractItemView):
        if v.isVisible() and v.model() is not None:
            m = v.model()
            for r in range(min(m.rowCount(), 50)):
                try:
                    cols = m.columnCount()
                except TypeError:                     # a list model
                    cols = 1
                for c in range(cols):
                    out.append(str(m.data(m.index(r, c)) or ""))
    return "\n".join(out)


def test_idle_lock_hides_patient_data_until_the_password(qtbot, ctx, window):
    ws = window.open_inspection(window.home.selected_id())
    ws.show_screen("census")
    qtbot.waitUntil(lambda: "病人" in _visible_text(window), timeout=5000)
    window.idle_lock.set_minutes(0.002)                    # 120 ms without input
    qtbot.waitUntil(lambda: window.locked, timeout=5000)
    assert not window.stack.isVisible() and not window.menuBar().isEnabled()
    shown = _visible_text(window)
    assert "病人" not in shown and "李检查" in shown      # who is logged in, no patient
    window.lock_screen.password.setText("not the password")
    qtbot.keyClick(window.lock_screen.password, Qt.Key.Key_Return)
    assert window.locked and window.lock_screen.message.text()
    window.lock_screen.password.setText(password_of("li"))
    qtbot.mouseClick(window.lock_screen.unlock_button, Qt.MouseButton.LeftButton, delay=0)
    qtbot.waitUntil(lambda: not window.locked, timeout=5000)
    assert window.stack.isVisible() and "病人" in _visible_text(window)
