"""New inspection: from the central database (sync) or from an Excel extract (import).

Both call the same core functions as the CLI (`sync_central`, `import_xlsx`) on a worker
thread with a progress bar per table and a working Cancel. A refused workbook's cell
errors are shown in a table the user can copy.
"""
from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QDate, QDateTime, QModelIndex, QPersistentModelIndex, Qt, QTime, QTimer, Signal
from PySide6.QtGui import QGuiApplication, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDateEdit,
    QDateTimeEdit,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from inspector.i18n import N_, _
from ui.context import ApplicationContext
from ui.icons import icon

DEFAULT_WINDOW_DAYS = 90
SEARCH_DELAY_MS = 300


def default_window(visit: datetime) -> tuple[date, date]:
    """The brief's default review window: the last 90 days before the visit day."""
    d1 = visit.date() - timedelta(days=1)
    return d1 - timedelta(days=DEFAULT_WINDOW_DAYS - 1), d1


class NewInspectionDialog(QDialog):
    """Pick the source, institution, window and visit time; then run the copy off the GUI thread."""

    created = Signal(int)

    def __init__(self, ctx: ApplicationContext, mode: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        assert mode in ("central", "xlsx")
        self.ctx = ctx
        self.mode = mode
        self.task = None
        self.result_id: int | None = None
        self._search_gen = 0
        self.setMinimumWidth(620)
        layout = QVBoxLayout(self)
        form = QFormLayout()
        layout.addLayout(form)

        self.url = QComboBox()
        self.url.setEditable(True)
        self.path = QLineEdit()
        self.browse = QPushButton(icon("open"), "")
        self.search = QLineEdit()
        self.search.setClearButtonEnabled(True)
        self.results = QListWidget()
        self.results.setMinimumHeight(150)
        self.search_status = QLabel()
        self.search_status.setWordWrap(True)
        self.code = QLineEdit()
        self.code.setMaxLength(12)
        self.code.setPlaceholderText("H61010200001")
        self.date_from = QDateEdit()
        self.date_to = QDateEdit()
        self.visit = QDateTimeEdit()
        for w in (self.date_from, self.date_to):
            w.setCalendarPopup(True)
            w.setDisplayFormat("yyyy-MM-dd")
        self.visit.setCalendarPopup(True)
        self.visit.setDisplayFormat("yyyy-MM-dd HH:mm")
        now = datetime.now().replace(second=0, microsecond=0)
        d0, d1 = default_window(now)
        self.set_request(d0, d1, now)

        self.labels: dict[str, QLabel] = {}

        def row(key: str, widget: QWidget | Any) -> None:
            label = QLabel()
            self.labels[key] = label
            form.addRow(label, widget)

        if mode == "central":
            recent = ctx.settings.recent("central_url")
            remembered = ctx.settings.value("central_url")
            for u in ([remembered] if remembered else []) + [u for u in recent if u != remembered]:
                self.url.addItem(u)
            row("url", self.url)
            row("search", self.search)
            form.addRow("", self.results)
            form.addRow("", self.search_status)
            self.url.currentTextChanged.connect(lambda _t: self._search_timer.start())
            self.search.textChanged.connect(lambda _t: self._search_timer.start())
            self.results.currentItemChanged.connect(self._pick)
        else:
            file_row = QHBoxLayout()
            file_row.addWidget(self.path, 1)
            file_row.addWidget(self.browse)
            holder = QWidget()
            holder.setLayout(file_row)
            file_row.setContentsMargins(0, 0, 0, 0)
            row("file", holder)
            recent = ctx.settings.recent("xlsx")
            if recent:
                self.path.setText(recent[0])
            self.browse.clicked.connect(self.choose_file)
        row("code", self.code)
        row("from", self.date_from)
        row("to", self.date_to)
        row("visit", self.visit)
        self.error = QLabel()
        self.error.setStyleSheet("color: #b00020;")
        self.error.setWordWrap(True)
        self.error.hide()
        layout.addWidget(self.error)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self.start)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)

        self._search_timer = QTimer(self)
        self._search_timer.setSingleShot(True)
        self._search_timer.setInterval(SEARCH_DELAY_MS)
        self._search_timer.timeout.connect(self.run_search)
        ctx.language.changed.connect(self.retranslate)
        self.retranslate()
        if mode == "central" and self.url.currentText().strip():
            self._search_timer.start()

    # request fields ----------------------------------------------------------------
    def set_request(self, date_from: date, date_to: date, visit_time: datetime) -> None:
        self.date_from.setDate(QDate(date_from.year, date_from.month, date_from.day))
        self.date_to.setDate(QDate(date_to.year, date_to.month, date_to.day))
        self.visit.setDateTime(QDateTime(QDate(visit_time.year, visit_time.month, visit_time.day),
                                         QTime(visit_time.hour, visit_time.minute, visit_time.second)))

    def request(self) -> tuple[str, date, date, datetime]:
        d0 = self.date_from.date().toPython()
        d1 = self.date_to.date().toPython()
        v = self.visit.dateTime().toPython().replace(microsecond=0)
        return self.code.text().strip().upper(), d0, d1, v

    def choose_file(self) -> None:
        start = str(Path(self.path.text()).parent) if self.path.text() else ""
        path, _filter = QFileDialog.getOpenFileName(self, _("Excel extract"), start, _("Excel workbooks (*.xlsx)"))
        if path:
            self.path.setText(path)

    # institution search --------------------------------------------------------------
    def run_search(self) -> None:
        """Search the central's institutions by code or name, off the GUI thread."""
        url = self.url.currentText().strip()
        if not url:
            return
        self._search_gen += 1
        gen, text = self._search_gen, self.search.text()
        self.search_status.setText(_("Searching…"))

        def work(_progress):
            from inspector.sync.central import list_central_institutions

            return list_central_institutions(url, text)

        def done(rows: list[dict[str, Any]]) -> None:
            if gen != self._search_gen:
                return
            self.results.clear()
            for r in rows:
                item = QListWidgetItem(f'{r["code"]}  {r["name"]}')
                item.setData(Qt.ItemDataRole.UserRole, r["code"])
                self.results.addItem(item)
            self.search_status.setText(_("{n} institutions").format(n=len(rows)))
            if len(rows) == 1:
                self.results.setCurrentRow(0)

        def failed(exc: BaseException) -> None:
            if gen == self._search_gen:
                self.results.clear()
                self.search_status.setText(str(exc))

        self.ctx.tasks.run(work, title=_("Search institutions"), on_done=done, on_error=failed,
                           show_progress=False, parent=self)

    def _pick(self, item: QListWidgetItem | None, _prev=None) -> None:
        if item is not None:
            self.code.setText(str(item.data(Qt.ItemDataRole.UserRole)))

    # running -------------------------------------------------------------------------
    def start(self) -> None:
        """Validate the form a little (the core validates fully) and run the sync or import."""
        code, d0, d1, visit = self.request()
        if not code:
            self._show_error(_("Pick an institution first."))
            return
        engine = self.ctx.engine
        if self.mode == "central":
            url = self.url.currentText().strip()
            if not url:
                self._show_error(_("Enter the central database URL."))
                return

            def work(progress):
                from inspector.sync.central import sync_central

                return sync_central(engine, url, code, d0, d1, visit, progress=progress)

            title = _("Sync from the central database")
        else:
            path = self.path.text().strip()
            if not path:
                self._show_error(_("Choose the Excel file."))
                return

            def work(progress):
                from inspector.sync.xlsx_import import import_xlsx

                return import_xlsx(engine, path, code, d0, d1, visit, progress=progress)

            title = _("Import the Excel extract")
        self.error.hide()
        self.buttons.setEnabled(False)
        self.task = self.ctx.tasks.run(work, title=title, on_done=self._done, on_error=self._failed,
                                       write=True, parent=self)

    def _done(self, result) -> None:
        self.buttons.setEnabled(True)
        if self.mode == "central":
            url = self.url.currentText().strip()
            self.ctx.settings.set_value("central_url", url)
            self.ctx.settings.add_recent("central_url", url)
        else:
            self.ctx.settings.add_recent("xlsx", self.path.text().strip())
        self.result_id = int(result.inspection_id)
        self.created.emit(self.result_id)
        self.accept()

    def _failed(self, exc: BaseException) -> None:
        self.buttons.setEnabled(True)
        errors = getattr(exc, "errors", None)
        if isinstance(errors, list) and errors:
            self._show_error(_("The workbook was refused; nothing was imported."))
            dlg = ImportErrorsDialog(errors, int(getattr(exc, "total", len(errors))), str(getattr(exc, "path", "")), self)
            dlg.show()
            self.errors_dialog = dlg
            return
        from inspector.db import StoreError
        from inspector.errors import UserError
        from inspector.progress import Cancelled

        if isinstance(exc, Cancelled):
            self._show_error(_("Cancelled; nothing was changed."))
        elif isinstance(exc, (UserError, StoreError)):
            self._show_error(str(exc))
        else:
            self._show_error(_("Unexpected error: {error}").format(error=f"{type(exc).__name__}: {exc}"))
            self.ctx.tasks.show_error(exc, self, self.windowTitle())

    def _show_error(self, text: str) -> None:
        self.error.setText(text)
        self.error.show()

    def retranslate(self, _lang: str | None = None) -> None:
        self.setWindowTitle(_("New inspection from the central database") if self.mode == "central"
                            else _("New inspection from an Excel extract"))
        names = {
            "url": _("Central database"), "search": _("Find institution"), "file": _("Excel file"),
            "code": _("Institution code"), "from": _("Window from"), "to": _("Window to"), "visit": _("Visit time"),
        }
        for key, label in self.labels.items():
            label.setText(names[key])
        self.url.lineEdit().setPlaceholderText("postgresql://user@host/central  |  sqlite:///central.db")
        self.search.setPlaceholderText(_("code or name"))
        self.browse.setText(_("Browse…"))
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText(
            _("Sync") if self.mode == "central" else _("Import"))


