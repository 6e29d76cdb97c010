"""Data: every synced table of the inspection's current snapshot, lazily, filtered in SQL."""
from __future__ import annotations

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from inspector.db import OPERATIONAL_ERRORS
from inspector.errors import UserError
from inspector.i18n import _
from inspector.models import SNAPSHOT_MODELS
from ui.context import ApplicationContext
from ui.models.labels import column_label, table_label
from ui.models.snapshot_table import FIRST_PAGE, Query, SnapshotTableModel, count_rows, load_ids, make_query
from ui.shortcuts import make_action

FILTER_DELAY_MS = 250


class DataBrowser(QWidget):
    """Table list on the left; filter bar, row count and a lazy table view on the right."""

    def __init__(self, ctx: ApplicationContext, snapshot_id: int, row_counts: dict[str, int],
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.snapshot_id = snapshot_id
        self.row_counts = row_counts
        self._generation = 0
        self.shown_generation = 0   # the newest filter/sort whose first rows are on screen
        self.model: SnapshotTableModel | None = None

        split = QSplitter(Qt.Orientation.Horizontal, self)
        self.tables = QListWidget()
        for table in SNAPSHOT_MODELS:
            item = QListWidgetItem()
            item.setData(Qt.ItemDataRole.UserRole, table)
            self.tables.addItem(item)
        self.tables.setMinimumWidth(150)
        split.addWidget(self.tables)

        right = QWidget()
        rl = QVBoxLayout(right)
        rl.setContentsMargins(6, 0, 0, 0)
        bar = QHBoxLayout()
        self.column = QComboBox()
        self.column.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.filter = QLineEdit()
        self.filter.setClearButtonEnabled(True)
        self.count = QLabel()
        self.count.setMinimumWidth(120)
        self.count.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        # A count of a contains-search over a million rows takes seconds: it runs in the
        # background, the view stays usable, and this button stops it.
        self.stop_count = QPushButton()
        self.stop_count.setFlat(True)
        self.stop_count.hide()
        self.stop_count.clicked.connect(self.cancel_count)
        bar.addWidget(self.column)
        bar.addWidget(self.filter, 1)
        bar.addWidget(self.count)
        bar.addWidget(self.stop_count)
        rl.addLayout(bar)
        self.error = QLabel()
        self.error.setObjectName("inlineError")
        self.error.setStyleSheet("color: #b00020;")
        self.error.hide()
        rl.addWidget(self.error)
        self.view = QTableView()
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setAlternatingRowColors(True)
        self.view.setWordWrap(False)
        vh = self.view.verticalHeader()
        vh.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        vh.setDefaultSectionSize(self.fontMetrics().height() + 8)
        hh = self.view.horizontalHeader()
        hh.setSectionsClickable(True)
        hh.setSortIndicatorShown(True)
        hh.setSortIndicator(-1, Qt.SortOrder.AscendingOrder)
        hh.sortIndicatorChanged.connect(self._on_sort)
        rl.addWidget(self.view, 1)
        split.addWidget(right)
        split.setStretchFactor(1, 1)
        split.setSizes([165, 1000])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(split)

        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(FILTER_DELAY_MS)
        self._timer.timeout.connect(self.apply_filter)
        self.filter.textChanged.connect(lambda _t: self._timer.start())
        self.filter.returnPressed.connect(self.apply_filter)
        self.column.currentIndexChanged.connect(lambda _i: self.filter.text().strip() and self.apply_filter())
        self.tables.currentRowChanged.connect(self._on_table)
        self.find_action = make_action("find", self, self.focus_filter,
                                       context=Qt.ShortcutContext.WidgetWithChildrenShortcut)
        make_action("clear_filter", self.filter, self.filter.clear,
                    context=Qt.ShortcutContext.WidgetShortcut)
        ctx.language.changed.connect(self.retranslate)
        self.retranslate()
        self.tables.setCurrentRow(list(SNAPSHOT_MODELS).index("feedetl"))

    # table choice ------------------------------------------------------------------
    def current_table(self) -> str:
        item = self.tables.currentItem()
        return str(item.data(Qt.ItemDataRole.UserRole)) if item else "feedetl"

    def show_table(self, table: str) -> None:
        self.tables.setCurrentRow(list(SNAPSHOT_MODELS).index(table))

    def _on_table(self, _row: int) -> None:
        table = self.current_table()
        old = self.model
        self.model = SnapshotTableModel(self.ctx.engine, table, self.snapshot_id, self)
        self.view.setModel(self.model)
        if old is not None:
            old.close()
            old.deleteLater()
        self.view.horizontalHeader().blockSignals(True)
        self.view.horizontalHeader().setSortIndicator(-1, Qt.SortOrder.AscendingOrder)
        self.view.horizontalHeader().blockSignals(False)
        self._fill_columns()
        self.filter.blockSignals(True)
        self.filter.clear()
        self.filter.blockSignals(False)
        self.error.hide()
        self._fit_columns()
        self._show_count(self.row_counts.get(table, self.model.rowCount()) if table != "extract_meta" else None)
        if table == "extract_meta":
            self._count_in_background(self.model.query)

    def _fill_columns(self) -> None:
        current = self.column.currentData()
        self.column.blockSignals(True)
        self.column.clear()
        self.column.addItem(_("All text columns"), None)
        assert self.model is not None
        for c in self.model.columns:
            self.column.addItem(column_label(c.name), c.name)
        i = self.column.findData(current)
        self.column.setCurrentIndex(max(i, 0))
        self.column.blockSignals(False)

    def _fit_columns(self) -> None:
        hh = self.view.horizontalHeader()
        for i in range(hh.count()):
            self.view.resizeColumnToContents(i)
            hh.resizeSection(i, min(max(hh.sectionSize(i), 60), 260))

    # filter and sort -----------------------------------------------------------------
    def focus_filter(self) -> None:
        self.filter.setFocus()
        self.filter.selectAll()

    def apply_filter(self) -> None:
        """Compile the filter to SQL and load the first rows in the background."""
        self._timer.stop()
        assert self.model is not None
        q = self.model.query
        try:
            query = make_query(q.table, q.snapshot_id, self.column.currentData(), self.filter.text(),
                               q.sort_column, q.descending)
        except UserError as exc:
            self.error.setText(str(exc))
            self.error.show()
            return
        self.error.hide()
        self._load(query)

    def _on_sort(self, section: int, order: Qt.SortOrder) -> None:
        assert self.model is not None
        q = self.model.query
        name = self.model.columns[section].name if 0 <= section < len(self.model.columns) else None
        self._load(Query(q.table, q.snapshot_id, q.where, q.params, name,
                         order == Qt.SortOrder.DescendingOrder, q.columns, q.exact))

    def _load(self, query: Query) -> None:
        if getattr(self, "_count_task", None) is not None and self._count_task.running:
            self._count_task.cancel()   # a stale count must not hold a worker the new filter needs
        self._generation += 1
        gen = self._generation
        engine = self.ctx.engine

        def work(progress):
            progress.set_status(_("Reading {table}…").format(table=table_label(query.table)))
            with engine.connect() as c:
                raw = c.connection.driver_connection
                # Cancel interrupts SQLite mid-query (a sort of a million rows takes seconds).
                raw.set_progress_handler(lambda: 1 if progress.is_cancelled() else 0, 20_000)
                try:
                    return load_ids(raw, query, limit=FIRST_PAGE)
                except OPERATIONAL_ERRORS:
                    progress.check()
                    raise
                finally:
                    raw.set_progress_handler(None, 0)

        def failed(exc: BaseException) -> None:
            from inspector.progress import Cancelled

            if not isinstance(exc, Cancelled):
                self.ctx.tasks.show_error(exc, self, _("Data"))

        def done(result) -> None:
            if gen != self._generation or self.model is None or self.model.table != query.table:
                return  # a newer filter or another table superseded this one
            self.model.apply(query, *result)
            self.view.scrollToTop()
            self.shown_generation = gen
            if not query.where:
                self._show_count(self.row_counts.get(query.table))
            elif result[1]:
                self._show_count(len(result[0]))
            else:
                self._show_count(None)
                self._count_in_background(query)

        self.last_task = self.ctx.tasks.run(work, title=_("Data"), on_done=done, on_error=failed, parent=self)

    def _count_in_background(self, query: Query) -> None:
        gen = self._generation
        engine = self.ctx.engine

        def work(progress):
            with engine.connect() as c:
                raw = c.connection.driver_connection
                raw.set_progress_handler(lambda: 1 if progress.is_cancelled() else 0, 20_000)
                try:
                    return count_rows(raw, query)
                except OPERATIONAL_ERRORS:
                    progress.check()
                    raise
                finally:
                    raw.set_progress_handler(None, 0)

        def done(n: int) -> None:
            if gen == self._generation:
                self._show_count(n)

        def failed(_exc: BaseException) -> None:
            if gen == self._generation and self._count_value is None:
                self._show_count(None, stopped=True)

        self._count_task = self.ctx.tasks.run(work, title=_("Data"), on_done=done, on_error=failed,
                                              show_progress=False, parent=self)
        self.stop_count.show()

    def cancel_count(self) -> None:
        """Stop a count running in the background (the rows already shown stay)."""
        task = getattr(self, "_count_task", None)
        if task is not None and task.running:
            task.cancel()
        self._show_count(None, stopped=True)

    def _show_count(self, n: int | None, stopped: bool = False) -> None:
        self._count_value = n
        self._count_stopped = stopped
        if n is not None or stopped:
            self.stop_count.hide()
        if stopped:
            self.count.setText(_("count stopped"))
        else:
            self.count.setText(_("counting…") if n is None else _("{n} rows").format(n=f"{n:,}"))

    # language ------------------------------------------------------------------------
    def retranslate(self, _lang: str | None = None) -> None:
        for i in range(self.tables.count()):
            item = self.tables.item(i)
            table = str(item.data(Qt.ItemDataRole.UserRole))
            n = self.row_counts.get(table)
            item.setText(table_label(table) + (f"  ({n:,})" if n is not None else ""))
            item.setToolTip(table)
        self.filter.setPlaceholderText(_("Filter: text contains …, =exact; numbers: 12.5, >= 100, < 0"))
        if self.model is not None:
            self.model.retranslate()
            self._fill_columns()
        self.stop_count.setText(_("Stop counting"))
        if hasattr(self, "_count_value"):
            self._show_count(self._count_value, getattr(self, "_count_stopped", False))

    def closeEvent(self, event) -> None:  # noqa: N802 - Qt override
        if self.model is not None:
            self.model.close()
        super().closeEvent(event)
