"""Ward census (C1), built for walking a ward with a laptop or tablet.

Pick a ward; a grid shows each registered bed (name, masked ID, admitted on, days) with
large touch targets. One key or tap per outcome; an ID field verifies on Enter (a
barcode or ID-card reader typing like a keyboard works the same); a photo from a file
(or a camera where QtMultimedia is installed) goes with the next outcome. Every tick is
one committed event from `inspector.checks.census`; undo appends an undo event.
"""
from __future__ import annotations

import importlib.util
from datetime import datetime
from pathlib import Path
from typing import Any

from PySide6.QtCore import QSize, Qt, QTimer, Signal
from PySide6.QtGui import QKeySequence, QPixmap, QShortcut
from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QFileDialog,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from inspector.checks.census import (
    census_state,
    census_summary,
    is_night,
    record_outcome,
    record_unregistered,
    roster,
    undo_last,
)
from inspector.db import StoreError
from inspector.errors import UserError
from inspector.i18n import N_, _
from ui.context import ApplicationContext
from ui.icons import icon
from ui.shortcuts import Shortcut

# The screen's own outcome labels: short words like "discharged" mean other things in other
# areas' catalogs (a column "discharge time"), so the census screen keeps distinct msgids.
OUTCOME_TEXT: dict[str, str] = {
    "present": N_("In bed"),
    "identity_mismatch": N_("Identity mismatch"),
    "on_leave": N_("On leave"),
    "absent": N_("Absent"),
    "discharged": N_("Gone home (discharge not recorded)"),
    "unregistered": N_("Unregistered occupant"),
}
SHORT_TEXT: dict[str, str] = {"discharged": N_("Gone home")}


def outcome_text(outcome: str, short: bool = False) -> str:
    """The census outcome as this screen shows it."""
    return _(SHORT_TEXT.get(outcome, OUTCOME_TEXT[outcome]) if short else OUTCOME_TEXT[outcome])


# outcome -> (key, colour of the bed tile)
OUTCOME_KEYS: dict[str, tuple[str, str]] = {
    "present": ("P", "#cdeccf"),
    "identity_mismatch": ("M", "#f6c1c1"),
    "on_leave": ("L", "#fde7b0"),
    "absent": ("A", "#f19c9c"),
    "discharged": ("D", "#d6d9e0"),
}
UNREGISTERED_KEY = "U"
TILE_SIZE = QSize(176, 104)

CENSUS_SHORTCUTS: tuple[Shortcut, ...] = tuple(
    Shortcut(f"census_{o}", (k,), OUTCOME_TEXT[o], N_("Ward census")) for o, (k, _c) in OUTCOME_KEYS.items()
) + (
    Shortcut("census_unregistered", (UNREGISTERED_KEY,), N_("unregistered occupant (needs a note)"), N_("Ward census")),
    Shortcut("census_undo", ("Ctrl+Z",), N_("Undo the last tick"), N_("Ward census")),
    Shortcut("census_id", ("Ctrl+D",), N_("Type or scan an ID number; Enter verifies"), N_("Ward census")),
    Shortcut("census_move", ("Left", "Right", "Up", "Down"), N_("Move between beds"), N_("Ward census")),
)


def camera_available() -> bool:
    """QtMultimedia is optional (PySide6-Addons): without it photos come from files."""
    try:
        return importlib.util.find_spec("PySide6.QtMultimedia") is not None
    except ModuleNotFoundError:
        return False


