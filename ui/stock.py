"""Stock count (C2): the proposed sample plus any drug searched by name or code; counted
quantities typed with the keyboard only (Enter saves and moves to the next drug); live
variance colouring; the formulary stocking ratio. Every count is a core call (`record_count`)."""
from __future__ import annotations

from decimal import Decimal
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QEvent, QModelIndex, QPersistentModelIndex, Qt, QTimer
from PySide6.QtGui import QBrush, QColor, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QStyledItemDelegate,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from inspector.checks.stock import add_drug, current_sample, draw_sample, record_count, sample_rows, search_drugs, stock_summary
from inspector.db import StoreError
from inspector.errors import UserError
from inspector.i18n import N_, _
from ui.context import ApplicationContext
from ui.icons import icon
from ui.shortcuts import Shortcut

COLUMNS = (N_("Code"), N_("Drug"), N_("Specification"), N_("Unit"), N_("Origin"), N_("Expected"), N_("Counted"),
           N_("Variance"), N_("Rate"), N_("Status"), N_("Amount"))
COUNTED = COLUMNS.index(N_("Counted"))
STATUS_LABELS = {"not_counted": N_("not counted"), "ok": N_("within tolerance"), "shortage": N_("shortage"),
                 "surplus": N_("surplus")}
STATUS_COLOURS = {"ok": "#d9f0da", "shortage": "#f6c1c1", "surplus": "#fde2b0"}
ORIGIN_LABELS = {"top": N_("top sales"), "random": N_("random"), "added": N_("added")}

STOCK_SHORTCUTS: tuple[Shortcut, ...] = (
    Shortcut("stock_enter", ("Return",), N_("Save the count and go to the next drug"), N_("Stock count")),
    Shortcut("stock_search", ("Ctrl+F",), N_("Search a drug by name or code"), N_("Stock count")),
)


def _num(d: Decimal | None) -> str:
    return "" if d is None else f"{d:,.2f}"


