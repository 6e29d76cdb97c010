"""The Planning screen: the region-wide risk ranking (table and bar charts) and the random draw
(双随机) with a preview of the plan. It calls the same core functions as `rank` and `plan draw`."""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QDate, QDateTime, QModelIndex, Qt
from PySide6.QtWidgets import (QCheckBox, QDateEdit, QDateTimeEdit, QFileDialog, QFormLayout, QGroupBox, QHBoxLayout,
                               QHeaderView, QLabel, QLineEdit, QListWidget, QPushButton, QSpinBox, QSplitter,
                               QTableView, QTabWidget, QVBoxLayout, QWidget)

from inspector.errors import UserError
from inspector.i18n import _
from ui.charts import BarChart
from ui.context import ApplicationContext
from ui.icons import icon


def _money(d) -> str:
    return "" if d is None else f"{d:,.2f}"


class RankingModel(QAbstractTableModel):
    """The ranked institutions (a region has at most a few thousand): the very table `rank` prints
    and writes to Excel (inspector/ranking/output.py), per-rule amounts included."""

    def __init__(self) -> None:
        super().__init__()
        self.ranking = None
        self._table: tuple[str, list[list[Any]]] | None = None    # (language, rows): made once per language

    def set_ranking(self, ranking) -> None:
        self.beginResetModel()
        self.ranking = ranking
        self._table = None
        self.endResetModel()

    def _rows(self) -> list[list[Any]]:
        from inspector import i18n
        from inspector.ranking.output import rows

        if self._table is None or self._table[0] != i18n.language():
            self._table = (i18n.language(), rows(self.ranking) if self.ranking else [])
        return self._table[1]

    def rows(self) -> list:
        return self.ranking.institutions if self.ranking else []

    def rowCount(self, parent=QModelIndex()) -> int:  # noqa: N802 - Qt override
        return 0 if parent.isValid() else len(self.rows())

    def _headers(self) -> list[str]:
        from inspector.ranking.output import headers

        return headers(self.ranking) if self.rows() else [
            _("Rank"), _("Institution code"), _("Institution name"), _("Lead amount"), _("Fund paid"),
            _("Leads per 10,000 yuan paid"), _("Last inspected")]

    def columnCount(self, parent=QModelIndex()) -> int:  # noqa: N802 - Qt override
        return 0 if parent.isValid() else len(self._headers())

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):  # noqa: N802 - Qt override
        if role != Qt.ItemDataRole.DisplayRole or orientation != Qt.Orientation.Horizontal:
            return None
        return self._headers()[section]      # in the language of the moment

    def data(self, index, role=Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        value = self._rows()[index.row()][index.column()]
        if role == Qt.ItemDataRole.TextAlignmentRole and isinstance(value, (int, Decimal)):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        return _money(value) if isinstance(value, Decimal) else value


class PlanModel(QAbstractTableModel):
    """The drawn institutions and their teams."""

    def __init__(self) -> None:
        super().__init__()
        self.plan = None

    def set_plan(self, plan) -> None:
        self.beginResetModel()
        self.plan = plan
        self.endResetModel()

    def rowCount(self, parent=QModelIndex()) -> int:  # noqa: N802 - Qt override
        return 0 if parent.isValid() or self.plan is None else len(self.plan.draws)

    def columnCount(self, parent=QModelIndex()) -> int:  # noqa: N802 - Qt override
        return 0 if parent.isValid() else 5

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):  # noqa: N802 - Qt override
        if role != Qt.ItemDataRole.DisplayRole or orientation != Qt.Orientation.Horizontal:
            return None
        return [_("No."), _("Institution code"), _("Institution name"), _("Team"), _("District rule")][section]

    def data(self, index, role=Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or role != Qt.ItemDataRole.DisplayRole:
            return None
        from inspector.planning.documents import RULE_TEXT

        d = self.plan.draws[index.row()]
        return [d.order, d.institution.code, d.institution.name,
                "、".join(f"{p.name}（{p.inspector_id}）" for p in d.team), _(RULE_TEXT[d.district_rule])][index.column()]


class PlanningView(QWidget):
    """Risk ranking of a central database, and the random draw from published pools."""

    def __init__(self, ctx: ApplicationContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.ranking = None
        self.plan = None
        layout = QVBoxLayout(self)
        self.title = QLabel()
        f = self.title.font()
        f.setPointSize(f.pointSize() + 3)
        f.setBold(True)
        self.title.setFont(f)
        layout.addWidget(self.title)
        self.tabs = QTabWidget()
        layout.addWidget(self.tabs, 1)
        self.message = QLabel()
        self.message.setWordWrap(True)
        layout.addWidget(self.message)

        # ranking ------------------------------------------------------------------------
        rank_tab = QWidget()
        rl = QVBoxLayout(rank_tab)
        self.rank_box = QGroupBox()
        form = QFormLayout(self.rank_box)
        self.central_url = QLineEdit((ctx.settings.recent("central_url") or [""])[0])
        self.central_label = QLabel()
        form.addRow(self.central_label, self.central_url)
        today = QDate.currentDate()
        self.date_from, self.date_to = QDateEdit(today.addDays(-90)), QDateEdit(today.addDays(-1))
        for d in (self.date_from, self.date_to):
            d.setCalendarPopup(True)
            d.setDisplayFormat("yyyy-MM-dd")
        row = QHBoxLayout()
        row.addWidget(self.date_from)
        self.to_label = QLabel()
        row.addWidget(self.to_label)
        row.addWidget(self.date_to)
        row.addStretch(1)
        self.rank_button = QPushButton(icon("refresh"), "")
        self.publish_button = QPushButton(icon("open"), "")
        self.publish_button.setEnabled(False)
        row.addWidget(self.rank_button)
        row.addWidget(self.publish_button)
        self.window_label = QLabel()
        form.addRow(self.window_label, row)
        rl.addWidget(self.rank_box)
        split = QSplitter(Qt.Orientation.Horizontal)
        self.rank_model = RankingModel()
        self.rank_table = QTableView()
        self.rank_table.setModel(self.rank_model)
        self.rank_table.setSelectionBehavior(QTableView.SelectionBehavior.SelectRows)
        self.rank_table.setSelectionMode(QTableView.SelectionMode.SingleSelection)
        self.rank_table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.rank_table.verticalHeader().setVisible(False)
        split.addWidget(self.rank_table)
        charts = QWidget()
        cl = QVBoxLayout(charts)
        self.top_chart = BarChart()
        self.rule_chart = BarChart()
        cl.addWidget(self.top_chart)
        cl.addWidget(self.rule_chart)
        cl.addStretch(1)
        split.addWidget(charts)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 2)
        rl.addWidget(split, 1)
        self.tabs.addTab(rank_tab, icon("leads"), "")

        # draw ---------------------------------------------------------------------------
        draw_tab = QWidget()
        dl = QVBoxLayout(draw_tab)
        self.draw_box = QGroupBox()
        df = QFormLayout(self.draw_box)
        self.units_path, self.people_path = QLineEdit(), QLineEdit()
        self.units_browse, self.people_browse = QPushButton(icon("open"), ""), QPushButton(icon("open"), "")
        self.units_label, self.people_label = QLabel(), QLabel()
        for label, edit, button in ((self.units_label, self.units_path, self.units_browse),
                                    (self.people_label, self.people_path, self.people_browse)):
            r = QHBoxLayout()
            r.addWidget(edit, 1)
            r.addWidget(button)
            df.addRow(label, r)
        self.n_spin, self.k_spin = QSpinBox(), QSpinBox()
        self.n_spin.setRange(1, 10000)
        self.n_spin.setValue(5)
        self.k_spin.setRange(1, 20)
        self.k_spin.setValue(2)
        self.weighted = QCheckBox()
        r = QHBoxLayout()
        self.n_label, self.k_label = QLabel(), QLabel()
        for w in (self.n_label, self.n_spin, self.k_label, self.k_spin, self.weighted):
            r.addWidget(w)
        r.addStretch(1)
        self.sizes_label = QLabel()
        df.addRow(self.sizes_label, r)
        self.seed = QLineEdit()
        self.seed_time = QDateTimeEdit(QDateTime.currentDateTime())
        self.seed_time.setDisplayFormat("yyyy-MM-dd HH:mm:ss")
        self.seed_time.setCalendarPopup(True)
        r = QHBoxLayout()
        r.addWidget(self.seed, 2)
        self.seed_time_label = QLabel()
        r.addWidget(self.seed_time_label)
        r.addWidget(self.seed_time, 1)
        self.seed_label = QLabel()
        df.addRow(self.seed_label, r)
        r = QHBoxLayout()
        self.draw_button = QPushButton(icon("demo"), "")
        self.save_plan_button = QPushButton(icon("documents"), "")
        self.save_plan_button.setEnabled(False)
        r.addWidget(self.draw_button)
        r.addWidget(self.save_plan_button)
        r.addStretch(1)
        df.addRow("", r)
        dl.addWidget(self.draw_box)
        self.plan_header = QLabel()
        self.plan_header.setWordWrap(True)
        self.plan_header.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        dl.addWidget(self.plan_header)
        self.plan_model = PlanModel()
        self.plan_table = QTableView()
        self.plan_table.setModel(self.plan_model)
        self.plan_table.verticalHeader().setVisible(False)
        self.plan_table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        dl.addWidget(self.plan_table, 2)
        self.conflicts_label = QLabel()
        dl.addWidget(self.conflicts_label)
        self.conflicts = QListWidget()
        dl.addWidget(self.conflicts, 1)
        self.tabs.addTab(draw_tab, icon("check"), "")

        self.rank_button.clicked.connect(self.rank)
        self.publish_button.clicked.connect(self.publish_ranking)
        self.rank_table.selectionModel().currentRowChanged.connect(lambda cur, _prev: self.show_rules(cur.row()))
        self.units_browse.clicked.connect(lambda: self._browse(self.units_path))
        self.people_browse.clicked.connect(lambda: self._browse(self.people_path))
        self.draw_button.clicked.connect(self.draw)
        self.save_plan_button.clicked.connect(self.save_plan)
        ctx.language.changed.connect(self.retranslate)
        self.retranslate()

    # ranking ------------------------------------------------------------------------------
    def _window(self) -> tuple[date, date]:
        return self.date_from.date().toPython(), self.date_to.date().toPython()

    def rank(self):
        """Rank the central's institutions in the background (the `rank` command's core)."""
        from inspector.ranking import rank_region

        url = self.central_url.text().strip()
        d0, d1 = self._window()

        def work(progress):
            return rank_region(url, d0, d1, progress=progress)

        def done(ranking) -> None:
            self.ranking = ranking
            self.rank_model.set_ranking(ranking)
            self.publish_button.setEnabled(True)
            self.show_charts()
            if ranking.institutions:
                self.rank_table.selectRow(0)
            self.ctx.settings.add_recent("central_url", url)
            self.show_message(_("Ranked {n} institutions in {s:.1f} s").format(n=len(ranking.institutions),
                                                                              s=ranking.seconds))

        return self.ctx.tasks.run(work, title=_("Risk ranking"), on_done=done, on_error=self._failed, parent=self)

    def show_charts(self) -> None:
        top = [r for r in self.rank_model.rows() if r.per_10k is not None][:10]
        self.top_chart.set_bars([(r.fixmedins_name, float(r.per_10k), None, _money(r.per_10k)) for r in top],
                                _("Leads per 10,000 yuan paid") + f" ({_('top {n}').format(n=len(top))})")

    def show_rules(self, row: int) -> None:
        """The selected institution's lead amount per rule."""
        from inspector.screening.rules import rule_title

        rows = self.rank_model.rows()
        if not 0 <= row < len(rows):
            self.rule_chart.set_bars([], "")
            return
        r = rows[row]
        self.rule_chart.set_bars([(f"{k} {_(rule_title(k))}", float(v["amount"]), None, _money(v["amount"]))
                                  for k, v in r.rules.items()], _("Lead amount by rule: {name}").format(name=r.fixmedins_name))

    def publish_ranking(self) -> Path | None:
        """Save the ranking as a pool for a weighted draw (its JSON plus the publication time: now)."""
        if self.ranking is None:
            return None
        path, _f = QFileDialog.getSaveFileName(self, _("Publish the ranking"), str(self.ctx.db_path.parent / "ranking.json"),
                                               "JSON (*.json)")
        if not path:
            return None
        try:
            return self.write_ranking(Path(path))
        except UserError as exc:        # a full or removed disk: said, nothing half-written
            self._failed(exc)
            return None

    def write_ranking(self, path: Path) -> Path:
        from inspector.outputs import write_json
        from inspector.ranking import ranking_json

        doc = {"published_at": datetime.now().strftime("%Y-%m-%d %H:%M:%S"), **ranking_json(self.ranking)}
        write_json(path, doc)
        self.units_path.setText(str(path))
        self.weighted.setChecked(True)
        self.show_message(_("Ranking published to {path} at {time}").format(path=path, time=doc["published_at"]))
        return path

    # draw ---------------------------------------------------------------------------------
    def _browse(self, edit: QLineEdit) -> None:
        path, _f = QFileDialog.getOpenFileName(self, _("Pool file"), edit.text() or str(self.ctx.db_path.parent),
                                               _("Pool files (*.csv *.xlsx *.json)"))
        if path:
            edit.setText(path)

    def draw(self):
        """Draw the plan from the pools and the seed (the `plan draw` command's core) and preview it."""
        from inspector.planning.documents import REASON_TEXT, algorithm_text
        from inspector.planning.draw import draw_plan

        units = self.units_path.text().strip()
        try:
            plan = draw_plan(Path(units), Path(self.people_path.text().strip()), n=self.n_spin.value(),
                             team_size=self.k_spin.value(), seed=self.seed.text(),
                             seed_time=self.seed_time.dateTime().toPython().replace(microsecond=0),
                             weighted=self.weighted.isChecked(), ranking=units.lower().endswith(".json"))
        except UserError as exc:
            self.show_message(str(exc), error=True)
            return None
        self.plan = plan
        self.plan_model.set_plan(plan)
        self.plan_header.setText("\n".join([
            _("Seed: {seed}    chosen at: {seed_time}    drawn at: {drawn_at}").format(
                seed=plan.seed, seed_time=plan.seed_time, drawn_at=plan.drawn_at),
            *(_("Pool {file}: published {published}, {rows} rows, SHA-256 {sha}").format(
                file=p.name, published=p.published_at, rows=len(p.rows), sha=p.sha256)
              for p in (plan.institutions_pool, plan.inspectors_pool)),
            _("Algorithm") + ": " + algorithm_text(plan)]))
        self.conflicts.clear()
        for d in plan.draws:
            for c in d.conflicts:
                self.conflicts.addItem(f"{d.institution.code} {d.institution.name}：{c.name}（{c.inspector_id}）"
                                       f" — {_(REASON_TEXT[c.reason])}")
        self.save_plan_button.setEnabled(True)
        self.show_message(_("Drew {n} institutions").format(n=len(plan.draws)))
        return plan

    def save_plan(self) -> Path | None:
        folder = QFileDialog.getExistingDirectory(self, _("Save the plan"), str(self.ctx.db_path.parent))
        if not folder:
            return None
        try:
            return self.write_plan(Path(folder))
        except UserError as exc:
            self._failed(exc)
            return None

    def write_plan(self, folder: Path) -> Path:
        """plan.pdf (signable with the `sign` command), plan.xlsx and plan.json into `folder`."""
        from inspector.planning.documents import render_plan_pdf, write_plan_xlsx
        from inspector.outputs import write_json
        from inspector.planning.draw import plan_json

        render_plan_pdf(self.plan, folder / "plan.pdf")
        write_plan_xlsx(self.plan, folder / "plan.xlsx")
        write_json(folder / "plan.json", plan_json(self.plan))
        self.show_message(_("plan written to {dir} (plan.pdf, plan.xlsx, plan.json)").format(dir=folder))
        return folder

    # common -------------------------------------------------------------------------------
    def _failed(self, exc: BaseException) -> None:
        self.show_message(str(exc) if isinstance(exc, UserError) else _("Unexpected error: {error}").format(error=f"{type(exc).__name__}: {exc}"), error=True)

    def show_message(self, text: str, error: bool = False) -> None:
        self.message.setStyleSheet("color: #b00020;" if error else "")
        self.message.setText(text)

    def retranslate(self, _lang: str | None = None) -> None:
        self.title.setText(_("Planning: risk ranking and random draw"))
        self.tabs.setTabText(0, _("Risk ranking"))
        self.tabs.setTabText(1, _("Random draw (double random)"))
        self.rank_box.setTitle(_("Central database"))
        self.central_label.setText(_("Central database URL or file"))
        self.window_label.setText(_("Review window"))
        self.to_label.setText(_("to"))
        self.rank_button.setText(_("Rank institutions"))
        self.publish_button.setText(_("Publish the ranking…"))
        self.draw_box.setTitle(_("Pools and seed"))
        self.units_label.setText(_("Institutions pool or ranking"))
        self.people_label.setText(_("Inspectors pool"))
        self.units_browse.setText(_("Browse…"))
        self.people_browse.setText(_("Browse…"))
        self.sizes_label.setText(_("Draw"))
        self.n_label.setText(_("Institutions"))
        self.k_label.setText(_("Inspectors per team"))
        self.weighted.setText(_("Weighted by the ranking"))
        self.seed_label.setText(_("Seed"))
        self.seed_time_label.setText(_("Seed time"))
        self.draw_button.setText(_("Draw"))
        self.save_plan_button.setText(_("Save the plan…"))
        self.conflicts_label.setText(_("Conflicts excluded"))
        self.rank_model.headerDataChanged.emit(Qt.Orientation.Horizontal, 0, 6)
        self.plan_model.headerDataChanged.emit(Qt.Orientation.Horizontal, 0, 4)
        if self.ranking is not None:
            self.show_charts()
            self.show_rules(self.rank_table.currentIndex().row())
