"""Exchange: share the inspection with the team's other laptops through a folder (a USB stick).

Export writes this laptop's events as a bundle signed by the logged-in account (and, for a
laptop that has not joined yet, the snapshot file); import merges every bundle found in a folder
and says what came in from whom; the conflicts list shows items recorded differently on two
laptops, and the team lead (or the author of both records) keeps one. Core calls only.
"""
from __future__ import annotations

import html
from datetime import datetime
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFileDialog,
    QGroupBox,
    QHeaderView,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from inspector.db import StoreError
from inspector.errors import UserError
from inspector.exchange.conflicts import AREA_LABELS, SAMPLE_AREAS
from inspector.i18n import _
from ui.context import ApplicationContext
from ui.icons import icon

BUNDLE_SUFFIX = ".inspector-bundle"
SNAPSHOT_SUFFIX = ".inspector-snapshot"


def _table(headers: list[str]) -> QTableWidget:
    t = QTableWidget(0, len(headers))
    t.setHorizontalHeaderLabels(headers)
    t.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    t.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    t.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    t.verticalHeader().setVisible(False)
    t.horizontalHeader().setStretchLastSection(True)
    return t


def _fill(t: QTableWidget, rows: list[list[object]]) -> None:
    t.setRowCount(len(rows))
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            item = QTableWidgetItem("" if value is None else str(value))
            item.setToolTip(item.text())          # the whole text, when the cell shows it cut short
            t.setItem(r, c, item)
    t.resizeColumnsToContents()
    # the last column (result, value) takes the room left and cuts long texts: no sideways scroll
    t.horizontalHeader().setSectionResizeMode(t.columnCount() - 1, QHeaderView.ResizeMode.Stretch)


