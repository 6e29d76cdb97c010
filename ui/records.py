"""Record review (C3): the reproducible sample with its seed; per record its front page and
fee lines; the pinned checklist with pass / fail / n.a., amount and note per item. Every
answer is one core call (`inspector.checks.records.answer`)."""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QButtonGroup,
    QFormLayout,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QRadioButton,
    QScrollArea,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from inspector.checks.records import answer, current_sample, draw_sample, records_summary
from inspector.db import StoreError
from inspector.errors import UserError
from inspector.i18n import N_, _
from ui.context import ApplicationContext
from ui.icons import icon
from ui.models.labels import column_label
from ui.models.snapshot_table import SnapshotTableModel

OUTCOME_TEXT = {"pass": N_("pass"), "fail": N_("fail"), "na": N_("n.a.")}
STATUS_TEXT = {"not_reviewed": N_("not reviewed"), "incomplete": N_("incomplete"), "pass": N_("passed"),
               "fail": N_("failed")}
STATUS_COLOURS = {"pass": "#d9f0da", "fail": "#f6c1c1", "incomplete": "#fdf0c8"}
FRONT_PAGE = ("mdtrt_id", "psn_no", "dept_codg", "adm_time", "dscg_time", "dscg_maindiag_codg", "dscg_maindiag_name",
              "medfee_sumamt")


class ChecklistRow:
    """The widgets of one checklist item: three choices, amount, note."""

    def __init__(self, item_id: str, grid: QGridLayout, row: int, on_change) -> None:
        self.item_id = item_id
        self.label = QLabel()
        self.label.setWordWrap(True)
        self.group = QButtonGroup()
        self.radios: dict[str, QRadioButton] = {}
        box = QHBoxLayout()
        for outcome in OUTCOME_TEXT:
            rb = QRadioButton()
            rb.setMinimumHeight(26)
            self.radios[outcome] = rb
            self.group.addButton(rb)
            box.addWidget(rb)
        self.amount = QLineEdit()
        self.amount.setFixedWidth(90)
        self.note = QLineEdit()
        grid.addWidget(self.label, row, 0)
        grid.addLayout(box, row, 1)
        grid.addWidget(self.amount, row, 2)
        grid.addWidget(self.note, row, 3)
        for w in (self.label, self.amount, self.note, *self.radios.values()):
            w.show()   # added to an already visible form: show now, not on a queued call
        for outcome, rb in self.radios.items():
            rb.clicked.connect(lambda _c=False, o=outcome: on_change(self, o))
        self.amount.returnPressed.connect(lambda: on_change(self, "fail"))
        self.note.returnPressed.connect(lambda: on_change(self, self.outcome() or "na"))

    def outcome(self) -> str | None:
        return next((o for o, rb in self.radios.items() if rb.isChecked()), None)

    def show(self, result) -> None:
        self.label.setText(result.label)
        self.group.setExclusive(False)
        for o, rb in self.radios.items():
            rb.setChecked(o == result.outcome)
            rb.setText(_(OUTCOME_TEXT[o]))
        self.group.setExclusive(True)
        self.amount.setText("" if result.amount is None else str(result.amount))
        self.note.setText(result.note or "")


