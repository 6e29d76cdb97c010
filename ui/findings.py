"""Findings: list with separate totals; an editor with category and legal basis, amount from
the source, multiplier checked by the core as you type, and an evidence gallery."""
from __future__ import annotations

from decimal import Decimal
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, QSize, Qt
from PySide6.QtGui import QIcon, QKeySequence, QPixmap, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QFileDialog,
    QFormLayout,
    QFrame,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListView,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from inspector.db import StoreError
from inspector.errors import UserError
from inspector.findings import (
    CATEGORIES,
    amend_finding,
    compute_penalty,
    create_finding,
    edit_finding,
    findings_totals,
    fold_findings,
    resolve_source,
    review_finding,
    submit_finding,
)
from inspector.findings.categories import REGULATION
from inspector.i18n import N_, _
from inspector.settings import effective_settings
from ui.context import ApplicationContext
from ui.icons import icon
from ui.shortcuts import Shortcut

SOURCE_LABELS = {
    "manual": N_("by hand"),
    "census": N_("ward census"),
    "lead": N_("screening lead"),
    "stock": N_("stock count"),
    "record": N_("record review"),
}
STATUS_LABELS = {"draft": N_("draft"), "submitted": N_("submitted"), "approved": N_("approved"), "returned": N_("returned")}
COLUMNS = (N_("No."), N_("Category"), N_("Source"), N_("Amount"), N_("Multiplier"), N_("Fine"), N_("Total"),
           N_("Status"), N_("Description"))

FINDINGS_SHORTCUTS: tuple[Shortcut, ...] = (
    Shortcut("finding_new", ("Ctrl+Shift+N",), N_("New finding"), N_("Findings")),
    Shortcut("finding_save", ("Ctrl+S",), N_("Save the finding"), N_("Findings")),
)


EVENT_LABELS = {"finding.created": N_("wrote the finding"), "finding.edited": N_("changed"),
                "finding.submitted": N_("submitted for review")}


def _old_values(f) -> dict[str, Any]:
    return {"category": f.category, "amount": str(f.amount),
            "multiplier": None if f.multiplier is None else f"{f.multiplier:g}",
            "fixed_fine": None if f.fixed_fine is None else str(f.fixed_fine), "refused": f.refused,
            "fraud": f.fraud, "description": f.description, "handling": f.handling}


def money(d: Decimal | str | None) -> str:
    return "" if d is None else f"{Decimal(d):,.2f}"