class ExchangeView(QWidget):
    """The Exchange screen of one inspection."""

    def __init__(self, ctx: ApplicationContext, info, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx, self.info, self.inspection_id = ctx, info, info.inspection_id
        self.last_results: list[dict[str, object]] = []
        lay = QVBoxLayout(self)
        self.title = QLabel()
        self.title.setObjectName("pageTitle")
        self.digest = QLabel()
        self.digest.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        lay.addWidget(self.title)
        lay.addWidget(self.digest)

        self.move_box = QGroupBox()
        row = QHBoxLayout(self.move_box)
        self.export_button = QPushButton(icon("copy"), "")
        self.export_button.clicked.connect(self.choose_and_export)
        self.snapshot_button = QPushButton(icon("data"), "")
        self.snapshot_button.clicked.connect(self.choose_and_export_snapshot)
        self.import_button = QPushButton(icon("import"), "")
        self.import_button.clicked.connect(self.choose_and_import)
        for b in (self.export_button, self.snapshot_button, self.import_button):
            row.addWidget(b)
        row.addStretch(1)
        lay.addWidget(self.move_box)

        self.came_box = QGroupBox()
        v = QVBoxLayout(self.came_box)
        self.came = _table([""] * 5)
        v.addWidget(self.came)
        lay.addWidget(self.came_box, 1)

        self.conflict_box = QGroupBox()
        v = QVBoxLayout(self.conflict_box)
        self.conflicts = _table([""] * 6)
        v.addWidget(self.conflicts)
        h = QHBoxLayout()
        self.keep_button = QPushButton(icon("check"), "")
        self.keep_button.clicked.connect(self.keep_selected)
        h.addWidget(self.keep_button)
        h.addStretch(1)
        v.addLayout(h)
        lay.addWidget(self.conflict_box, 1)
        self._conflict_rows: list[tuple[str, str, str]] = []
        ctx.language.changed.connect(self.retranslate)
        self.retranslate()

    # --- text -------------------------------------------------------------------------------
    def retranslate(self, *_args) -> None:
        self.title.setText(_("Exchange with the team's laptops"))
        self.move_box.setTitle(_("Through a folder or USB stick"))
        self.export_button.setText(_("Export my work…"))
        self.snapshot_button.setText(_("Export for a laptop that joins…"))
        self.import_button.setText(_("Import from a folder…"))
        self.came_box.setTitle(_("What came in"))
        self.conflict_box.setTitle(_("Conflicts to resolve"))
        self.keep_button.setText(_("Keep this record's value"))
        self.came.setHorizontalHeaderLabels([_("file or bundle"), _("from"), _("events"), _("new"), _("result")])
        self.conflicts.setHorizontalHeaderLabels([_("kind"), _("item"), _("by"), _("laptop"), _("at"), _("value")])
        self.refresh()

    def refresh(self) -> None:
        from inspector.exchange.bundle import merged_bundles
        from inspector.exchange.conflicts import list_conflicts, value_text
        from inspector.exchange.state import state_digest
        from inspector.events import inspection_uid

        with self.ctx.engine.connect() as conn:
            digest = state_digest(conn, self.inspection_id)
            uid = inspection_uid(conn, self.inspection_id)
            merged = merged_bundles(conn, uid)
            found = list_conflicts(conn, self.inspection_id)
            names = dict(conn.exec_driver_sql("SELECT login, display_name FROM account").fetchall())
        self.digest.setText(_("State digest (compare it between laptops): {d}").format(d=digest[:16]))
        # one row per bundle: a bundle merged in this session is in the store's list too, and shows
        # once, under its file name; files that brought nothing new or were refused come first
        merged_now = {r["sha256"]: r["file"] for r in self.last_results if r.get("sha256")}
        kept = {b["sha256"] for b in merged}
        rows = [[r["file"], r["from"], r["events"], r["added"], r["result"]] for r in self.last_results
                if r.get("sha256") not in kept]
        rows += [[merged_now.get(b["sha256"], b["sha256"][:16]), names.get(b["sender"], b["sender"]), b["events"],
                  b["added"], _("merged {at}").format(at=b["imported_at"])] for b in reversed(merged)]
        _fill(self.came, rows)
        self._conflict_rows = []
        crow = []
        for c in found:
            for r in c.as_dict()["records"]:
                value = value_text(c.area, r["value"])
                item = _("the whole sample") if c.area in SAMPLE_AREAS else c.item
                crow.append([_(AREA_LABELS[c.area]), item, names.get(r["author"], r["author"]), r["device"][:8],
                             r["at"][:19], value])
                self._conflict_rows.append((c.area, c.item, r["event"]))
        _fill(self.conflicts, crow)
        self.keep_button.setEnabled(bool(crow))

    # --- actions ----------------------------------------------------------------------------
    def _actor_with_key(self):
        actor = getattr(self.ctx, "actor", None)
        if actor is None or getattr(actor, "key", None) is None:
            raise UserError(_("your account has no signing key in this store yet; ask the team lead to import it"))
        return actor

    def _say(self, title: str, text: str, error: bool = False) -> None:
        box = QMessageBox(QMessageBox.Icon.Warning if error else QMessageBox.Icon.Information, title, text,
                          QMessageBox.StandardButton.Ok, self)
        box.setModal(True)
        box.show()
        self.last_box = box

    def _name(self, suffix: str) -> str:
        actor = getattr(self.ctx, "actor", None)
        who = actor.login if actor else "laptop"
        return f"{self.info.fixmedins_code}-{who}-{datetime.now():%Y%m%d-%H%M%S}{suffix}"

    def export_to(self, folder: Path) -> Path:
        """Write this laptop's bundle into `folder`; returns the file."""
        from inspector.exchange.bundle import export_bundle

        actor = self._actor_with_key()
        out = Path(folder) / self._name(BUNDLE_SUFFIX)
        export_bundle(self.ctx.engine, self.inspection_id, out, login=actor.login, name=actor.display_name,
                      private_key=actor.key.private_key, certificate=actor.key.certificate,
                      session_from=actor.session_from)
        return out

    def export_snapshot_to(self, folder: Path, progress=None) -> tuple[Path, str]:
        """Write the snapshot file for a laptop that joins into `folder`; returns it and its transfer code.
        No widget is touched: `choose_and_export_snapshot` runs it in the background."""
        from inspector.exchange.people import team_for_export
        from inspector.exchange.snapshot_file import export_snapshot

        actor = self._actor_with_key()
        with self.ctx.engine.connect() as conn:
            team = team_for_export(conn, self.inspection_id)
        out = Path(folder) / self._name(SNAPSHOT_SUFFIX)
        r = export_snapshot(self.ctx.engine, self.inspection_id, out, login=actor.login, name=actor.display_name,
                            private_key=actor.key.private_key, certificate=actor.key.certificate, team=team,
                            progress=progress, session_from=actor.session_from)
        return out, r.transfer_code

    def import_from(self, folder: Path) -> list[dict[str, object]]:
        """Merge every bundle in `folder` (oldest name first); one result row per file."""
        from cryptography import x509

        from inspector.exchange.bundle import import_bundle
        from inspector.signing.trust import anchor_certificates

        anchors = [x509.load_der_x509_certificate(d) for d in anchor_certificates(self.ctx.engine)]
        actor = getattr(self.ctx, "actor", None)
        results = []
        for f in sorted(Path(folder).glob(f"*{BUNDLE_SUFFIX}")):
            try:
                r = import_bundle(self.ctx.engine, f, anchors=anchors, author=actor.login if actor else None,
                                  reader=actor)
                results.append({"file": f.name, "sha256": r.sha256, "from": r.sender_name or r.sender,
                                "events": r.events, "added": r.added,
                                "result": _("merged") if r.added else _("nothing new")})
            except (UserError, StoreError) as exc:
                results.append({"file": f.name, "from": "", "events": "", "added": 0, "result": str(exc)})
        self.last_results = results
        self.refresh()
        return results

    def choose_and_export(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, _("Export my work to a folder"))
        if folder:
            try:
                out = self.export_to(Path(folder))
                self._say(_("Exported"), _("Your work was written to {path}").format(path=out))
            except (UserError, StoreError) as exc:
                self._say(_("Not exported"), str(exc), error=True)

    def choose_and_export_snapshot(self) -> None:
        """Choose a folder, then write the snapshot file in the background (progress, cancel)."""
        folder = QFileDialog.getExistingDirectory(self, _("Export for a laptop that joins"))
        if not folder:
            return
        try:
            self._actor_with_key()
        except UserError as exc:
            self._say(_("Not exported"), str(exc), error=True)
            return
        self.export_task = self.ctx.tasks.run(lambda progress: self.export_snapshot_to(Path(folder), progress),
                                              title=_("Export for a laptop that joins"), write=True, parent=self,
                                              on_done=self._snapshot_exported)   # errors: the runner's box

    def _snapshot_exported(self, result: tuple[Path, str]) -> None:
        out, code = result
        text = _("The inspection's data and work so far were written to {path}, encrypted. The person who "
                 "joins needs its transfer code, shown only now: give it to them in person (read it out or "
                 "on paper), never with the file.").format(path=out)
        # the code large, in a fixed-width font, selectable: it is read out or copied by hand
        self._say(_("Exported"), f"<p>{html.escape(text)}</p><p style='font-family: monospace; "
                                 f"font-size: 14pt; font-weight: 600; white-space: nowrap'>{code}</p>")
        self.last_box.setTextFormat(Qt.TextFormat.RichText)
        self.last_box.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

    def choose_and_import(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, _("Import the team's work from a folder"))
        if folder:
            results = self.import_from(Path(folder))
            if not results:
                self._say(_("Nothing to import"), _("No bundle was found in {path}").format(path=folder))

    def keep_selected(self) -> None:
        from inspector.exchange.conflicts import resolve_conflict
        from inspector.team import team_lead

        row = self.conflicts.currentRow()
        if row < 0 or row >= len(self._conflict_rows):
            self._say(_("Choose a record"), _("Select the record whose value stands."), error=True)
            return
        area, item, event_id = self._conflict_rows[row]
        actor = getattr(self.ctx, "actor", None)
        try:
            with self.ctx.engine.connect() as conn:
                lead = team_lead(conn, self.inspection_id)
            resolve_conflict(self.ctx.engine, self.inspection_id, area, item, event_id, actor=actor,
                             is_lead=bool(lead and actor and lead.login == actor.login))
        except (UserError, StoreError) as exc:
            self._say(_("Not resolved"), str(exc), error=True)
        self.refresh()
