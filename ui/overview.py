"""Overview: counts of the synced slice, leads by rule, census progress, stock variance and
findings totals, with bar charts. Figures come from the cores on a worker thread."""
from __future__ import annotations

from decimal import Decimal
from typing import Any

from PySide6.QtWidgets import QFrame, QGridLayout, QLabel, QScrollArea, QVBoxLayout, QWidget

from inspector.i18n import _
from ui.charts import BarChart
from ui.context import ApplicationContext
from ui.models.labels import table_label


def gather(engine, inspection_id: int) -> dict[str, Any]:
    """Every figure the overview shows, each from its core."""
    from inspector.checks.census import census_summary
    from inspector.checks.records import current_sample as rec_sample
    from inspector.checks.records import records_summary
    from inspector.checks.stock import current_sample, sample_rows
    from inspector.findings import findings_totals, fold_findings
    from inspector.screening.leads import is_screened, list_leads

    from inspector.state import inspection_stage

    out: dict[str, Any] = {}
    with engine.connect() as conn:
        out["stage"] = inspection_stage(conn, inspection_id)
    if is_screened(engine, inspection_id):
        by_rule: dict[str, list] = {}
        for lead in list_leads(engine, inspection_id):
            by_rule.setdefault(lead.rule, []).append(lead)
        out["leads"] = {r: (len(v), sum((x.amount for x in v), Decimal("0.00")),
                            sum(1 for x in v if x.status != "open")) for r, v in sorted(by_rule.items())}
    with engine.connect() as conn:
        out["census"] = census_summary(conn, inspection_id)["overall"]
        if current_sample(conn, inspection_id) is not None:
            rows = sample_rows(conn, inspection_id)
            statuses: dict[str, int] = {}
            for r in rows:
                statuses[r.status] = statuses.get(r.status, 0) + 1
            out["stock"] = {"statuses": statuses, "amount": sum((r.amount or Decimal(0) for r in rows), Decimal("0.00"))}
        if rec_sample(conn, inspection_id) is not None:
            s = records_summary(conn, inspection_id)
            st: dict[str, int] = {}
            for r in s.records:
                st[r.status] = st.get(r.status, 0) + 1
            out["records"] = {"statuses": st, "amount": s.total_amount}
        out["findings"] = findings_totals(fold_findings(conn, inspection_id))
    return out


