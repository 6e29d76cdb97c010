"""Leads (screening S1-S9): run the screening off the GUI thread, filter by rule and status,
open the records behind a lead, confirm or dismiss it with a reason (core calls only)."""
from __future__ import annotations

from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QBrush, QColor, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from inspector.db import StoreError
from inspector.errors import UserError
from inspector.i18n import N_, _
from inspector.screening.leads import LEAD_STATUSES, decide_lead, is_screened, list_leads
from inspector.screening.rules import RULES, rule_title
from inspector.screening.summaries import summary_in_language
from ui.context import ApplicationContext
from ui.icons import icon
from ui.models.labels import table_label
from ui.models.snapshot_table import SnapshotTableModel
from ui.shortcuts import Shortcut

COLUMNS = (N_("ID"), N_("Rule"), N_("Key"), N_("Severity"), N_("Amount"), N_("Summary"), N_("Status"), N_("Reason"))
STATUS_TEXT = {"open": N_("open"), "confirmed": N_("confirmed"), "dismissed": N_("dismissed")}
SEVERITY_TEXT = {"high": N_("High"), "medium": N_("Medium"), "low": N_("Low")}
STATUS_COLOURS = {"confirmed": "#f6c1c1", "dismissed": "#e3e6ea"}
# Where the records behind a lead are: rule -> [(table, column, index in the key)]
RECORDS_OF = {
    "S1": [("feedetl", "mdtrt_id", 0), ("feedetl", "mdtrt_id", 1), ("mdtrt", "mdtrt_id", 0), ("mdtrt", "mdtrt_id", 1)],
    "S2": [("feedetl", "fee_ocur_time", 0)],
    "S3": [("feedetl", "mdtrt_id", 0)],
    "S4": [("feedetl", "mdtrt_id", 0), ("mdtrt", "mdtrt_id", 0)],
    "S5": [("feedetl", "feedetl_sn", 0)],
    "S6": [("drug_sel", "med_list_codg", 0), ("drug_purc", "med_list_codg", 0), ("drug_inv", "med_list_codg", 0)],
    "S7": [("drug_inv", "med_list_codg", 0), ("drug_sel", "med_list_codg", 0), ("drug_purc", "med_list_codg", 0)],
    "S8": [("feedetl", "mdtrt_id", 0), ("mdtrt", "mdtrt_id", 0)],
    "S9": [("feedetl", "mdtrt_id", 0), ("feedetl", "mdtrt_id", 1), ("mdtrt", "mdtrt_id", 0), ("mdtrt", "mdtrt_id", 1)],
}

LEADS_SHORTCUTS: tuple[Shortcut, ...] = (
    Shortcut("lead_confirm", ("Ctrl+Return",), N_("Confirm the selected lead"), N_("Leads")),
    Shortcut("lead_dismiss", ("Ctrl+Backspace",), N_("Dismiss the selected lead (with the reason typed)"), N_("Leads")),
)


class LeadsModel(QAbstractTableModel):
    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.leads: list = []

    def set_leads(self, leads: list) -> None:
        self.beginResetModel()
        self.leads = list(leads)
        self.endResetModel()

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.leads)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(COLUMNS)

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        lead = self.leads[index.row()]
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            return [str(lead.id), lead.rule, " · ".join(str(k) for k in lead.key),
                    _(SEVERITY_TEXT[lead.severity]) if lead.severity in SEVERITY_TEXT else (lead.severity or ""),
                    f"{lead.amount:,.2f}",
                    summary_in_language(lead.rule, lead.figures, lead.amount, lead.severity, lead.summary),
                    lead.status_text(),
                    lead.reason or ""][index.column()]
        if role == Qt.ItemDataRole.BackgroundRole and lead.status in STATUS_COLOURS:
            return QBrush(QColor(STATUS_COLOURS[lead.status]))
        if role == Qt.ItemDataRole.TextAlignmentRole and index.column() in (0, 4):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole and 0 <= section < len(COLUMNS):
            return _(COLUMNS[section])
        return None


