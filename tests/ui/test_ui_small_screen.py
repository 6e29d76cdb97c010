"""A 1024x600 laptop: the census, stock and record-review screens fit, and the keyboard works.

At that size no visible control may overlap a sibling or be squeezed below its minimum size
hint (what Qt needs to draw it whole); the bed grid reflows instead of scrolling sideways; arrow
keys in the checklist move the focus and record nothing.
"""
from __future__ import annotations

import pytest
from PySide6.QtCore import QRect, Qt
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractScrollArea,
    QApplication,
    QComboBox,
    QLabel,
    QLineEdit,
    QScrollArea,
    QWidget,
)

from inspector.events import read_events
from ui.main_window import MainWindow

SMALL = (1024, 600)
CONTROLS = (QAbstractButton, QLineEdit, QComboBox, QAbstractScrollArea, QLabel)


@pytest.fixture
def window(qtbot, ctx):
    w = MainWindow(ctx)
    qtbot.addWidget(w)
    w.resize(*SMALL)
    w.show()
    w.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is w)
    return w


def _settle(qtbot) -> None:
    qtbot.wait(50)
    QApplication.processEvents()


def _visible_controls(root: QWidget) -> list[QWidget]:
    """Visible controls inside `root`, not counting those inside a scroll area's scrolled content."""
    out = []
    for w in root.findChildren(QWidget):
        if not w.isVisible() or not isinstance(w, CONTROLS) or w.width() <= 0 or w.height() <= 0:
            continue
        if isinstance(w, QLabel) and not w.text():
            continue
        out.append(w)
    return out


def _rect_in(w: QWidget, root: QWidget) -> QRect:
    return QRect(w.mapTo(root, w.rect().topLeft()), w.size())


def _problems(root: QWidget) -> list[str]:
    problems = []
    controls = _visible_controls(root)
    for w in controls:
        hint = w.minimumSizeHint()
        name = f"{type(w).__name__}({w.objectName() or getattr(w, 'text', lambda: '')()!r})"
        # a word-wrapped label grows in height, a scroll area scrolls: their width hint is what counts
        wraps = isinstance(w, QLabel) and w.wordWrap()
        if hint.isValid():
            if w.width() + 1 < hint.width() and not isinstance(w, QAbstractScrollArea) and not wraps:
                problems.append(f"{name} squeezed in width: {w.width()} < {hint.width()}")
            if w.height() + 1 < hint.height() and not isinstance(w, QAbstractScrollArea) and not wraps:
                problems.append(f"{name} squeezed in height: {w.height()} < {hint.height()}")
    # overlaps between siblings (children of the same parent, both visible controls)
    by_parent: dict[int, list[QWidget]] = {}
    for w in controls:
        by_parent.setdefault(id(w.parentWidget()), []).append(w)
    for siblings in by_parent.values():
        for i, a in enumerate(siblings):
            for b in siblings[i + 1:]:
                inter = a.geometry().intersected(b.geometry())
                if inter.width() > 1 and inter.height() > 1:
                    problems.append(f"{type(a).__name__}({getattr(a, 'text', lambda: '')()!r}) overlaps "
                                    f"{type(b).__name__}({getattr(b, 'text', lambda: '')()!r})")
    return problems


def _fits_on_screen(view: QWidget, window: QWidget) -> list[str]:
    """Controls outside the window, except inside scroll areas (which scroll vertically only)."""
    out = []
    win = window.rect()
    for w in _visible_controls(view):
        parent = w.parentWidget()
        inside_scroll = False
        while parent is not None and parent is not view:
            if isinstance(parent, QScrollArea) or (isinstance(parent, QAbstractScrollArea) and parent is not w):
                inside_scroll = True
                break
            parent = parent.parentWidget()
        if inside_scroll:
            continue
        r = _rect_in(w, window)
        if not win.contains(r):
            out.append(f"{type(w).__name__} at {r.getRect()} outside the window {win.getRect()}")
    return out


@pytest.mark.parametrize("screen", ["census", "stock", "records"])
def test_screens_fit_a_1024x600_window(qtbot, ctx, window, screen):
    ws = window.open_inspection(window.home.selected_id())
    view = ws.show_screen(screen)
    if screen == "stock":
        view.draw()
    if screen == "records":
        view.draw()
    _settle(qtbot)
    assert window.width() == SMALL[0] and window.height() == SMALL[1]
    problems = _problems(view) + _fits_on_screen(view, window)
    assert not problems, "\n".join(problems)


