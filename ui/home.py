"""Home: the local inspections, and the ways to start a new one."""
from __future__ import annotations

from PySide6.QtCore import QModelIndex, Qt, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QTableView,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from inspector.i18n import _
from inspector.inspections import list_inspections
from ui.context import ApplicationContext
from ui.models.inspections import InspectionsModel


def _last_activity(session) -> dict[int, str]:
    """The time of each inspection's latest logged event (on-site work), if the log exists."""
    from sqlalchemy import text
    from sqlalchemy.exc import OperationalError

    try:
        return {int(i): str(at)[:19] for i, at in session.execute(
            text("SELECT inspection_id, max(at) FROM event WHERE inspection_id IS NOT NULL GROUP BY inspection_id"))}
    except OperationalError:   # a store from before the event log
        return {}


class HomeView(QWidget):
    """The inspections list; Enter or a double click opens one."""

    open_requested = Signal(int)

    def __init__(self, ctx: ApplicationContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 12, 16, 12)
        top = QHBoxLayout()
        self.title = QLabel()
        self.title.setObjectName("pageTitle")
        top.addWidget(self.title)
        top.addStretch(1)
        self.buttons = QHBoxLayout()
        top.addLayout(self.buttons)
        layout.addLayout(top)
        self.empty = QLabel()
        self.empty.setWordWrap(True)
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty.setObjectName("emptyState")
        layout.addWidget(self.empty)
        self.model = InspectionsModel(self)
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        self.table.setAlternatingRowColors(True)
        self.table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.table.doubleClicked.connect(self._open_index)
        self.table.activated.connect(self._open_index)
        layout.addWidget(self.table, 1)
        ctx.language.changed.connect(self.retranslate)
        self.retranslate()
        self.refresh()

    def add_action_button(self, action: QAction) -> QToolButton:
        """A large button for a main-window action (new sync, Excel import, demo)."""
        button = QToolButton()
        button.setDefaultAction(action)
        button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        button.setMinimumHeight(36)
        self.buttons.addWidget(button)
        return button

    def refresh(self) -> None:
        """Reload the list from the store (a handful of small queries)."""
        with self.ctx.session() as session:
            rows = list_inspections(session)
            last = _last_activity(session)
        for r in rows:
            r["last_activity"] = max(filter(None, (last.get(r["id"]), r.get("synced_at"))), default=None)
        selected = self.selected_id()
        self.model.set_rows(rows)
        self.table.resizeColumnsToContents()
        self.table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self._update_empty()
        if rows:
            ids = [r["id"] for r in rows]
            row = ids.index(selected) if selected in ids else len(rows) - 1
            self.table.selectRow(row)

    def selected_id(self) -> int | None:
        idx = self.table.currentIndex()
        if not idx.isValid():
            return None
        return int(self.model.data(idx, InspectionsModel.ID_ROLE))

    def open_selected(self) -> None:
        iid = self.selected_id()
        if iid is not None:
            self.open_requested.emit(iid)

    def _open_index(self, index: QModelIndex) -> None:
        if index.isValid():
            self.open_requested.emit(int(self.model.data(index, InspectionsModel.ID_ROLE)))

    def _update_empty(self) -> None:
        none = self.model.rowCount() == 0
        self.empty.setVisible(none)
        self.table.setVisible(not none)

    def retranslate(self, _lang: str | None = None) -> None:
        self.title.setText(_("Inspections"))
        self.empty.setText(_("No inspections yet. Start one from the central database or from an Excel extract."))
        self.model.retranslate()