class LeadsView(QWidget):
    """The leads screen (see the module docstring)."""

    def __init__(self, ctx: ApplicationContext, info, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.info = info
        self.inspection_id = info.inspection_id
        self.records: SnapshotTableModel | None = None
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        top = QHBoxLayout()
        self.run_button = QPushButton(icon("leads"), "")
        self.run_button.setMinimumHeight(34)
        self.run_button.clicked.connect(self.run)
        top.addWidget(self.run_button)
        self.rule = QComboBox()
        self.rule.addItem("", None)
        for r in RULES:
            self.rule.addItem("", r)
        self.status = QComboBox()
        self.status.addItem("", None)
        for s in LEAD_STATUSES:
            self.status.addItem("", s)
        top.addWidget(self.rule, 1)
        top.addWidget(self.status)
        self.info_label = QLabel()
        top.addWidget(self.info_label, 1)
        layout.addLayout(top)
        split = QSplitter(Qt.Orientation.Vertical)
        self.model = LeadsModel(self)
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setSectionResizeMode(5, QHeaderView.ResizeMode.Stretch)
        split.addWidget(self.table)
        bottom = QWidget()
        bl = QVBoxLayout(bottom)
        bl.setContentsMargins(0, 0, 0, 0)
        actions = QHBoxLayout()
        self.reason = QLineEdit()
        self.reason.setMinimumHeight(30)
        self.confirm_button = QPushButton(icon("check"), "")
        self.dismiss_button = QPushButton(icon("cancel"), "")
        self.record_choice = QComboBox()
        actions.addWidget(self.reason, 2)
        actions.addWidget(self.confirm_button)
        actions.addWidget(self.dismiss_button)
        actions.addWidget(self.record_choice, 1)
        bl.addLayout(actions)
        self.message = QLabel()
        self.message.setWordWrap(True)
        bl.addWidget(self.message)
        self.record_view = QTableView()
        self.record_view.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 6)
        bl.addWidget(self.record_view, 1)
        split.addWidget(bottom)
        split.setSizes([380, 300])
        layout.addWidget(split, 1)

        self.rule.currentIndexChanged.connect(lambda _i: self.reload())
        self.status.currentIndexChanged.connect(lambda _i: self.reload())
        self.table.selectionModel().currentRowChanged.connect(lambda cur, _prev: self.show_lead(cur.row()))
        self.record_choice.currentIndexChanged.connect(lambda _i: self.open_records())
        self.confirm_button.clicked.connect(lambda: self.decide("confirmed"))
        self.dismiss_button.clicked.connect(lambda: self.decide("dismissed"))
        QShortcut(QKeySequence("Ctrl+Return"), self, lambda: self.decide("confirmed"),
                  context=Qt.ShortcutContext.WidgetWithChildrenShortcut)
        QShortcut(QKeySequence("Ctrl+Backspace"), self, lambda: self.decide("dismissed"),
                  context=Qt.ShortcutContext.WidgetWithChildrenShortcut)
        ctx.language.changed.connect(self.retranslate)
        self.retranslate()
        self.reload()

    # data ---------------------------------------------------------------------------------------
    def reload(self) -> None:
        try:
            leads = list_leads(self.ctx.engine, self.inspection_id, self.rule.currentData(), self.status.currentData())
            screened = is_screened(self.ctx.engine, self.inspection_id)
        except (UserError, StoreError) as exc:
            self.show_message(str(exc), error=True)
            return
        keep = self.current_lead().id if self.current_lead() else None
        self.model.set_leads(leads)
        self.table.resizeColumnsToContents()
        self.table.horizontalHeader().setSectionResizeMode(5, QHeaderView.ResizeMode.Stretch)
        total = sum((lead.amount for lead in leads), start=0)
        self.info_label.setText(_("{n} leads · amount {a}").format(n=len(leads), a=f"{total:,.2f}") if screened
                                else _("Not screened yet."))
        ids = [lead.id for lead in leads]
        if leads:
            self.table.selectRow(ids.index(keep) if keep in ids else 0)

    def current_lead(self):
        row = self.table.currentIndex().row() if hasattr(self, "table") else -1
        return self.model.leads[row] if 0 <= row < len(self.model.leads) else None

    def show_lead(self, row: int) -> None:
        lead = self.model.leads[row] if 0 <= row < len(self.model.leads) else None
        self.record_choice.blockSignals(True)
        self.record_choice.clear()
        if lead is not None:
            for table, column, i in RECORDS_OF.get(lead.rule, []):
                if i < len(lead.key):
                    self.record_choice.addItem(f"{table_label(table)}: {lead.key[i]}", (table, column, str(lead.key[i])))
            self.reason.setText(lead.reason or "")
        self.record_choice.blockSignals(False)
        self.open_records()

    def open_records(self) -> None:
        """The records behind the lead, in a lazy table filtered in SQL."""
        choice = self.record_choice.currentData()
        old = self.records
        if choice is None:
            self.record_view.setModel(None)
            self.records = None
        else:
            table, column, value = choice
            self.records = SnapshotTableModel(self.ctx.engine, table, self.info.snapshot_id, self)
            self.records.set_filter(column, value if column == "fee_ocur_time" else "=" + value)
            self.record_view.setModel(self.records)
            self.record_view.resizeColumnsToContents()
        if old is not None:
            old.close()
            old.deleteLater()

    # actions --------------------------------------------------------------------------------------
    def run(self) -> None:
        """Run S1-S9 on a worker thread with progress and Cancel; leads refresh when done."""
        from inspector.screening.runner import run_screening

        engine = self.ctx.engine

        def done(result) -> None:
            self.show_message(_("Screening done: {n} leads.").format(n=result.total))
            self.reload()

        actor = self.ctx.actor
        self.task = self.ctx.tasks.run(lambda progress: run_screening(engine, self.inspection_id, progress=progress,
                                                                      actor=actor, keep_leads=False),
                                       title=_("Screening"), on_done=done, write=True, parent=self)

    def decide(self, status: str) -> None:
        lead = self.current_lead()
        if lead is None:
            return
        try:
            decide_lead(self.ctx.engine, self.inspection_id, status=status, lead_id=lead.id,
                        reason=self.reason.text().strip() or None, actor=self.ctx.actor)
        except (UserError, StoreError) as exc:
            self.show_message(str(exc), error=True)
            return
        self.show_message(_("Lead {id}: {status}").format(id=lead.id, status=_(STATUS_TEXT[status])))
        self.reload()

    def show_message(self, text: str, error: bool = False) -> None:
        self.message.setStyleSheet("color: #b00020;" if error else "color: #1d6b33;")
        self.message.setText(text)

    def retranslate(self, _lang: str | None = None) -> None:
        self.run_button.setText(_("Run screening (S1-S9)"))
        self.rule.setItemText(0, _("All rules"))
        for i in range(1, self.rule.count()):
            r = self.rule.itemData(i)
            self.rule.setItemText(i, f"{r} {_(rule_title(r))}")
        self.status.setItemText(0, _("Any status"))
        for i in range(1, self.status.count()):
            self.status.setItemText(i, _(STATUS_TEXT[self.status.itemData(i)]))
        self.reason.setPlaceholderText(_("Reason (needed to dismiss)"))
        self.confirm_button.setText(_("Confirm") + " (Ctrl+Enter)")
        self.dismiss_button.setText(_("Dismiss") + " (Ctrl+Backspace)")
        self.model.headerDataChanged.emit(Qt.Orientation.Horizontal, 0, len(COLUMNS) - 1)