class RecordsView(QWidget):
    """The record review screen (see the module docstring)."""

    def __init__(self, ctx: ApplicationContext, info, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.info = info
        self.inspection_id = info.inspection_id
        self.summary = None
        self.current: str | None = None
        self.fees: SnapshotTableModel | None = None
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        top = QHBoxLayout()
        self.sample_info = QLabel()
        self.sample_info.setWordWrap(True)
        top.addWidget(self.sample_info, 1)
        self.draw_button = QPushButton(icon("records"), "")
        self.draw_button.setMinimumHeight(34)
        self.draw_button.clicked.connect(self.draw)
        top.addWidget(self.draw_button)
        layout.addLayout(top)

        split = QSplitter(Qt.Orientation.Horizontal)
        self.records = QListWidget()
        self.records.setMinimumWidth(200)
        self.records.setMaximumWidth(260)
        self.records.currentRowChanged.connect(self.show_record)
        split.addWidget(self.records)
        middle = QWidget()
        ml = QVBoxLayout(middle)
        ml.setContentsMargins(4, 0, 4, 0)
        self.front = QFrame()
        self.front.setFrameShape(QFrame.Shape.StyledPanel)
        self.front_form = QFormLayout(self.front)
        self.front_labels: dict[str, tuple[QLabel, QLabel]] = {}
        for key in FRONT_PAGE:
            k, v = QLabel(), QLabel()
            v.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            self.front_labels[key] = (k, v)
            self.front_form.addRow(k, v)
        ml.addWidget(self.front)
        self.fee_title = QLabel()
        ml.addWidget(self.fee_title)
        self.fee_view = QTableView()
        self.fee_view.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 6)
        ml.addWidget(self.fee_view, 1)
        split.addWidget(middle)
        right = QWidget()
        rl = QVBoxLayout(right)
        rl.setContentsMargins(0, 0, 0, 0)
        self.record_status = QLabel()
        self.record_status.setStyleSheet("font-size: 11pt; font-weight: 600;")
        rl.addWidget(self.record_status)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        host = QWidget()
        self.grid = QGridLayout(host)
        self.grid.setAlignment(Qt.AlignmentFlag.AlignTop)
        self.grid.setColumnStretch(0, 3)
        self.grid.setColumnStretch(3, 2)
        self.head = [QLabel() for _i in range(4)]
        for c, lab in enumerate(self.head):
            lab.setStyleSheet("font-weight: 600;")
            self.grid.addWidget(lab, 0, c)
        self.rows: list[ChecklistRow] = []
        scroll.setWidget(host)
        rl.addWidget(scroll, 1)
        self.message = QLabel()
        self.message.setWordWrap(True)
        rl.addWidget(self.message)
        split.addWidget(right)
        split.setSizes([220, 420, 560])
        layout.addWidget(split, 1)
        ctx.language.changed.connect(self.retranslate)
        self.retranslate()
        self.reload()

    # data -------------------------------------------------------------------------------------
    def reload(self) -> None:
        with self.ctx.engine.connect() as conn:
            sample = current_sample(conn, self.inspection_id)
            self.summary = records_summary(conn, self.inspection_id) if sample is not None else None
        self.draw_button.setVisible(self.summary is None)
        keep = self.current
        self.records.blockSignals(True)
        self.records.clear()
        for r in self.summary.records if self.summary else []:
            item = QListWidgetItem()
            item.setData(Qt.ItemDataRole.UserRole, r.mdtrt_id)
            self.records.addItem(item)
        self.records.blockSignals(False)
        self._label_records()
        self._show_sample_info()
        if self.summary and self.summary.records:
            ids = [r.mdtrt_id for r in self.summary.records]
            self.records.setCurrentRow(ids.index(keep) if keep in ids else 0)

    def _label_records(self) -> None:
        if not self.summary:
            return
        for i, r in enumerate(self.summary.records):
            item = self.records.item(i)
            amount = f" · {r.amount:,.2f}" if r.status == "fail" else ""
            item.setText(f"{r.mdtrt_id}\n{_(STATUS_TEXT[r.status])}{amount}")
            item.setBackground(QBrush(QColor(STATUS_COLOURS.get(r.status, "#ffffff"))))

    def _show_sample_info(self) -> None:
        s = self.summary
        if s is None:
            self.sample_info.setText(_("No sample drawn yet. The sample is reproducible: anyone can redraw it from the seed."))
            return
        failed = sum(1 for r in s.records if r.status == "fail")
        reviewed = sum(1 for r in s.records if r.status in ("pass", "fail"))
        self.sample_info.setText(_("Sample of {n} from {pop} records, seed {seed}{strat} · reviewed {rev}, failed {failed}, amount {amount}").format(
            n=s.n, pop=s.population, seed=s.seed, strat=_(", stratified by department") if s.stratified else "",
            rev=reviewed, failed=failed, amount=f"{s.total_amount:,.2f}"))
        from inspector.reports.wording import record_sample_text

        self.sample_info.setToolTip(record_sample_text(s))

    def record(self, mdtrt_id: str):
        return next(r for r in self.summary.records if r.mdtrt_id == mdtrt_id)

    def show_record(self, row: int) -> None:
        """Front page, fee lines and checklist of the record at `row`."""
        if self.summary is None or not 0 <= row < len(self.summary.records):
            return
        r = self.summary.records[row]
        self.current = r.mdtrt_id
        values = {"mdtrt_id": r.mdtrt_id, "psn_no": r.psn_no, "dept_codg": r.dept_codg, "adm_time": r.adm_time,
                  "dscg_time": r.dscg_time, "dscg_maindiag_codg": r.dscg_maindiag_codg,
                  "dscg_maindiag_name": r.dscg_maindiag_name,
                  "medfee_sumamt": None if r.medfee_sumamt is None else f"{r.medfee_sumamt:,.2f}"}
        for key, (_k, v) in self.front_labels.items():
            v.setText("" if values[key] is None else str(values[key]))
        old = self.fees
        self.fees = SnapshotTableModel(self.ctx.engine, "feedetl", self.info.snapshot_id, self)
        self.fees.set_filter("mdtrt_id", "=" + r.mdtrt_id)
        while self.fees.canFetchMore():
            self.fees.fetchMore()
        self.fee_view.setModel(self.fees)
        for name in ("feedetl_sn", "mdtrt_id", "fixmedins_code", "psn_no", "bilg_dr_codg", "bilg_dept_codg"):
            self.fee_view.setColumnHidden([c.name for c in self.fees.columns].index(name), True)
        self.fee_view.resizeColumnsToContents()
        if old is not None:
            old.close()
            old.deleteLater()
        self.fee_title.setText(_("Fee lines of this stay: {n}").format(n=self.fees.rowCount()))
        self._build_checklist(r)

    def _build_checklist(self, r) -> None:
        if len(self.rows) != len(r.items):
            for cr in self.rows:
                for w in (cr.label, cr.amount, cr.note, *cr.radios.values()):
                    w.deleteLater()
            self.rows = [ChecklistRow(it.id, self.grid, i + 1, self.on_answer) for i, it in enumerate(r.items)]
        for cr, it in zip(self.rows, r.items):
            cr.item_id = it.id
            cr.show(it)
        amount = f" · {r.amount:,.2f}" if r.status == "fail" else ""
        self.record_status.setText(f"{r.mdtrt_id} · {_(STATUS_TEXT[r.status])}{amount}")

    # actions -----------------------------------------------------------------------------------
    def draw(self) -> None:
        try:
            draw_sample(self.ctx.engine, self.inspection_id, actor=self.ctx.actor)
        except (UserError, StoreError) as exc:
            self.show_message(str(exc), error=True)
            return
        self.reload()

    def on_answer(self, row: ChecklistRow, outcome: str) -> None:
        """Record one item's outcome (with amount and note on fail) for the current record."""
        if self.current is None:
            return
        amount = row.amount.text().strip() or None
        note = row.note.text().strip() or None
        if outcome == "fail" and amount is None:
            amount = "0.00"
        try:
            answer(self.ctx.engine, self.inspection_id, self.current, row.item_id, outcome,
                   amount=amount if outcome == "fail" else None, note=note, actor=self.ctx.actor)
        except (UserError, StoreError) as exc:
            self.show_message(str(exc), error=True)
            return
        self.show_message(_("{item}: {outcome}").format(item=row.label.text(), outcome=_(OUTCOME_TEXT[outcome])))
        with self.ctx.engine.connect() as conn:
            self.summary = records_summary(conn, self.inspection_id)
        self._label_records()
        self._show_sample_info()
        r = self.record(self.current)
        self._build_checklist(r)

    def show_message(self, text: str, error: bool = False) -> None:
        self.message.setStyleSheet("color: #b00020;" if error else "color: #1d6b33;")
        self.message.setText(text)

    def retranslate(self, _lang: str | None = None) -> None:
        self.draw_button.setText(_("Draw the sample"))
        for key, (k, _v) in self.front_labels.items():
            k.setText(column_label(key))
        for lab, text in zip(self.head, (_("Checklist item"), _("Outcome"), _("Amount"), _("Note"))):
            lab.setText(text)
        self._show_sample_info()
        self._label_records()
        if self.current is not None and self.summary is not None:
            with self.ctx.engine.connect() as conn:
                self.summary = records_summary(conn, self.inspection_id)   # labels come in the new language
            self._build_checklist(self.record(self.current))