class OverviewView(QWidget):
    """Cards with figures and charts; refreshed on show (computed off the GUI thread)."""

    def __init__(self, ctx: ApplicationContext, info, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.info = info
        self.data: dict[str, Any] = {}
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        host = QWidget()
        self.grid = QGridLayout(host)
        self.grid.setSpacing(10)
        self.stage = QLabel()
        self.stage.setObjectName("stage")
        self.stage.setStyleSheet("font-size: 13pt; font-weight: 600; padding: 4px;")
        self.grid.addWidget(self.stage, 0, 0, 1, 2)
        scroll.setWidget(host)
        outer.addWidget(scroll)
        self.cards: dict[str, tuple[QLabel, QLabel, BarChart]] = {}
        for i, key in enumerate(("counts", "leads", "census", "stock", "records", "findings")):
            frame = QFrame()
            frame.setFrameShape(QFrame.Shape.StyledPanel)
            fl = QVBoxLayout(frame)
            title = QLabel()
            title.setStyleSheet("font-size: 12pt; font-weight: 600;")
            text = QLabel()
            text.setWordWrap(True)
            chart = BarChart()
            fl.addWidget(title)
            fl.addWidget(text)
            fl.addWidget(chart)
            fl.addStretch(1)
            self.cards[key] = (title, text, chart)
            self.grid.addWidget(frame, 1 + i // 2, i % 2)
        ctx.language.changed.connect(self.retranslate)
        self.retranslate()
        self.refresh()

    def showEvent(self, event) -> None:  # noqa: N802 - Qt override: figures may have changed elsewhere
        super().showEvent(event)
        if self.data:
            self.refresh()

    def refresh(self) -> None:
        engine, iid = self.ctx.engine, self.info.inspection_id

        def done(data: dict[str, Any]) -> None:
            self.data = data
            self.retranslate()

        self.ctx.tasks.run(lambda _p: gather(engine, iid), title=_("Overview"), on_done=done,
                           show_progress=False, parent=self)

    def retranslate(self, _lang: str | None = None) -> None:
        rc = self.info.row_counts
        t, x, c = self.cards["counts"]
        t.setText(_("Synced data"))
        x.setText(_("Extract {extract} · snapshot v{v}").format(extract=self.info.extract_id, v=self.info.snapshot_version))
        c.set_bars([(table_label(k), n, None, f"{n:,}") for k, n in rc.items() if n])
        d = self.data
        stage = d.get("stage")
        self.stage.setText(_("Stage: {stage}").format(stage=stage.text()) if stage else "")
        self._leads(d.get("leads"))
        self._census(d.get("census"))
        self._simple("stock", _("Stock count"), d.get("stock"), {
            "ok": (_("within tolerance"), "#27ae60"), "shortage": (_("shortage"), "#c0392b"),
            "surplus": (_("surplus"), "#e08e0b"), "not_counted": (_("not counted"), "#95a5a6")},
            _("No stock sample yet."))
        self._simple("records", _("Record review"), d.get("records"), {
            "pass": (_("passed"), "#27ae60"), "fail": (_("failed"), "#c0392b"),
            "incomplete": (_("incomplete"), "#e08e0b"), "not_reviewed": (_("not reviewed"), "#95a5a6")},
            _("No record sample yet."))
        self._findings(d.get("findings"))

    def _leads(self, leads) -> None:
        t, x, c = self.cards["leads"]
        t.setText(_("Leads by rule"))
        if not leads:
            x.setText(_("Not screened yet."))
            c.set_bars([])
            return
        n = sum(v[0] for v in leads.values())
        amount = sum((v[1] for v in leads.values()), Decimal("0.00"))
        decided = sum(v[2] for v in leads.values())
        x.setText(_("{n} leads, {d} decided · amount {a}").format(n=n, d=decided, a=f"{amount:,.2f}"))
        c.set_bars([(r, v[0], None, f"{v[0]:,} · {v[1]:,.2f}") for r, v in leads.items()])

    def _census(self, o) -> None:
        t, x, c = self.cards["census"]
        t.setText(_("Ward census"))
        if not o:
            x.setText("")
            c.set_bars([])
            return
        from ui.census import outcome_text

        ratio = "—" if o.get("absence_ratio") is None else f"{float(o['absence_ratio']) * 100:.1f}%"
        x.setText(_("Checked {c} of {r} registered · absence ratio {p}").format(c=o["checked"], r=o["registered"], p=ratio))
        colours = {"present": "#27ae60", "identity_mismatch": "#8e44ad", "on_leave": "#e08e0b", "absent": "#c0392b",
                   "discharged": "#7f8c8d"}
        bars = [(outcome_text(k, short=True), o.get(k, 0), colours[k], None) for k in colours]
        bars.append((_("not checked"), o.get("unchecked", 0), "#bdc3c7", None))
        c.set_bars(bars)

    def _simple(self, key: str, title: str, data, labels: dict[str, tuple[str, str]], empty: str) -> None:
        t, x, c = self.cards[key]
        t.setText(title)
        if not data:
            x.setText(empty)
            c.set_bars([])
            return
        x.setText(_("Amount involved {a}").format(a=f"{data['amount']:,.2f}"))
        c.set_bars([(label, data["statuses"].get(k, 0), colour, None) for k, (label, colour) in labels.items()])

    def _findings(self, tot) -> None:
        t, x, c = self.cards["findings"]
        t.setText(_("Findings"))
        if tot is None:
            x.setText("")
            c.set_bars([])
            return
        x.setText(_("{n} findings").format(n=tot.count))
        c.set_bars([(_("Amount involved"), float(tot.amount), "#2b5d8a", f"{tot.amount:,.2f}"),
                    (_("Fund recovery"), float(tot.fund_recovery), "#27ae60", f"{tot.fund_recovery:,.2f}"),
                    (_("Fines"), float(tot.fines), "#c0392b", f"{tot.fines:,.2f}"),
                    (_("Total"), float(tot.total), "#34495e", f"{tot.total:,.2f}")])
