"""Every keyboard shortcut in one table, the actions built from it, and the help dialog."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from inspector.i18n import N_, _


@dataclass(frozen=True)
class Shortcut:
    """One frequent action: id, key(s), what it does and where it works (msgids)."""

    id: str
    keys: tuple[str, ...]
    text: str
    where: str


_APP, _HOME, _WS, _DATA = N_("Everywhere"), N_("Home"), N_("Inspection workspace"), N_("Data")

SHORTCUTS: tuple[Shortcut, ...] = (
    Shortcut("help", ("F1",), N_("Keyboard shortcuts"), _APP),
    Shortcut("language", ("Ctrl+L",), N_("Switch language (中文 / English)"), _APP),
    Shortcut("home", ("Ctrl+H",), N_("Back to the inspections list"), _APP),
    Shortcut("quit", ("Ctrl+Q",), N_("Quit"), _APP),
    Shortcut("new_sync", ("Ctrl+N",), N_("New inspection from the central database"), _HOME),
    Shortcut("import_xlsx", ("Ctrl+I",), N_("New inspection from an Excel extract"), _HOME),
    Shortcut("demo", ("Ctrl+Shift+D",), N_("Create the demo inspection"), _HOME),
    Shortcut("open", ("Return",), N_("Open the selected inspection"), _HOME),
    Shortcut("planning", ("Ctrl+Shift+P",), N_("Planning: risk ranking and random draw"), _HOME),
    Shortcut("join_snapshot", ("Ctrl+J",), N_("Join a teammate's inspection from a snapshot file"), _HOME),
    Shortcut("check_store", ("Ctrl+Shift+K",), N_("Check this laptop's records"), _APP),
    Shortcut("refresh", ("F5",), N_("Refresh"), _APP),
    Shortcut("page_1", ("Ctrl+1",), N_("First screen of the sidebar"), _WS),
    Shortcut("page_next", ("Ctrl+PgDown",), N_("Next screen of the sidebar"), _WS),
    Shortcut("page_prev", ("Ctrl+PgUp",), N_("Previous screen of the sidebar"), _WS),
    Shortcut("find", ("Ctrl+F",), N_("Filter the table"), _DATA),
    Shortcut("clear_filter", ("Esc",), N_("Clear the filter (in the filter box)"), _DATA),
)

BY_ID = {s.id: s for s in SHORTCUTS}


def keys(shortcut_id: str) -> list[QKeySequence]:
    return [QKeySequence(k) for k in BY_ID[shortcut_id].keys]


def make_action(
    shortcut_id: str,
    parent: QWidget,
    slot: Callable[[], object],
    *,
    icon=None,
    context: Qt.ShortcutContext = Qt.ShortcutContext.WindowShortcut,
) -> QAction:
    """A QAction bound to the shortcut's keys; call `retranslate_action` on language change."""
    action = QAction(parent)
    if icon is not None:
        action.setIcon(icon)
    action.setShortcuts(keys(shortcut_id))
    action.setShortcutContext(context)
    action.setProperty("shortcut_id", shortcut_id)
    action.triggered.connect(lambda _checked=False: slot())
    parent.addAction(action)
    retranslate_action(action)
    return action


def retranslate_action(action: QAction) -> None:
    spec = BY_ID[str(action.property("shortcut_id"))]
    action.setText(_(spec.text))
    action.setToolTip(f"{_(spec.text)} ({', '.join(QKeySequence(k).toString(QKeySequence.SequenceFormat.NativeText) for k in spec.keys)})")


class ShortcutsDialog(QDialog):
    """The help dialog: every shortcut with its keys and where it works."""

    def __init__(self, parent: QWidget | None = None, extra: tuple[Shortcut, ...] = ()) -> None:
        super().__init__(parent)
        self.setWindowTitle(_("Keyboard shortcuts"))
        self.resize(640, 480)
        layout = QVBoxLayout(self)
        rows = SHORTCUTS + extra
        self.table = QTableWidget(len(rows), 3, self)
        self.table.setHorizontalHeaderLabels([_("Keys"), _("Action"), _("Where")])
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        for r, s in enumerate(rows):
            k = ", ".join(QKeySequence(x).toString(QKeySequence.SequenceFormat.NativeText) for x in s.keys)
            for c, text in enumerate((k, _(s.text), _(s.where))):
                self.table.setItem(r, c, QTableWidgetItem(text))
        self.table.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.table.resizeColumnToContents(0)
        self.table.resizeColumnToContents(2)
        layout.addWidget(self.table)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