ERROR_COLUMNS = (N_("Sheet"), N_("Row"), N_("Column"), N_("Value"), N_("Problem"))


class ImportErrorsModel(QAbstractTableModel):
    """The cell errors of a refused workbook (at most the ones the core kept)."""

    def __init__(self, errors: list, parent=None) -> None:
        super().__init__(parent)
        self.errors = list(errors)

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.errors)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(ERROR_COLUMNS)

    def cells(self, row: int) -> list[str]:
        e = self.errors[row]
        return [e.sheet, "" if e.row is None else str(e.row), e.column or "", e.value, e.why]

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if index.isValid() and role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            return self.cells(index.row())[index.column()]
        return None

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole and 0 <= section < len(ERROR_COLUMNS):
            return _(ERROR_COLUMNS[section])
        return None


class ImportErrorsDialog(QDialog):
    """A refused workbook's errors in a table; Copy puts them on the clipboard as TSV."""

    def __init__(self, errors: list, total: int, path: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(_("Errors in the workbook"))
        self.resize(820, 460)
        layout = QVBoxLayout(self)
        head = _("{path}: {total} errors in the workbook; nothing was imported.").format(path=path, total=total)
        if len(errors) < total:
            head += " " + _("The first {n} of {total}:").format(n=len(errors), total=total)
        self.summary = QLabel(head)
        self.summary.setWordWrap(True)
        layout.addWidget(self.summary)
        self.model = ImportErrorsModel(errors, self)
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.horizontalHeader().setSectionResizeMode(4, QHeaderView.ResizeMode.Stretch)
        self.table.resizeColumnsToContents()
        layout.addWidget(self.table, 1)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.copy_button = QPushButton(icon("copy"), _("Copy all"))
        buttons.addButton(self.copy_button, QDialogButtonBox.ButtonRole.ActionRole)
        self.copy_button.clicked.connect(self.copy_all)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        QShortcut(QKeySequence.StandardKey.Copy, self.table, self.copy_selection)

    def tsv(self, rows: list[int]) -> str:
        header = "\t".join(_(c) for c in ERROR_COLUMNS)
        return "\n".join([header] + ["\t".join(self.model.cells(r)) for r in rows]) + "\n"

    def copy_all(self) -> None:
        QGuiApplication.clipboard().setText(self.tsv(list(range(self.model.rowCount()))))

    def copy_selection(self) -> None:
        rows = sorted({i.row() for i in self.table.selectionModel().selectedIndexes()})
        QGuiApplication.clipboard().setText(self.tsv(rows or list(range(self.model.rowCount()))))