class FindingsModel(QAbstractTableModel):
    """The inspection's findings as the event log leaves them (a short list, held in memory)."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.findings: list = []

    def set_findings(self, findings: list) -> None:
        self.beginResetModel()
        self.findings = [f for f in findings if not f.superseded]
        self.endResetModel()

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.findings)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(COLUMNS)

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        f = self.findings[index.row()]
        c = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            p = f.penalty
            return [str(f.no), f"{f.category} {CATEGORIES[f.category].label()}", _(SOURCE_LABELS.get(f.source_type, f.source_type)),
                    money(p.amount), "" if p.multiplier is None else f"{p.multiplier:g}x", money(p.fine), money(p.total),
                    _(STATUS_LABELS.get(f.status, f.status)), f.description][c]
        if role == Qt.ItemDataRole.TextAlignmentRole and c in (0, 3, 4, 5, 6):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole and 0 <= section < len(COLUMNS):
            return _(COLUMNS[section])
        return None


class FindingsView(QWidget):
    """List + editor; every change is a core call (create_finding / edit_finding / submit_finding)."""

    def __init__(self, ctx: ApplicationContext, inspection_id: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.inspection_id = inspection_id
        self.current = None        # the Finding being edited, None for a new one
        self.amending = False      # editing an approved finding's values for an amendment
        self.bands: dict = {}
        split = QSplitter(Qt.Orientation.Horizontal, self)
        left = QWidget()
        ll = QVBoxLayout(left)
        ll.setContentsMargins(0, 0, 0, 0)
        self.model = FindingsModel(self)
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.clicked.connect(lambda idx: self.edit_row(idx.row()))
        self.table.activated.connect(lambda idx: self.edit_row(idx.row()))
        ll.addWidget(self.table, 1)
        self.totals = QLabel()
        self.totals.setWordWrap(True)
        self.totals.setStyleSheet("font-size: 11pt; font-weight: 600;")
        ll.addWidget(self.totals)
        split.addWidget(left)

        right = QFrame()
        right.setFrameShape(QFrame.Shape.StyledPanel)
        right.setMinimumWidth(460)
        rl = QVBoxLayout(right)
        self.heading = QLabel()
        self.heading.setStyleSheet("font-size: 12pt; font-weight: 600;")
        rl.addWidget(self.heading)
        form = QFormLayout()
        self.source_type = QComboBox()
        for key in SOURCE_LABELS:
            self.source_type.addItem("", key)
        self.source_ref = QComboBox()
        self.source_ref.setEditable(True)
        self.category = QComboBox()
        for code in CATEGORIES:
            self.category.addItem("", code)
        self.basis = QLabel()
        self.basis.setWordWrap(True)
        self.amount = QLineEdit()
        self.multiplier = QLineEdit()
        self.range = QLabel()
        self.refused = QCheckBox()
        self.fraud = QCheckBox()
        self.fixed_fine = QLineEdit()
        self.description = QPlainTextEdit()
        self.description.setFixedHeight(64)
        self.handling = QLineEdit()
        self.penalty = QLabel()
        self.penalty.setWordWrap(True)
        self.labels: dict[str, QLabel] = {}
        for key, w in (("source", self.source_type), ("ref", self.source_ref), ("category", self.category),
                       ("basis", self.basis), ("amount", self.amount), ("multiplier", self.multiplier),
                       ("range", self.range), ("refused", self.refused), ("fraud", self.fraud),
                       ("fixed", self.fixed_fine), ("description", self.description), ("handling", self.handling)):
            label = QLabel()
            self.labels[key] = label
            form.addRow(label, w)
        rl.addLayout(form)
        rl.addWidget(self.penalty)
        self.gallery = QListWidget()
        self.gallery.setViewMode(QListView.ViewMode.IconMode)
        self.gallery.setIconSize(QSize(72, 72))
        self.gallery.setFixedHeight(104)
        self.gallery.setResizeMode(QListView.ResizeMode.Adjust)
        rl.addWidget(self.gallery)
        buttons = QHBoxLayout()
        self.new_button = QPushButton(icon("findings"), "")
        self.evidence_button = QPushButton(icon("photo"), "")
        self.save_button = QPushButton(icon("check"), "")
        self.submit_button = QPushButton("")
        for b in (self.new_button, self.evidence_button, self.save_button, self.submit_button):
            b.setMinimumHeight(34)
            buttons.addWidget(b)
        rl.addLayout(buttons)
        self.message = QLabel()
        self.message.setWordWrap(True)
        rl.addWidget(self.message)
        # review: the state in words (a return's comment for its author, approved = read-only), the
        # history (who, when, comment) and the actions, each checked by the core against the account
        self.review_box = QGroupBox()
        vl = QVBoxLayout(self.review_box)
        self.review_state = QLabel()
        self.review_state.setWordWrap(True)
        vl.addWidget(self.review_state)
        self.history = QListWidget()
        self.history.setMaximumHeight(96)
        vl.addWidget(self.history)
        self.comment = QLineEdit()
        vl.addWidget(self.comment)
        rrow = QHBoxLayout()
        self.approve_button = QPushButton(icon("check"), "")
        self.return_button = QPushButton("")
        self.amend_button = QPushButton("")
        for b in (self.approve_button, self.return_button, self.amend_button):
            b.setMinimumHeight(30)
            rrow.addWidget(b)
        vl.addLayout(rrow)
        rl.addWidget(self.review_box)
        rl.addStretch(1)
        split.addWidget(right)
        split.setStretchFactor(0, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(split)

        self.new_button.clicked.connect(self.new_finding)
        self.save_button.clicked.connect(self.save)
        self.submit_button.clicked.connect(self.submit)
        self.approve_button.clicked.connect(lambda: self.review("approve"))
        self.return_button.clicked.connect(lambda: self.review("return"))
        self.amend_button.clicked.connect(self.start_amendment)
        self.evidence_button.clicked.connect(self.add_evidence_file)
        self.source_type.currentIndexChanged.connect(lambda _i: self._source_type_changed())
        self.source_ref.activated.connect(lambda _i: self.prefill_from_source())
        self.source_ref.lineEdit().returnPressed.connect(self.prefill_from_source)
        self.category.currentIndexChanged.connect(lambda _i: self.update_preview())
        for w in (self.amount, self.multiplier, self.fixed_fine):
            w.textChanged.connect(lambda _t: self.update_preview())
        for w in (self.refused, self.fraud):
            w.toggled.connect(lambda _c: self.update_preview())
        QShortcut(QKeySequence("Ctrl+S"), self, self.save, context=Qt.ShortcutContext.WidgetWithChildrenShortcut)
        QShortcut(QKeySequence("Ctrl+Shift+N"), self, self.new_finding,
                  context=Qt.ShortcutContext.WidgetWithChildrenShortcut)
        ctx.language.changed.connect(self.retranslate)
        self.retranslate()
        self.reload()
        self.new_finding()

    # data ------------------------------------------------------------------------------------
    def reload(self) -> None:
        with self.ctx.engine.connect() as conn:
            findings = fold_findings(conn, self.inspection_id)
            self.bands = effective_settings(conn, self.inspection_id).get("discretion_bands") or {}
        self.model.set_findings(findings)
        self.table.resizeColumnsToContents()
        t = findings_totals(findings)
        self.totals.setText(_("{n} findings · amount involved {a} · fund recovery {r} · fines {f} · total {t}").format(
            n=t.count, a=money(t.amount), r=money(t.fund_recovery), f=money(t.fines), t=money(t.total)))

    def source_refs(self, source_type: str) -> list[tuple[str, str]]:
        """(ref, label) choices for a source type, from the check that owns them."""
        out: list[tuple[str, str]] = []
        with self.ctx.engine.connect() as conn:
            if source_type == "census":
                from inspector.checks.census import census_summary

                from ui.census import outcome_text

                for f in census_summary(conn, self.inspection_id)["flagged"]:
                    out.append((f["mdtrt_id"], f'{f["mdtrt_id"]} · {f["ward_codg"]} {f["bed"]} · {f["psn_name"]} · '
                                               f'{outcome_text(f["outcome"])} · {f["amount"]}'))
            elif source_type == "lead":
                for lid, rule, summary in conn.exec_driver_sql(
                        "SELECT id, rule, summary FROM lead WHERE inspection_id = ? ORDER BY id LIMIT 500",
                        (self.inspection_id,)):
                    out.append((str(lid), f"{lid} · {rule} · {summary}"))
        return out

    # editor --------------------------------------------------------------------------------------
    def _source_type_changed(self) -> None:
        st = self.source_type.currentData()
        self.source_ref.clear()
        manual = st == "manual"
        self.source_ref.setEnabled(not manual and self.current is None)
        self.amount.setReadOnly(not manual)
        if not manual:
            for ref, label in self.source_refs(st):
                self.source_ref.addItem(label, ref)
            self.source_ref.setCurrentIndex(-1)
        self.update_preview()

    def prefill_from_source(self) -> None:
        """Amount, suggested category and description come from the source itself."""
        st = self.source_type.currentData()
        if st == "manual" or self.current is not None:
            return
        ref = self.source_ref.currentData() or self.source_ref.currentText().strip()
        if not ref:
            return
        try:
            with self.ctx.engine.connect() as conn:
                src = resolve_source(conn, self.inspection_id, st, str(ref))
        except (UserError, StoreError) as exc:
            self.show_message(str(exc), error=True)
            return
        self.amount.setText(str(src.amount))
        self.category.setCurrentIndex(self.category.findData(src.suggested_category))
        self.description.setPlainText(src.description)
        self.show_message("")

    def new_finding(self) -> None:
        self.current = None
        self.amending = False
        self.table.clearSelection()
        self.source_type.setEnabled(True)
        self.source_type.setCurrentIndex(self.source_type.findData("manual"))
        self._source_type_changed()
        self.category.setCurrentIndex(0)
        for w in (self.amount, self.multiplier, self.fixed_fine, self.handling):
            w.clear()
        self.description.clear()
        self.refused.setChecked(False)
        self.fraud.setChecked(False)
        self.gallery.clear()
        self.show_message("")
        self.comment.clear()
        self.show_review()
        self.retranslate()

    def edit_row(self, row: int) -> None:
        if not 0 <= row < len(self.model.findings):
            return
        f = self.model.findings[row]
        self.current = f
        self.amending = False
        self.source_type.setCurrentIndex(self.source_type.findData(f.source_type))
        self.source_type.setEnabled(False)
        self.source_ref.clear()
        self.source_ref.addItem(f.ref, f.ref)
        self.source_ref.setEnabled(False)
        self.amount.setReadOnly(f.source_type != "manual")
        self.category.setCurrentIndex(self.category.findData(f.category))
        self.amount.setText(str(f.amount))
        self.multiplier.setText("" if f.multiplier is None else f"{f.multiplier:g}")
        self.fixed_fine.setText("" if f.fixed_fine is None else str(f.fixed_fine))
        self.refused.setChecked(f.refused)
        self.fraud.setChecked(f.fraud)
        self.description.setPlainText(f.description)
        self.handling.setText(f.handling)
        self.load_gallery(f.evidence)
        self.show_message("")
        self.comment.clear()
        self.show_review()
        self.retranslate()

    def load_gallery(self, shas: list[str]) -> None:
        from inspector.evidence import read_evidence

        self.gallery.clear()
        with self.ctx.engine.connect() as conn:
            for sha in shas:
                pix = QPixmap()
                pix.loadFromData(read_evidence(conn, sha))
                item = QListWidgetItem(QIcon(pix) if not pix.isNull() else icon("documents"), sha[:8])
                item.setToolTip(sha)
                self.gallery.addItem(item)

    def values(self) -> dict[str, Any]:
        return {
            "category": self.category.currentData(),
            "amount": self.amount.text().strip() or None,
            "multiplier": self.multiplier.text().strip() or None,
            "fixed_fine": self.fixed_fine.text().strip() or None,
            "refused": self.refused.isChecked(),
            "fraud": self.fraud.isChecked(),
            "description": self.description.toPlainText().strip(),
            "handling": self.handling.text().strip(),
        }

    def update_preview(self) -> None:
        """The core's penalty arithmetic and validation, shown inline as the user types."""
        code = self.category.currentData()
        if code is None:
            return
        cat = CATEGORIES[code]
        self.basis.setText(_("{regulation} {article}").format(regulation=_(REGULATION), article=cat.basis_text()))
        self.range.setText(cat.fine_range_text())
        is_m01 = cat.fine_kind == "fixed_if_refused"
        self.refused.setVisible(is_m01)
        self.labels["refused"].setVisible(is_m01)
        self.fixed_fine.setVisible(is_m01)
        self.labels["fixed"].setVisible(is_m01)
        self.fraud.setVisible(cat.fine_kind == "multiplier_if_fraud")
        self.labels["fraud"].setVisible(cat.fine_kind == "multiplier_if_fraud")
        v = self.values()
        if v["amount"] is None:
            self.penalty.setStyleSheet("color: #555;")
            self.penalty.setText(_("Enter the amount involved, or pick the source."))
            return
        try:
            p = compute_penalty(code, v["amount"], multiplier=v["multiplier"], fixed_fine=v["fixed_fine"],
                                refused=v["refused"], fraud=v["fraud"], bands=self.bands)
        except UserError as exc:
            self.penalty.setStyleSheet("color: #b00020;")
            self.penalty.setText(str(exc))
            return
        self.penalty.setStyleSheet("color: #1d4f7a; font-weight: 600;")
        allowed = "" if p.allowed_low is None else " · " + _("allowed {lo}-{hi}x").format(
            lo=f"{p.allowed_low:g}", hi=f"{p.allowed_high:g}")
        self.penalty.setText(_("Recovery {r} + fine {f} = {t}").format(r=money(p.recovery), f=money(p.fine),
                                                                       t=money(p.total)) + allowed)

    # actions ---------------------------------------------------------------------------------------
    def save(self) -> bool:
        """Create the finding, or record the changes to the one being edited."""
        v = self.values()
        try:
            if self.current is None:
                st = self.source_type.currentData()
                ref = None if st == "manual" else (self.source_ref.currentData() or self.source_ref.currentText().strip())
                ev = create_finding(
                    self.ctx.engine, self.inspection_id, st, ref, category_code=v["category"],
                    amount=v["amount"] if st == "manual" else None, multiplier=v["multiplier"],
                    fixed_fine=v["fixed_fine"], refused=v["refused"], fraud=v["fraud"],
                    description=v["description"] or None, handling=v["handling"], actor=self.ctx.actor)
                key = ev.id
            elif self.amending:
                f = self.current
                reason = self.comment.text().strip()
                changes = {k: val for k, val in v.items()
                           if k != "amount" or f.source_type == "manual"}
                changes = {k: val for k, val in changes.items() if str(val) != str(_old_values(f)[k])}
                ev = amend_finding(self.ctx.engine, self.inspection_id, f.id, changes, reason, actor=self.ctx.actor)
                key = ev.id
                self.amending = False
            else:
                f = self.current
                old = {"category": f.category, "amount": str(f.amount),
                       "multiplier": None if f.multiplier is None else f"{f.multiplier:g}",
                       "fixed_fine": None if f.fixed_fine is None else str(f.fixed_fine), "refused": f.refused,
                       "fraud": f.fraud, "description": f.description, "handling": f.handling}
                changes = {k: val for k, val in v.items() if str(val) != str(old[k])}
                if "amount" in changes and f.source_type != "manual":
                    changes.pop("amount")
                if "multiplier" in changes and changes["multiplier"] is not None and old["multiplier"] is not None \
                        and Decimal(changes["multiplier"]) == Decimal(old["multiplier"]):
                    changes.pop("multiplier")
                edit_finding(self.ctx.engine, self.inspection_id, f.id, changes, actor=self.ctx.actor)
                key = f.id
        except (UserError, StoreError) as exc:
            self.show_message(str(exc), error=True)
            return False
        self.reload()
        row = next((i for i, f in enumerate(self.model.findings) if f.id == key), -1)
        if row >= 0:
            self.table.selectRow(row)
            self.edit_row(row)
        self.show_message(_("Saved."))
        return True

    def show_review(self) -> None:
        """The review state, history and which actions apply; an approved finding is read-only."""
        f = self.current
        self.history.clear()
        editable = f is None or f.status in ("draft", "returned") or self.amending
        for w in (self.category, self.multiplier, self.fixed_fine, self.refused, self.fraud, self.handling):
            w.setEnabled(editable)
        self.description.setReadOnly(not editable)
        self.amount.setReadOnly(not editable or (self.source_type.currentData() != "manual"))
        self.save_button.setEnabled(editable)
        self.evidence_button.setEnabled(editable)
        self.review_box.setVisible(f is not None)
        if f is None:
            return
        for h in f.history:
            if h["event"] == "finding.reviewed":
                line = _("{at} {who}: {decision} {comment}").format(
                    at=h["at"][:16], who=h.get("reviewer_name") or h["author"],
                    decision=_("approved") if h["decision"] == "approve" else _("returned"),
                    comment=h.get("comment") or "")
            else:
                line = _("{at} {who}: {event}").format(at=h["at"][:16], who=h["author"],
                                                      event=_(EVENT_LABELS.get(h["event"], h["event"])))
            self.history.addItem(line.strip())
        if f.status == "returned":
            last = f.reviews[-1]
            self.review_state.setStyleSheet("color: #8a4b00; font-weight: 600;")
            self.review_state.setText(_("Returned by {who} at {at}: {comment}").format(
                who=last.get("reviewer_name") or last["reviewer"], at=last["at"][:16], comment=f.return_comment))
        elif f.status == "approved" and not self.amending:
            last = f.reviews[-1]
            self.review_state.setStyleSheet("color: #1d6b33; font-weight: 600;")
            self.review_state.setText(_("Approved by {who} at {at}: read-only; change it only by an amendment.")
                                      .format(who=last.get("reviewer_name") or last["reviewer"], at=last["at"][:16]))
        elif self.amending:
            self.review_state.setStyleSheet("color: #1d4f7a; font-weight: 600;")
            self.review_state.setText(_("Amending: change the values, give the reason below, then Save."))
        elif f.status == "submitted":
            self.review_state.setStyleSheet("color: #1d4f7a;")
            self.review_state.setText(_("Submitted: waits for the team lead's review."))
        else:
            self.review_state.setStyleSheet("color: #555;")
            self.review_state.setText(_("Draft: submit it for review when it is complete."))
        self.approve_button.setEnabled(f.status == "submitted")
        self.return_button.setEnabled(f.status == "submitted")
        self.amend_button.setEnabled(f.status == "approved" and not f.superseded and not self.amending)
        self.submit_button.setEnabled(f.status in ("draft", "returned"))

    def review(self, decision: str) -> bool:
        """Approve or return the finding shown, as the logged-in account (the core says who may)."""
        if self.current is None:
            return False
        try:
            review_finding(self.ctx.engine, self.inspection_id, self.current.id, decision, self.comment.text().strip(),
                           actor=self.ctx.actor)
        except (UserError, StoreError) as exc:
            self.show_message(str(exc), error=True)
            return False
        key = self.current.id
        self.reload()
        row = next((i for i, f in enumerate(self.model.findings) if f.id == key), -1)
        self.edit_row(row)
        self.show_message(_("Approved.") if decision == "approve" else _("Returned to its author with the comment."))
        return True

    def start_amendment(self) -> None:
        """Unlock the editor for an amendment of the approved finding shown."""
        if self.current is None or self.current.status != "approved":
            return
        self.amending = True
        self.show_review()
        self.comment.setFocus()

    def submit(self) -> None:
        if self.current is None:
            return
        try:
            submit_finding(self.ctx.engine, self.inspection_id, self.current.id, actor=self.ctx.actor)
        except (UserError, StoreError) as exc:
            self.show_message(str(exc), error=True)
            return
        key = self.current.id
        self.reload()
        row = next((i for i, f in enumerate(self.model.findings) if f.id == key), -1)
        self.edit_row(row)
        self.show_message(_("Submitted for the team lead's review."))

    def add_evidence_file(self, path: str | None = None) -> None:
        """Attach a file (photo, scan) to the finding being edited."""
        if self.current is None:
            self.show_message(_("Save the finding first, then add evidence."), error=True)
            return
        if not path:
            path, _f = QFileDialog.getOpenFileName(self, _("Evidence"), "", _("Images and documents (*.jpg *.jpeg *.png *.pdf)"))
        if not path:
            return
        from inspector.evidence import add_evidence

        try:
            add_evidence(self.ctx.engine, self.inspection_id, path,
                         attach_to={"type": "finding", "ref": self.current.id}, actor=self.ctx.actor)
        except (UserError, StoreError) as exc:
            self.show_message(str(exc), error=True)
            return
        key = self.current.id
        self.reload()
        row = next((i for i, f in enumerate(self.model.findings) if f.id == key), -1)
        self.edit_row(row)

    def show_message(self, text: str, error: bool = False) -> None:
        self.message.setStyleSheet("color: #b00020;" if error else "color: #1d6b33;")
        self.message.setText(text)

    def retranslate(self, _lang: str | None = None) -> None:
        names = {"source": _("Source"), "ref": _("From"), "category": _("Category"), "basis": _("Legal basis"),
                 "amount": _("Amount involved"), "multiplier": _("Multiplier"), "range": _("Fine range"),
                 "refused": _("Refused to correct"), "fraud": _("Fraud established"), "fixed": _("Fixed fine"),
                 "description": _("Description"), "handling": _("Proposed handling")}
        for k, label in self.labels.items():
            label.setText(names[k])
        for i in range(self.source_type.count()):
            self.source_type.setItemText(i, _(SOURCE_LABELS[self.source_type.itemData(i)]))
        for i in range(self.category.count()):
            code = self.category.itemData(i)
            self.category.setItemText(i, f"{code} {CATEGORIES[code].label()}")
        self.heading.setText(_("New finding") if self.current is None else _("Finding {n}").format(n=self.current.no)
                             + f" · {_(STATUS_LABELS.get(self.current.status, self.current.status))}")
        self.multiplier.setPlaceholderText(_("lower end if empty"))
        self.new_button.setText(_("New"))
        self.evidence_button.setText(_("Add evidence…"))
        self.save_button.setText(_("Save") + " (Ctrl+S)")
        self.submit_button.setText(_("Submit for review"))
        self.review_box.setTitle(_("Review"))
        self.comment.setPlaceholderText(_("Comment (needed to return), or the reason of an amendment"))
        self.approve_button.setText(_("Approve"))
        self.return_button.setText(_("Return with comment"))
        self.amend_button.setText(_("Amend…"))
        self.model.headerDataChanged.emit(Qt.Orientation.Horizontal, 0, len(COLUMNS) - 1)
        self.update_preview()
        self.reload() if self.model.findings else None
