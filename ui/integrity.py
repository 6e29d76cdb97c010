"""Checking this laptop's records (the GUI's `check-store` and `verify-log`).

The core's `integrity_report` runs off the GUI thread (progress, cancel): every snapshot against
the digests recorded at sync, every event chain, the chains against the heads the accounts signed,
the events no one has signed yet and the events a session signed without having written them. The
lines are the CLI's own words; damage shows red, what is not signed yet amber, notes as notes.
"Also check signed reports…" adds the heads signed reports carry, as `verify-log --pdf` does.
"""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from inspector.i18n import _
from inspector.integrity import IntegrityReport, integrity_report
from ui.context import ApplicationContext

_COLOURS = {"ok": "#1e7a34", "damage": "#b3261e", "warning": "#8a5a00", "note": "#5f6368"}


class IntegrityDialog(QDialog):
    """The check's lines; "Check again" runs it anew."""

    def __init__(self, ctx: ApplicationContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.report: IntegrityReport | None = None
        self.task = None
        self.setWindowTitle(_("Check this laptop's records"))
        self.setMinimumSize(720, 360)
        layout = QVBoxLayout(self)
        intro = QLabel(_("Every snapshot is checked against the digests recorded when it was synced, and the event log "
                         "against the heads the accounts signed. Nothing is changed."))
        intro.setWordWrap(True)
        layout.addWidget(intro)
        self.lines = QListWidget()
        self.lines.setWordWrap(True)
        layout.addWidget(self.lines, 1)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.again = QPushButton(_("Check again"))
        buttons.addButton(self.again, QDialogButtonBox.ButtonRole.ActionRole)
        self.again.clicked.connect(lambda: self.start())
        self.with_reports = QPushButton(_("Also check signed reports…"))
        buttons.addButton(self.with_reports, QDialogButtonBox.ButtonRole.ActionRole)
        self.with_reports.clicked.connect(self.choose_reports)
        self.reports: list[Path] = []
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

    def choose_reports(self) -> None:
        files, _f = QFileDialog.getOpenFileNames(self, _("Signed reports to check the event log against"),
                                                 str(self.ctx.db_path.parent), "PDF (*.pdf)")
        if files:
            self.start([Path(f) for f in files])

    def start(self, reports: list[Path] | None = None):
        """Run the check in the background (against the signed `reports` too, kept for "Check
        again"); the lines appear when it ends."""
        if reports is not None:
            self.reports = list(reports)
        self.again.setEnabled(False)
        self.with_reports.setEnabled(False)
        self.lines.clear()
        self.lines.addItem(_("Checking…"))

        def failed(exc: BaseException) -> None:
            self.again.setEnabled(True)
            self.with_reports.setEnabled(True)
            self.lines.clear()
            self.ctx.tasks.show_error(exc, self, _("Check this laptop's records"))

        def work(progress):
            from inspector.anchors import read_reports

            pdfs = [(path.name, data) for path, data in read_reports(self.reports)]
            return integrity_report(self.ctx.engine, progress, pdfs)

        self.task = self.ctx.tasks.run(work,
                                       title=_("Check this laptop's records"), on_done=self.show_report,
                                       on_error=failed, parent=self)
        return self.task

    def show_report(self, report: IntegrityReport) -> None:
        self.report = report
        self.again.setEnabled(True)
        self.with_reports.setEnabled(True)
        self.lines.clear()
        for n, (level, text) in enumerate(report.lines()):
            item = QListWidgetItem(text)
            if level in _COLOURS:
                item.setForeground(QBrush(QColor(_COLOURS[level])))
            if n == 0:               # the verdict
                font = item.font()
                font.setBold(True)
                item.setFont(font)
            item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsEditable)
            self.lines.addItem(item)