class BedTile(QPushButton):
    """One registered bed: large, checkable, coloured by its current outcome."""

    def __init__(self, entry, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.entry = entry
        self.outcome: str | None = None
        self.setCheckable(True)
        self.setMinimumSize(TILE_SIZE)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.refresh()

    def set_outcome(self, outcome: str | None) -> None:
        self.outcome = outcome
        self.refresh()

    def refresh(self) -> None:
        e = self.entry
        state = outcome_text(self.outcome, short=True) if self.outcome else _("not checked")
        self.setText(
            _("Bed {bed}").format(bed=e.bed) + f"  ·  {state}\n{e.psn_name}\n{e.certno_mask}\n"
            + _("in since {date} · {days} d").format(date=e.begntime[:10], days=e.days)
        )
        colour = OUTCOME_KEYS[self.outcome][1] if self.outcome else "#ffffff"
        self.setStyleSheet(
            f"QPushButton {{ background: {colour}; border: 1px solid #9aa5b1; border-radius: 6px;"
            f" text-align: left; padding: 5px; font-size: 10pt; }}"
            f"QPushButton:checked {{ border: 3px solid #2b5d8a; }}"
            f"QPushButton:focus {{ border: 3px solid #2b5d8a; }}"
        )


class CensusView(QWidget):
    """The ward census screen (see the module docstring)."""

    ticked = Signal(str)   # the kind of event committed ('census.outcome', 'census.undone', ...)

    def __init__(self, ctx: ApplicationContext, inspection_id: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.inspection_id = inspection_id
        self.tiles: list[BedTile] = []
        self.photo_path: str | bytes | None = None
        self.summary: dict[str, Any] = {}

        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        top = QHBoxLayout()
        self.ward_label = QLabel()
        self.ward = QComboBox()
        self.ward.setMinimumHeight(34)
        self.ward.setMinimumWidth(200)
        top.addWidget(self.ward_label)
        top.addWidget(self.ward)
        self.period = QLabel()
        self.period.setObjectName("censusPeriod")
        top.addWidget(self.period, 1)
        outer.addLayout(top)
        self.counts = QLabel()
        self.counts.setObjectName("censusCounts")
        self.counts.setWordWrap(True)
        self.counts.setStyleSheet("font-size: 11pt;")
        outer.addWidget(self.counts)

        body = QHBoxLayout()
        self.scroll = QScrollArea()
        self.scroll.setWidgetResizable(True)
        self.grid_host = QWidget()
        self.grid = QGridLayout(self.grid_host)
        self.grid.setSpacing(8)
        self.grid.setAlignment(Qt.AlignmentFlag.AlignTop)
        self.scroll.setWidget(self.grid_host)
        body.addWidget(self.scroll, 1)
        self.group = QButtonGroup(self)
        self.group.setExclusive(True)

        panel = QFrame()
        panel.setFrameShape(QFrame.Shape.StyledPanel)
        panel.setFixedWidth(330)
        pl = QVBoxLayout(panel)
        self.selected = QLabel()
        self.selected.setWordWrap(True)
        self.selected.setStyleSheet("font-size: 11pt; font-weight: 600;")
        pl.addWidget(self.selected)
        self.id_label = QLabel()
        pl.addWidget(self.id_label)
        self.id_field = QLineEdit()
        self.id_field.setMinimumHeight(36)
        self.id_field.setMaxLength(24)
        self.id_field.returnPressed.connect(self.verify_id)
        pl.addWidget(self.id_field)
        self.note_label = QLabel()
        pl.addWidget(self.note_label)
        self.note = QLineEdit()
        self.note.setMinimumHeight(32)
        pl.addWidget(self.note)
        self.buttons: dict[str, QPushButton] = {}
        bl = QGridLayout()
        for i, outcome in enumerate(list(OUTCOME_KEYS) + ["unregistered"]):
            b = QPushButton()
            b.setMinimumHeight(44)
            b.clicked.connect(lambda _c=False, o=outcome: self.tick(o))
            self.buttons[outcome] = b
            bl.addWidget(b, i // 2, i % 2)
        pl.addLayout(bl)
        photo_row = QHBoxLayout()
        self.photo_button = QPushButton(icon("photo"), "")
        self.photo_button.setMinimumHeight(36)
        self.photo_button.clicked.connect(self.choose_photo)
        photo_row.addWidget(self.photo_button)
        self.camera_button = QPushButton(icon("camera"), "")
        self.camera_button.setMinimumHeight(36)
        self.camera_button.clicked.connect(self.take_photo)
        self.camera_button.setVisible(camera_available())
        photo_row.addWidget(self.camera_button)
        pl.addLayout(photo_row)
        self.thumb = QLabel()
        self.thumb.setFixedHeight(72)
        self.thumb.setAlignment(Qt.AlignmentFlag.AlignCenter)
        pl.addWidget(self.thumb)
        self.undo_button = QPushButton(icon("undo"), "")
        self.undo_button.setMinimumHeight(40)
        self.undo_button.clicked.connect(self.undo)
        pl.addWidget(self.undo_button)
        self.message = QLabel()
        self.message.setWordWrap(True)
        pl.addWidget(self.message)
        pl.addStretch(1)
        body.addWidget(panel)
        outer.addLayout(body, 1)

        for outcome, (key, _colour) in OUTCOME_KEYS.items():
            QShortcut(QKeySequence(key), self, lambda o=outcome: self.tick(o),
                      context=Qt.ShortcutContext.WidgetWithChildrenShortcut)
        QShortcut(QKeySequence(UNREGISTERED_KEY), self, lambda: self.tick("unregistered"),
                  context=Qt.ShortcutContext.WidgetWithChildrenShortcut)
        QShortcut(QKeySequence("Ctrl+Z"), self, self.undo, context=Qt.ShortcutContext.WidgetWithChildrenShortcut)
        QShortcut(QKeySequence("Ctrl+D"), self, self.focus_id, context=Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.group.idClicked.connect(lambda i: self.select(i))
        self.ward.currentIndexChanged.connect(lambda _i: self.load_ward())
        self._clock = QTimer(self)
        self._clock.timeout.connect(self.update_period)
        self._clock.start(30_000)
        ctx.language.changed.connect(self.retranslate)
        self.load_wards()
        self.retranslate()

    # loading -----------------------------------------------------------------------------
    def load_wards(self) -> None:
        with self.ctx.engine.connect() as conn:
            self.summary = census_summary(conn, self.inspection_id)
        self.ward.blockSignals(True)
        self.ward.clear()
        for w in self.summary["wards"]:
            if w["registered"]:
                self.ward.addItem(f'{w["ward_name"]}  {w["ward_codg"]}', w["ward_codg"])
        self.ward.blockSignals(False)
        self.load_ward()

    def current_ward(self) -> str | None:
        return self.ward.currentData()

    def load_ward(self) -> None:
        """Build the bed grid of the chosen ward with each bed's current outcome."""
        for t in self.tiles:
            self.group.removeButton(t)
            t.deleteLater()
        self.tiles = []
        ward = self.current_ward()
        if ward is None:
            self._update_counts()
            return
        with self.ctx.engine.connect() as conn:
            entries = roster(conn, self.inspection_id, ward)
            st = census_state(conn, self.inspection_id)
        cols = max(1, (self.scroll.viewport().width() - 8) // (TILE_SIZE.width() + 8)) if self.isVisible() else 4
        for i, e in enumerate(entries):
            tile = BedTile(e)
            ev = st.outcomes.get(e.mdtrt_id)
            tile.set_outcome(ev.payload["outcome"] if ev else None)
            self.group.addButton(tile, i)
            self.grid.addWidget(tile, i // cols, i % cols)
            self.tiles.append(tile)
        if self.tiles:
            self.select(self.next_unchecked(-1))
        self._update_counts()

    # selection and keys ----------------------------------------------------------------------
    def next_unchecked(self, after: int) -> int:
        n = len(self.tiles)
        for k in range(1, n + 1):
            i = (after + k) % n
            if self.tiles[i].outcome is None:
                return i
        return min(max(after, 0), n - 1)

    def selected_index(self) -> int:
        return self.group.checkedId()

    def selected_tile(self) -> BedTile | None:
        i = self.selected_index()
        return self.tiles[i] if 0 <= i < len(self.tiles) else None

    def select(self, i: int) -> None:
        if not 0 <= i < len(self.tiles):
            return
        tile = self.tiles[i]
        tile.setChecked(True)
        self.scroll.ensureWidgetVisible(tile)
        if not self.id_field.hasFocus() and not self.note.hasFocus():
            tile.setFocus()
        e = tile.entry
        self.selected.setText(_("Bed {bed}").format(bed=e.bed) + f" · {e.psn_name}\n{e.certno_mask} · "
                              + _("admitted {date} · {days} days").format(date=e.begntime[:10], days=e.days)
                              + ("\n" + _("leave record covers the visit time") if e.leave_covers_v else ""))

    def keyPressEvent(self, event) -> None:  # noqa: N802 - Qt override: arrows move between beds
        i = self.selected_index()
        cols = max(1, self.grid.columnCount())
        step = {Qt.Key.Key_Left: -1, Qt.Key.Key_Right: 1, Qt.Key.Key_Up: -cols, Qt.Key.Key_Down: cols}.get(event.key())
        if step is not None and self.tiles:
            self.select(min(max(i + step, 0), len(self.tiles) - 1))
            return
        super().keyPressEvent(event)

    def focus_id(self) -> None:
        self.id_field.setFocus()
        self.id_field.selectAll()

    # actions -----------------------------------------------------------------------------------
    def verify_id(self) -> None:
        """Enter in the ID field: the bed's patient is present if the number matches."""
        if self.id_field.text().strip():
            self.tick("present", keep_focus=True)

    def tick(self, outcome: str, keep_focus: bool = False) -> bool:
        """Record `outcome` for the selected bed as one committed event; returns success."""
        tile = self.selected_tile()
        if tile is None:
            return False
        id_text = self.id_field.text().strip() or None
        note = self.note.text().strip() or None
        try:
            if outcome == "unregistered":
                record_unregistered(self.ctx.engine, self.inspection_id, tile.entry.ward_codg, tile.entry.bed,
                                    note or "", photo=self.photo_path, actor=self.ctx.actor)
            else:
                record_outcome(self.ctx.engine, self.inspection_id, tile.entry.mdtrt_id, outcome,
                               id_number=id_text if outcome in ("present", "identity_mismatch") else None,
                               note=note, photo=self.photo_path, actor=self.ctx.actor)
        except (UserError, StoreError) as exc:
            self.show_message(str(exc), error=True)
            return False
        if outcome != "unregistered":
            tile.set_outcome(outcome)
        label = outcome_text(outcome)
        self.show_message(_("Bed {bed}: {outcome} recorded").format(bed=tile.entry.bed, outcome=label))
        self.id_field.clear()
        self.note.clear()
        self.set_photo(None)
        self.select(self.next_unchecked(self.selected_index()))
        if keep_focus:
            self.id_field.setFocus()
        QTimer.singleShot(0, self.refresh_counts)
        self.ticked.emit("census.unregistered" if outcome == "unregistered" else "census.outcome")
        return True

    def undo(self) -> None:
        """Undo the last tick (an undo event is appended; nothing is deleted)."""
        try:
            ev = undo_last(self.ctx.engine, self.inspection_id, actor=self.ctx.actor)
        except (UserError, StoreError) as exc:
            self.show_message(str(exc), error=True)
            return
        self.show_message(_("Undone: bed {bed}, {outcome}").format(
            bed=ev.payload.get("bed"), outcome=outcome_text(ev.payload.get("outcome") or "unregistered")))
        with self.ctx.engine.connect() as conn:
            st = census_state(conn, self.inspection_id)
        for i, t in enumerate(self.tiles):
            ev2 = st.outcomes.get(t.entry.mdtrt_id)
            t.set_outcome(ev2.payload["outcome"] if ev2 else None)
            if t.entry.mdtrt_id == ev.payload.get("mdtrt_id"):
                self.select(i)
        QTimer.singleShot(0, self.refresh_counts)
        self.ticked.emit("census.undone")

    def choose_photo(self) -> None:
        start = self.ctx.settings.recent("photos")[0] if self.ctx.settings.recent("photos") else ""
        path, _f = QFileDialog.getOpenFileName(self, _("Photo evidence"), start, _("Images (*.jpg *.jpeg *.png)"))
        if path:
            self.ctx.settings.add_recent("photos", str(Path(path).parent))
            self.set_photo(path)

    def take_photo(self) -> None:
        from ui.camera import CameraDialog

        dlg = CameraDialog(self)
        if dlg.exec() and dlg.saved_bytes:
            self.set_photo(dlg.saved_bytes)

    def set_photo(self, path: str | bytes | None) -> None:
        """The photo that goes with the next outcome (an ID photo or a leave slip): a file the
        user chose, or a camera photo held in memory only (never left in a temporary file)."""
        self.photo_path = path
        if path:
            pix = QPixmap()
            if isinstance(path, bytes):
                pix.loadFromData(path)
            else:
                pix = QPixmap(path)
            self.thumb.setPixmap(pix.scaledToHeight(68, Qt.TransformationMode.SmoothTransformation) if not pix.isNull() else QPixmap())
            self.thumb.setToolTip(_("Camera photo") if isinstance(path, bytes) else path)
        else:
            self.thumb.clear()
            self.thumb.setToolTip("")

    def show_message(self, text: str, error: bool = False) -> None:
        self.message.setStyleSheet("color: #b00020;" if error else "color: #1d6b33;")
        self.message.setText(text)

    # figures -------------------------------------------------------------------------------------
    def refresh_counts(self) -> None:
        with self.ctx.engine.connect() as conn:
            self.summary = census_summary(conn, self.inspection_id)
        self._update_counts()

    def ward_figures(self) -> dict[str, Any] | None:
        ward = self.current_ward()
        return next((w for w in self.summary.get("wards", []) if w["ward_codg"] == ward), None)

    def _update_counts(self) -> None:
        w = self.ward_figures()
        o = self.summary.get("overall", {})
        if w is None:
            self.counts.setText(_("No inpatients registered at the visit time."))
            return

        def pct(x: str | None) -> str:
            return "—" if x is None else f"{float(x) * 100:.1f}%"

        parts = [
            _("Ward: registered {r}, checked {c}").format(r=w["registered"], c=w["checked"]),
            " · ".join(f'{outcome_text(k, short=True)} {w[k]}' for k in OUTCOME_KEYS),
            _("unregistered {n}").format(n=w["unregistered"]),
            _("absence ratio {p}").format(p=pct(w["absence_ratio"])),
        ]
        if w.get("rule_applied"):
            parts.append(_("ward absence rule applies"))
        text = " · ".join(parts)
        text += "\n" + _("Hospital: registered {r}, checked {c}, absent {a}, absence ratio {p}").format(
            r=o.get("registered", 0), c=o.get("checked", 0), a=o.get("absent", 0), p=pct(o.get("absence_ratio")))
        self.counts.setText(text)

    def update_period(self) -> None:
        now = datetime.now()
        stamp = now.strftime("%Y-%m-%d %H:%M:%S")
        kind = _("night census (21:00–08:00)") if is_night(stamp) else _("day census")
        visit = self.summary.get("visit_time", "")
        self.period.setText(_("Now {time}: {kind} · visit time {visit}").format(
            time=stamp[:16], kind=kind, visit=str(visit)[:16]))

    def retranslate(self, _lang: str | None = None) -> None:
        self.ward_label.setText(_("Ward"))
        self.id_label.setText(_("ID number (type or scan, Enter verifies)"))
        self.id_field.setPlaceholderText("610102199001011234")
        self.note_label.setText(_("Note"))
        self.note.setPlaceholderText(_("how identity was confirmed, who was found…"))
        for outcome, b in self.buttons.items():
            key = OUTCOME_KEYS[outcome][0] if outcome in OUTCOME_KEYS else UNREGISTERED_KEY
            b.setText(f"{outcome_text(outcome, short=True)}  ({key})")
            b.setToolTip(outcome_text(outcome))
        self.photo_button.setText(_("Photo from file…"))
        self.camera_button.setText(_("Camera…"))
        self.undo_button.setText(_("Undo last tick") + "  (Ctrl+Z)")
        for t in self.tiles:
            t.refresh()
        self.update_period()
        self._update_counts()
        t = self.selected_tile()
        if t is not None:
            self.select(self.selected_index())