def test_census_beds_reflow_to_the_width_without_a_sideways_scroll(qtbot, ctx, window):
    view = window.open_inspection(window.home.selected_id()).show_screen("census")
    _settle(qtbot)
    bar = view.scroll.horizontalScrollBar()
    assert not bar.isVisible() or bar.maximum() == 0
    host = view.scroll.viewport().width()
    assert all(t.geometry().right() <= host for t in view.tiles)
    cols_small = view.grid.columns()
    assert cols_small >= 2
    window.resize(1366, 768)
    _settle(qtbot)
    assert view.grid.columns() > cols_small            # more beds a row on a wider window
    assert all(t.geometry().right() <= view.scroll.viewport().width() for t in view.tiles)
    # arrows still move by a row: Down goes to the bed one row further
    first = view.tiles[0]
    first.setFocus()
    view.select(0)
    qtbot.keyClick(first, Qt.Key.Key_Down)
    assert view.selected_index() == min(view.grid.columns(), len(view.tiles) - 1)


def test_checklist_arrows_move_focus_and_record_nothing(qtbot, ctx, window):
    view = window.open_inspection(window.home.selected_id()).show_screen("records")
    view.draw()
    _settle(qtbot)
    with ctx.engine.connect() as c:
        before = len(read_events(c, 1, ["records.*"]))
    first = view.rows[0].radios["pass"]
    first.setFocus()
    qtbot.waitUntil(first.hasFocus)
    qtbot.keyClick(first, Qt.Key.Key_Right)
    assert view.rows[0].radios["fail"].hasFocus()
    qtbot.keyClick(view.rows[0].radios["fail"], Qt.Key.Key_Down)
    assert view.rows[1].radios["fail"].hasFocus()
    qtbot.keyClick(view.rows[1].radios["fail"], Qt.Key.Key_Up)
    qtbot.keyClick(view.rows[0].radios["fail"], Qt.Key.Key_Left)
    assert view.rows[0].radios["pass"].hasFocus()
    assert not any(rb.isChecked() for row in view.rows for rb in row.radios.values())
    with ctx.engine.connect() as c:
        assert len(read_events(c, 1, ["records.*"])) == before      # nothing recorded by moving
    # Space chooses: that records one outcome
    qtbot.keyClick(view.rows[0].radios["pass"], Qt.Key.Key_Space)
    assert view.rows[0].radios["pass"].isChecked()
    with ctx.engine.connect() as c:
        assert len(read_events(c, 1, ["records.*"])) == before + 1


def test_record_review_stacks_its_panes_on_a_narrow_window(qtbot, ctx, window):
    view = window.open_inspection(window.home.selected_id()).show_screen("records")
    view.draw()
    _settle(qtbot)
    assert view.inner.orientation() == Qt.Orientation.Vertical
    assert view.inner.widget(0) is view.checklist_pane
    # every column of the checklist (item, outcome, amount, note) is in view without scrolling sideways
    bar = view.checklist_scroll.horizontalScrollBar()
    assert bar.maximum() == 0, bar.maximum()
    note = view.rows[0].note
    assert note.isVisible() and _rect_in(note, window).right() <= window.width()
    window.resize(1366, 768)
    _settle(qtbot)
    assert view.inner.orientation() == Qt.Orientation.Horizontal


def test_stock_table_fits_the_width_without_a_sideways_scroll(qtbot, ctx, window):
    view = window.open_inspection(window.home.selected_id()).show_screen("stock")
    if view.sample is None:
        view.draw()
    _settle(qtbot)
    table = view.table
    hh = table.horizontalHeader()
    assert table.model().rowCount() > 0
    assert hh.length() <= table.viewport().width() + 1
    bar = table.horizontalScrollBar()
    assert not bar.isVisible() or bar.maximum() == 0
    # every figure column shows its figures whole (only text columns are cut, with a tooltip)
    fm = table.fontMetrics()
    for c in range(5, table.model().columnCount()):
        widest = max(fm.horizontalAdvance(str(table.model().index(r, c).data())) for r in range(table.model().rowCount()))
        assert hh.sectionSize(c) >= widest, f"column {c} cuts its figures"
    name = table.model().index(0, 1)
    assert name.data(Qt.ItemDataRole.ToolTipRole)