class StockModel(QAbstractTableModel):
    """The count sheet; editing the Counted column records a count through `on_count`."""

    def __init__(self, on_count, parent=None) -> None:
        super().__init__(parent)
        self.rows: list = []
        self.on_count = on_count

    def set_rows(self, rows: list) -> None:
        self.beginResetModel()
        self.rows = list(rows)
        self.endResetModel()

    def update_rows(self, rows: list) -> None:
        if [r.med_list_codg for r in rows] != [r.med_list_codg for r in self.rows]:
            self.set_rows(rows)
            return
        self.rows = list(rows)
        if rows:
            self.dataChanged.emit(self.index(0, 0), self.index(len(rows) - 1, len(COLUMNS) - 1))

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(COLUMNS)

    def cells(self, r) -> list[str]:
        rate = "" if r.rate is None else f"{r.rate * 100:.2f}%"
        return [r.med_list_codg, r.name or "", r.spec or "", r.unit or "", _(ORIGIN_LABELS.get(r.origin, r.origin)),
                _num(r.expected), "" if r.counted is None else f"{r.counted:.2f}", _num(r.variance), rate,
                _(STATUS_LABELS.get(r.status, r.status)), _num(r.amount)]

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        r = self.rows[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return self.cells(r)[index.column()]
        if role == Qt.ItemDataRole.EditRole:
            return "" if r.counted is None else f"{r.counted:.2f}"
        if role == Qt.ItemDataRole.BackgroundRole and r.status in STATUS_COLOURS:
            return QBrush(QColor(STATUS_COLOURS[r.status]))
        if role == Qt.ItemDataRole.TextAlignmentRole and index.column() >= 5 and index.column() != 9:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.ToolTipRole:
            if r.note:
                return r.note
            if index.column() in (0, 1, 2, 4):      # text columns may be cut on a narrow window
                return self.cells(r)[index.column()]
        return None

    def setData(self, index: QModelIndex | QPersistentModelIndex, value: Any, role: int = Qt.ItemDataRole.EditRole) -> bool:
        if role != Qt.ItemDataRole.EditRole or index.column() != COUNTED or not str(value).strip():
            return False
        return bool(self.on_count(self.rows[index.row()].med_list_codg, str(value).strip()))

    def flags(self, index: QModelIndex | QPersistentModelIndex) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        f = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
        return f | Qt.ItemFlag.ItemIsEditable if index.column() == COUNTED else f

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole and 0 <= section < len(COLUMNS):
            return _(COLUMNS[section])
        return None


class _CountDelegate(QStyledItemDelegate):
    """Numbers only; Enter commits and the view moves on to the next drug."""

    def createEditor(self, parent, option, index):  # noqa: N802 - Qt override
        editor = QLineEdit(parent)
        editor.setAlignment(Qt.AlignmentFlag.AlignRight)
        return editor


class StockView(QWidget):
    """The stock count screen (see the module docstring)."""

    def __init__(self, ctx: ApplicationContext, inspection_id: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.inspection_id = inspection_id
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        top = QHBoxLayout()
        self.sample_info = QLabel()
        self.sample_info.setWordWrap(True)
        top.addWidget(self.sample_info, 1)
        self.draw_button = QPushButton(icon("stock"), "")
        self.draw_button.setMinimumHeight(34)
        self.draw_button.clicked.connect(self.draw)
        top.addWidget(self.draw_button)
        layout.addLayout(top)
        search_row = QHBoxLayout()
        self.search = QLineEdit()
        self.search.setClearButtonEnabled(True)
        self.search.setMinimumHeight(32)
        self.search.returnPressed.connect(self.run_search)
        search_row.addWidget(self.search, 1)
        self.add_button = QPushButton(icon("check"), "")
        self.add_button.clicked.connect(self.add_selected)
        search_row.addWidget(self.add_button)
        layout.addLayout(search_row)
        self.results = QListWidget()
        self.results.setMaximumHeight(110)
        self.results.hide()
        self.results.itemActivated.connect(lambda _i: self.add_selected())
        layout.addWidget(self.results)
        self.model = StockModel(self.count, self)
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setItemDelegateForColumn(COUNTED, _CountDelegate(self.table))
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectItems)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.AnyKeyPressed
                                   | QAbstractItemView.EditTrigger.DoubleClicked
                                   | QAbstractItemView.EditTrigger.EditKeyPressed)
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.viewport().installEventFilter(self)      # columns refit to the width: no sideways scroll
        self.table.setAlternatingRowColors(False)
        self.table.itemDelegateForColumn(COUNTED).closeEditor.connect(self._editor_closed)
        layout.addWidget(self.table, 1)
        self.stocking = QLabel()
        self.stocking.setWordWrap(True)
        self.stocking.setStyleSheet("font-size: 11pt;")
        layout.addWidget(self.stocking)
        self.message = QLabel()
        self.message.setWordWrap(True)
        layout.addWidget(self.message)
        QShortcut(QKeySequence("Ctrl+F"), self, self.focus_search, context=Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self._advance = False
        ctx.language.changed.connect(self.retranslate)
        self.retranslate()
        self.reload()

    # data ------------------------------------------------------------------------------------
    def reload(self) -> None:
        with self.ctx.engine.connect() as conn:
            sample = current_sample(conn, self.inspection_id)
            rows = sample_rows(conn, self.inspection_id) if sample is not None else []
        self.sample = sample
        self.model.update_rows(rows)
        self._fit_columns()
        self.draw_button.setVisible(sample is None)
        self.search.setEnabled(sample is not None)
        self.add_button.setEnabled(sample is not None)
        self._show_sample_info()
        if sample is not None:
            QTimer.singleShot(0, self.refresh_stocking)

    # text columns shrink in this order, each down to its floor, before the table would scroll sideways
    SHRINK_ORDER = ((1, 110), (2, 64), (0, 120), (4, 56))

    def _fit_columns(self) -> None:
        """Figures fully visible and no sideways scroll: long drug names, specs and codes are the
        ones cut when the window is narrow (their tooltip has them in full)."""
        self.table.resizeColumnsToContents()
        hh = self.table.horizontalHeader()
        widths = [hh.sectionSize(c) for c in range(len(COLUMNS))]
        widths[1] = min(widths[1], 240)
        widths[0] = min(widths[0], 210)
        excess = sum(widths) - self.table.viewport().width()
        for c, floor in self.SHRINK_ORDER:
            if excess <= 0:
                break
            cut = min(excess, max(0, widths[c] - floor))
            widths[c] -= cut
            excess -= cut
        for c, w in enumerate(widths):
            hh.resizeSection(c, w)

    def eventFilter(self, watched, event) -> bool:  # noqa: N802 (Qt)
        if watched is self.table.viewport() and event.type() == QEvent.Type.Resize:
            self._fit_columns()
        return super().eventFilter(watched, event)

    def _show_sample_info(self) -> None:
        s = self.sample
        if s is None:
            self.sample_info.setText(_("No sample drawn yet. Draw the proposed sample: top drugs by sales plus a seeded random draw."))
            return
        counted = sum(1 for r in self.model.rows if r.counted is not None)
        self.sample_info.setText(_("Sample: {top} top by sales + {random} random (seed {seed}) + {added} added · counted {c} of {n}").format(
            top=len(s.top), random=len(s.random), seed=s.seed, added=len(s.added), c=counted, n=len(s.drugs)))
        from inspector.reports.wording import stock_method

        self.sample_info.setToolTip(stock_method(s.seed, len(s.top), len(s.random), None, len(s.added)))

    def refresh_stocking(self) -> None:
        """Stocking ratio per category (western, patent) against the bureau's minimum."""
        try:
            with self.ctx.engine.connect() as conn:
                summary = stock_summary(conn, self.inspection_id, trace_codes=False)
        except (UserError, StoreError) as exc:
            self.stocking.setText(str(exc))
            return
        parts = []
        for s in summary.stocking:
            name = _("western drugs") if s.category == "X" else _("patent drugs")
            ratio = "—" if s.ratio is None else f"{s.ratio * 100:.1f}%"
            mark = "" if s.meets_minimum is None else ("✓" if s.meets_minimum else "✗")
            parts.append(_("{name}: {ratio} ({formulary}/{denominator}), minimum {minimum}% {mark}").format(
                name=name, ratio=ratio, formulary=s.formulary, denominator=s.denominator,
                minimum=f"{s.minimum * 100:g}", mark=mark))
        self.stocking.setText(_("Stocking ratio") + ": " + " · ".join(parts))

    # actions ------------------------------------------------------------------------------------
    def draw(self) -> None:
        try:
            draw_sample(self.ctx.engine, self.inspection_id, actor=self.ctx.actor)
        except (UserError, StoreError) as exc:
            self.show_message(str(exc), error=True)
            return
        self.reload()
        self.start_counting()

    def start_counting(self) -> None:
        """Put the cursor in the first uncounted Counted cell."""
        row = next((i for i, r in enumerate(self.model.rows) if r.counted is None), 0)
        if self.model.rows:
            idx = self.model.index(row, COUNTED)
            self.table.setCurrentIndex(idx)
            self.table.setFocus()

    def count(self, code: str, text: str) -> bool:
        """Record the counted quantity of `code` (one event); the sheet refreshes."""
        try:
            record_count(self.ctx.engine, self.inspection_id, code, text, actor=self.ctx.actor)
        except (UserError, StoreError) as exc:
            self.show_message(str(exc), error=True)
            return False
        self.show_message(_("{code}: counted {qty}").format(code=code, qty=text))
        self._advance = True
        with self.ctx.engine.connect() as conn:
            rows = sample_rows(conn, self.inspection_id)
        self.model.update_rows(rows)
        self._fit_columns()
        self._show_sample_info()
        QTimer.singleShot(0, self.refresh_stocking)
        return True

    def _editor_closed(self, _editor, hint) -> None:
        if not self._advance:
            return
        self._advance = False
        row = self.table.currentIndex().row()
        if row + 1 < self.model.rowCount():
            nxt = self.model.index(row + 1, COUNTED)
            self.table.setCurrentIndex(nxt)

    def focus_search(self) -> None:
        self.search.setFocus()
        self.search.selectAll()

    def run_search(self) -> None:
        text = self.search.text().strip()
        if not text:
            return
        try:
            with self.ctx.engine.connect() as conn:
                found = search_drugs(conn, self.inspection_id, text)
        except (UserError, StoreError) as exc:
            self.show_message(str(exc), error=True)
            return
        self.results.clear()
        for d in found:
            item = QListWidgetItem(f'{d["med_list_codg"]}  {d["name"] or ""}  {d["spec"] or ""}  '
                                   + _("expected {q}").format(q=_num(d["expected"]))
                                   + ("  ✓" if d["in_sample"] else ""))
            item.setData(Qt.ItemDataRole.UserRole, d["med_list_codg"])
            self.results.addItem(item)
        self.results.setVisible(bool(found))
        if found:
            self.results.setCurrentRow(0)
            self.results.setFocus()
        else:
            self.show_message(_("No drug matches '{text}'.").format(text=text), error=True)

    def add_selected(self) -> None:
        item = self.results.currentItem()
        if item is None:
            self.run_search()
            return
        code = str(item.data(Qt.ItemDataRole.UserRole))
        try:
            add_drug(self.ctx.engine, self.inspection_id, code, actor=self.ctx.actor)
        except (UserError, StoreError) as exc:
            self.show_message(str(exc), error=True)
            return
        self.results.hide()
        self.search.clear()
        self.reload()
        row = next(i for i, r in enumerate(self.model.rows) if r.med_list_codg == code)
        self.table.setCurrentIndex(self.model.index(row, COUNTED))
        self.table.setFocus()
        self.show_message(_("{code} added to the sample").format(code=code))

    def show_message(self, text: str, error: bool = False) -> None:
        self.message.setStyleSheet("color: #b00020;" if error else "color: #1d6b33;")
        self.message.setText(text)

    def retranslate(self, _lang: str | None = None) -> None:
        self.draw_button.setText(_("Draw the sample"))
        self.search.setPlaceholderText(_("Search a drug by name or code, Enter (Ctrl+F)"))
        self.add_button.setText(_("Add to the sample"))
        self.model.headerDataChanged.emit(Qt.Orientation.Horizontal, 0, len(COLUMNS) - 1)
        self._show_sample_info() if hasattr(self, "sample") else None
        if getattr(self, "sample", None) is not None:
            self.refresh_stocking()
