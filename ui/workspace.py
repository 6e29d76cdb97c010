"""The inspection workspace: a header, a sidebar of screens and the screen shown."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QStackedWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from inspector.coltypes import DATE_FORMAT, TIMESTAMP_FORMAT
from inspector.i18n import N_, _
from inspector.inspections import current_snapshot, get_inspection
from ui.context import ApplicationContext
from ui.icons import icon
from ui.shortcuts import make_action


@dataclass
class InspectionInfo:
    """What every screen of the workspace needs to know about the open inspection."""

    inspection_id: int
    snapshot_id: int
    snapshot_version: int
    fixmedins_code: str
    fixmedins_name: str
    date_from: str
    date_to: str
    visit_time: str
    extract_id: str
    row_counts: dict[str, int]


def load_inspection_info(ctx: ApplicationContext, inspection_id: int) -> InspectionInfo:
    with ctx.session() as s:
        insp = get_inspection(s, inspection_id)
        snap = current_snapshot(s, inspection_id)
        return InspectionInfo(
            insp.id, snap.id, snap.version, insp.fixmedins_code, insp.fixmedins_name,
            insp.date_from.strftime(DATE_FORMAT), insp.date_to.strftime(DATE_FORMAT),
            insp.visit_time.strftime(TIMESTAMP_FORMAT), snap.extract_id, dict(snap.row_counts),
        )


@dataclass(frozen=True)
class Screen:
    """One sidebar entry: key, title msgid, icon and how to build its widget."""

    key: str
    title: str
    icon: str
    build: Callable[[ApplicationContext, InspectionInfo], QWidget]


def _build_data(ctx: ApplicationContext, info: InspectionInfo) -> QWidget:
    from ui.data_browser import DataBrowser

    return DataBrowser(ctx, info.snapshot_id, info.row_counts)


def _build_census(ctx: ApplicationContext, info: InspectionInfo) -> QWidget:
    from ui.census import CensusView

    return CensusView(ctx, info.inspection_id)


def _build_findings(ctx: ApplicationContext, info: InspectionInfo) -> QWidget:
    from ui.findings import FindingsView

    return FindingsView(ctx, info.inspection_id)


def _build_stock(ctx: ApplicationContext, info: InspectionInfo) -> QWidget:
    from ui.stock import StockView

    return StockView(ctx, info.inspection_id)


def _build_records(ctx: ApplicationContext, info: InspectionInfo) -> QWidget:
    from ui.records import RecordsView

    return RecordsView(ctx, info)


def _build_leads(ctx: ApplicationContext, info: InspectionInfo) -> QWidget:
    from ui.leads import LeadsView

    return LeadsView(ctx, info)


def _build_overview(ctx: ApplicationContext, info: InspectionInfo) -> QWidget:
    from ui.overview import OverviewView

    return OverviewView(ctx, info)


def _build_documents(ctx: ApplicationContext, info: InspectionInfo) -> QWidget:
    from ui.documents import DocumentsView

    return DocumentsView(ctx, info)


def _build_exchange(ctx: ApplicationContext, info: InspectionInfo) -> QWidget:
    from ui.exchange import ExchangeView

    return ExchangeView(ctx, info)


def _has_module(name: str) -> bool:
    import importlib.util

    try:
        return importlib.util.find_spec(name) is not None
    except ModuleNotFoundError:
        return False


# key, title, icon, builder, the core module it needs (shown only once that core is installed)
_SCREENS: tuple[tuple[Screen, str | None], ...] = (
    (Screen("overview", N_("Overview"), "overview", _build_overview), None),
    (Screen("leads", N_("Leads"), "leads", _build_leads), "inspector.screening.leads"),
    (Screen("census", N_("Ward census"), "census", _build_census), "inspector.checks.census"),
    (Screen("stock", N_("Stock count"), "stock", _build_stock), "inspector.checks.stock"),
    (Screen("records", N_("Record review"), "records", _build_records), "inspector.checks.records"),
    (Screen("findings", N_("Findings"), "findings", _build_findings), "inspector.findings"),
    (Screen("documents", N_("Documents"), "documents", _build_documents), "inspector.signing.sign"),
    (Screen("exchange", N_("Exchange"), "sync", _build_exchange), "inspector.exchange.bundle"),
    (Screen("data", N_("Data"), "data", _build_data), None),
)


def screen_shortcuts() -> tuple:
    """Extra shortcuts of the available screens (for the help dialog)."""
    out: tuple = ()
    keys = {s.key for s in available_screens()}
    if "census" in keys:
        from ui.census import CENSUS_SHORTCUTS

        out += CENSUS_SHORTCUTS
    if "leads" in keys:
        from ui.leads import LEADS_SHORTCUTS

        out += LEADS_SHORTCUTS
    if "stock" in keys:
        from ui.stock import STOCK_SHORTCUTS

        out += STOCK_SHORTCUTS
    if "findings" in keys:
        from ui.findings import FINDINGS_SHORTCUTS

        out += FINDINGS_SHORTCUTS
    return out


def available_screens() -> list[Screen]:
    """The screens whose core has landed, in sidebar order."""
    return [screen for screen, needs in _SCREENS if needs is None or _has_module(needs)]


class Workspace(QWidget):
    """Sidebar + stacked screens, built lazily on first visit."""

    home_requested = Signal()

    def __init__(self, ctx: ApplicationContext, inspection_id: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.info = load_inspection_info(ctx, inspection_id)
        self.screens = available_screens()
        self.widgets: dict[str, QWidget] = {}

        outer = QVBoxLayout(self)
        outer.setContentsMargins(8, 6, 8, 6)
        head = QHBoxLayout()
        self.back = QToolButton()
        self.back.setIcon(icon("back"))
        self.back.setAutoRaise(True)
        self.back.clicked.connect(self.home_requested.emit)
        head.addWidget(self.back)
        self.title = QLabel()
        self.title.setObjectName("pageTitle")
        head.addWidget(self.title)
        head.addSpacing(16)
        self.subtitle = QLabel()
        self.subtitle.setObjectName("subtitle")
        head.addWidget(self.subtitle, 1)
        outer.addLayout(head)

        body = QHBoxLayout()
        self.sidebar = QListWidget()
        self.sidebar.setObjectName("sidebar")
        self.sidebar.setIconSize(QSize(22, 22))
        self.sidebar.setFixedWidth(168)
        for screen in self.screens:
            item = QListWidgetItem(icon(screen.icon), "")
            item.setData(Qt.ItemDataRole.UserRole, screen.key)
            item.setSizeHint(QSize(150, 40))
            self.sidebar.addItem(item)
        body.addWidget(self.sidebar)
        self.stack = QStackedWidget()
        body.addWidget(self.stack, 1)
        outer.addLayout(body, 1)
        self.sidebar.currentRowChanged.connect(self.show_index)

        make_action("page_1", self, lambda: self.sidebar.setCurrentRow(0))
        make_action("page_next", self, lambda: self._step(1))
        make_action("page_prev", self, lambda: self._step(-1))
        ctx.language.changed.connect(self.retranslate)
        self.retranslate()
        self.sidebar.setCurrentRow(0)

    def _step(self, delta: int) -> None:
        n = self.sidebar.count()
        self.sidebar.setCurrentRow((self.sidebar.currentRow() + delta) % n)

    def screen_keys(self) -> list[str]:
        return [s.key for s in self.screens]

    def show_screen(self, key: str) -> QWidget:
        """Show the screen `key` (building it on first use) and return its widget."""
        self.sidebar.setCurrentRow(self.screen_keys().index(key))
        return self.widgets[key]

    def show_index(self, row: int) -> None:
        if not 0 <= row < len(self.screens):
            return
        screen = self.screens[row]
        if screen.key not in self.widgets:
            widget = screen.build(self.ctx, self.info)
            self.widgets[screen.key] = widget
            self.stack.addWidget(widget)
        self.stack.setCurrentWidget(self.widgets[screen.key])

    def retranslate(self, _lang: str | None = None) -> None:
        i = self.info
        self.title.setText(f"{i.fixmedins_name}  {i.fixmedins_code}")
        self.subtitle.setText(
            _("Window {date_from} – {date_to} · visit {visit_time} · snapshot v{version}").format(
                date_from=i.date_from, date_to=i.date_to, visit_time=i.visit_time[:16], version=i.snapshot_version))
        self.back.setToolTip(_("Back to the inspections list"))
        for row, screen in enumerate(self.screens):
            self.sidebar.item(row).setText(_(screen.title))

    def close_screens(self) -> None:
        """Close every built screen (releases their database connections)."""
        for w in self.widgets.values():
            w.close()
