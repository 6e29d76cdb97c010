"""The home list: a small table model over `inspector.inspections.list_inspections`."""
from __future__ import annotations

from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt

from inspector.i18n import N_, _

STATUS_LABELS = {
    "synced": N_("Synced"),
    "screened": N_("Screened"),
    "on_site": N_("On site"),
    "in_review": N_("In review"),
    "approved": N_("Approved"),
    "signed": N_("Signed"),
    "uploaded": N_("Uploaded"),
}

COLUMNS: tuple[tuple[str, str], ...] = (
    ("institution", N_("Institution")),
    ("window", N_("Review window")),
    ("visit_time", N_("Visit time")),
    ("status", N_("Status")),
    ("visits", N_("Visits")),
    ("fee_lines", N_("Fee lines")),
    ("last_activity", N_("Last activity")),
)


def status_label(status: str) -> str:
    return _(STATUS_LABELS.get(status, status))


class InspectionsModel(QAbstractTableModel):
    """One row per local inspection (the list is small: it is held in memory)."""

    ID_ROLE = Qt.ItemDataRole.UserRole + 1

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.rows: list[dict[str, Any]] = []

    def set_rows(self, rows: list[dict[str, Any]]) -> None:
        self.beginResetModel()
        self.rows = list(rows)
        self.endResetModel()

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(COLUMNS)

    def cell(self, row: dict[str, Any], key: str) -> str:
        counts = row.get("row_counts") or {}
        if key == "institution":
            return f'{row["fixmedins_name"]}  {row["fixmedins_code"]}'.strip()
        if key == "window":
            return f'{row["date_from"]} – {row["date_to"]}'
        if key == "visit_time":
            return str(row["visit_time"])[:16]
        if key == "status":
            return status_label(row["status"])
        if key == "visits":
            return f'{counts.get("mdtrt", 0):,}'
        if key == "fee_lines":
            return f'{counts.get("feedetl", 0):,}'
        if key == "last_activity":
            return str(row.get("last_activity") or row.get("synced_at") or "")[:16]
        return ""

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self.rows):
            return None
        row = self.rows[index.row()]
        key = COLUMNS[index.column()][0]
        if role == Qt.ItemDataRole.DisplayRole:
            return self.cell(row, key)
        if role == self.ID_ROLE:
            return row["id"]
        if role == Qt.ItemDataRole.TextAlignmentRole and key in ("visits", "fee_lines"):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole and 0 <= section < len(COLUMNS):
            return _(COLUMNS[section][1])
        return None

    def retranslate(self) -> None:
        self.headerDataChanged.emit(Qt.Orientation.Horizontal, 0, len(COLUMNS) - 1)
        if self.rows:
            self.dataChanged.emit(self.index(0, 0), self.index(len(self.rows) - 1, len(COLUMNS) - 1))
