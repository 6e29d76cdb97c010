"""The main window: menus, Home and the open inspection's workspace."""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QActionGroup, QCloseEvent
from PySide6.QtWidgets import QLabel, QMainWindow, QMenu, QMessageBox, QStackedWidget, QWidget

from inspector.db import StoreError
from inspector.errors import UserError
from inspector.i18n import LANGUAGES, _
from ui.context import ApplicationContext
from ui.home import HomeView
from ui.icons import icon
from ui.language import LANGUAGE_NAMES
from ui.login import IdleLock, LockScreen
from ui.shortcuts import ShortcutsDialog, make_action, retranslate_action
from ui.workspace import Workspace

DEFAULT_SIZE = (1280, 720)


class MainWindow(QMainWindow):
    """Home and workspace in one window; everything translatable is set in `retranslate`."""

    def __init__(self, ctx: ApplicationContext) -> None:
        super().__init__()
        self.ctx = ctx
        ctx.tasks.dialog_parent = self
        self.setWindowIcon(icon("app"))
        self.setMinimumSize(960, 600)
        self.stack = QStackedWidget()
        # the window's content, or the lock screen over it: while locked no patient datum is shown
        self.outer = QStackedWidget()
        self.outer.addWidget(self.stack)
        self.lock_screen = LockScreen(ctx)
        self.lock_screen.unlocked.connect(self.unlock)
        self.outer.addWidget(self.lock_screen)
        self.setCentralWidget(self.outer)
        self._hidden_windows: list[QWidget] = []
        self._log_warning: str | None = None     # a refusal to sign at the idle lock, shown after the unlock
        self.idle_lock = IdleLock(ctx.settings.idle_lock_minutes(), self)
        self.idle_lock.timed_out.connect(self.lock)
        self.home = HomeView(ctx)
        self.home.open_requested.connect(self.open_inspection)
        self.stack.addWidget(self.home)
        self.workspace: Workspace | None = None

        self.actions_: dict[str, QAction] = {}
        a = self.actions_
        a["home"] = make_action("home", self, self.show_home, icon=icon("home"))
        a["refresh"] = make_action("refresh", self, self.refresh, icon=icon("refresh"))
        a["help"] = make_action("help", self, self.show_shortcuts, icon=icon("help"))
        a["language"] = make_action("language", self, self.toggle_language, icon=icon("language"))
        a["quit"] = make_action("quit", self, self.close, icon=icon("quit"))
        a["open"] = make_action("open", self.home.table, self.home.open_selected, icon=icon("open"),
                                context=Qt.ShortcutContext.WidgetShortcut)
        a["new_sync"] = make_action("new_sync", self, lambda: self.new_inspection("central"), icon=icon("sync"))
        self.home.add_action_button(a["new_sync"])
        a["demo"] = make_action("demo", self, self.create_demo, icon=icon("demo"))
        self.home.add_action_button(a["demo"])
        a["import_xlsx"] = make_action("import_xlsx", self, lambda: self.new_inspection("xlsx"), icon=icon("import"))
        self.home.add_action_button(a["import_xlsx"])
        a["planning"] = make_action("planning", self, self.show_planning, icon=icon("leads"))
        self.home.add_action_button(a["planning"])
        # in the File menu and on Ctrl+J only: the home row stays readable at 1024 px in English
        a["join_snapshot"] = make_action("join_snapshot", self, self.join_from_snapshot, icon=icon("import"))
        a["check_store"] = make_action("check_store", self, self.check_store, icon=icon("check"))
        self.planning = None

        bar = self.menuBar()
        self.file_menu = QMenu(self)
        for key in ("new_sync", "import_xlsx", "join_snapshot", "demo", "planning", "check_store"):
            if key in a:
                self.file_menu.addAction(a[key])
        self.file_menu.addAction(a["home"])
        self.file_menu.addSeparator()
        self.file_menu.addAction(a["quit"])
        bar.addMenu(self.file_menu)
        self.view_menu = QMenu(self)
        self.view_menu.addAction(a["refresh"])
        self.lang_menu = QMenu(self)
        self.lang_menu.setIcon(icon("language"))
        self.lang_group = QActionGroup(self)
        self.lang_actions: dict[str, QAction] = {}
        for lang in LANGUAGES:
            act = QAction(LANGUAGE_NAMES[lang], self, checkable=True)
            act.setChecked(lang == ctx.language.language())
            act.triggered.connect(lambda _c=False, lang=lang: self.set_language(lang))
            self.lang_group.addAction(act)
            self.lang_menu.addAction(act)
            self.lang_actions[lang] = act
        self.view_menu.addMenu(self.lang_menu)
        self.view_menu.addAction(a["language"])
        bar.addMenu(self.view_menu)
        self.help_menu = QMenu(self)
        self.help_menu.addAction(a["help"])
        self.about_action = QAction(self)
        self.about_action.triggered.connect(self.show_about)
        self.help_menu.addAction(self.about_action)
        bar.addMenu(self.help_menu)

        self.user_label = QLabel()
        self.statusBar().addPermanentWidget(self.user_label)
        self.store_label = QLabel()
        self.statusBar().addPermanentWidget(self.store_label)
        ctx.language.changed.connect(self.retranslate)
        self.retranslate()
        self._restore_geometry()

    # navigation ------------------------------------------------------------------
    def open_inspection(self, inspection_id: int) -> Workspace | None:
        """Show the workspace of `inspection_id`; returns it (None if it cannot be opened)."""
        try:
            ws = Workspace(self.ctx, inspection_id)
        except (UserError, StoreError) as exc:
            QMessageBox.warning(self, _("Open inspection"), str(exc))
            return None
        self._drop_workspace()
        ws.home_requested.connect(self.show_home)
        self.workspace = ws
        self.stack.addWidget(ws)
        self.stack.setCurrentWidget(ws)
        self.retranslate()
        return ws

    def new_inspection(self, mode: str):
        """Open the sync ("central") or Excel import ("xlsx") dialog; the new inspection opens."""
        from ui.new_inspection import NewInspectionDialog

        dlg = NewInspectionDialog(self.ctx, mode, self)
        dlg.created.connect(self._created)
        dlg.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dlg.show()
        return dlg

    def join_from_snapshot(self):
        """Join a teammate's inspection from the snapshot file they exported (as the logged-in account)."""
        from ui.join import JoinDialog

        dlg = JoinDialog(self.ctx, self, for_account=True)
        dlg.joined.connect(self._created)
        dlg.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dlg.show()
        return dlg

    def check_store(self):
        """Check this laptop's records (snapshots, event chains, signed heads) in the background."""
        from ui.integrity import IntegrityDialog

        dlg = IntegrityDialog(self.ctx, self)
        dlg.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dlg.show()
        dlg.start()
        return dlg

    def create_demo(self):
        """Build the demo central, sync its hospital and open it (in the background)."""
        from ui.demo import start_demo

        return start_demo(self.ctx, self, self._created)

    def offer_demo_if_empty(self):
        """First start: with no inspection in the store, offer to create the demo."""
        from ui.demo import offer_demo

        if self.home.model.rowCount() == 0:
            return offer_demo(self.ctx, self, self._created)
        return None

    def _created(self, inspection_id: int) -> None:
        self.home.refresh()
        self.open_inspection(inspection_id)

    def show_planning(self):
        """The Planning screen: risk ranking of the region and the random draw (one per window)."""
        from ui.planning import PlanningView

        self._drop_workspace()
        if self.planning is None:
            self.planning = PlanningView(self.ctx)
            self.stack.addWidget(self.planning)
        self.stack.setCurrentWidget(self.planning)
        self.retranslate()
        return self.planning

    def show_home(self) -> None:
        self._drop_workspace()
        self.home.refresh()
        self.stack.setCurrentWidget(self.home)
        self.home.table.setFocus()
        self.retranslate()

    def _drop_workspace(self) -> None:
        if self.workspace is not None:
            self.workspace.close_screens()
            self.stack.removeWidget(self.workspace)
            self.workspace.deleteLater()
            self.workspace = None

    def refresh(self) -> None:
        if self.workspace is None:
            self.home.refresh()
        else:
            current = self.workspace.sidebar.currentRow()
            ws = self.open_inspection(self.workspace.info.inspection_id)
            if ws is not None:
                ws.sidebar.setCurrentRow(current)

    # idle lock -------------------------------------------------------------------------
    @property
    def locked(self) -> bool:
        return self.outer.currentWidget() is self.lock_screen

    def lock(self) -> None:
        """Hide everything (the workspace, open dialogs, menus) behind the lock screen."""
        if self.locked:
            return
        from PySide6.QtWidgets import QApplication

        self._hidden_windows = [w for w in QApplication.topLevelWidgets()
                                if w is not self and w.isVisible() and w.isWindow()]
        for w in self._hidden_windows:
            w.hide()
        self.lock_screen.retranslate()
        self.outer.setCurrentWidget(self.lock_screen)
        from inspector.storecrypt import relock

        self.ctx.tasks.wait_idle()
        # what the session recorded so far is signed before the key leaves memory, so a laptop that
        # dies while locked leaves nothing unsigned (the session goes on after the unlock)
        self._log_warning = self._sign_heads()
        relock(self.ctx.engine)  # the store key leaves memory; the password derives it again
        self.stack.hide()
        self.menuBar().setEnabled(False)
        self.lock_screen.password.setFocus()

    def unlock(self) -> None:
        self.stack.show()
        self.outer.setCurrentWidget(self.stack)
        self.menuBar().setEnabled(True)
        for w in self._hidden_windows:
            w.show()
        self._hidden_windows = []
        self.idle_lock.set_minutes(self.ctx.settings.idle_lock_minutes())
        warning, self._log_warning = self._log_warning, None
        if warning:
            QMessageBox.warning(self, _("Event log"), warning)

    # language ----------------------------------------------------------------------
    def set_language(self, lang: str) -> None:
        self.ctx.language.set_language(lang)
        self.ctx.settings.set_language(lang)

    def toggle_language(self) -> None:
        self.set_language("en" if self.ctx.language.language() != "en" else "zh_CN")

    def retranslate(self, _lang: str | None = None) -> None:
        self.file_menu.setTitle(_("&File"))
        self.view_menu.setTitle(_("&View"))
        self.help_menu.setTitle(_("&Help"))
        self.lang_menu.setTitle(_("Language"))
        self.about_action.setText(_("About Inspector"))
        for action in self.findChildren(QAction):
            if action.property("shortcut_id"):
                retranslate_action(action)
        for lang, act in self.lang_actions.items():
            act.setChecked(lang == self.ctx.language.language())
        title = _("Inspector")
        if self.workspace is not None:
            title = f"{self.workspace.info.fixmedins_name} — {title}"
        self.setWindowTitle(title)
        self.store_label.setText(_("Store: {path}").format(path=self.ctx.db_path))
        a = self.ctx.actor
        self.user_label.setText(_("Logged in: {name} ({role})").format(name=a.display_name, role=_(a.role))
                                if a else "")
        self.lock_screen.retranslate()

    # dialogs ---------------------------------------------------------------------------
    def show_shortcuts(self) -> ShortcutsDialog:
        from ui.workspace import screen_shortcuts

        dlg = ShortcutsDialog(self, extra=screen_shortcuts())
        dlg.show()
        return dlg

    def show_about(self) -> None:
        QMessageBox.about(self, _("About Inspector"),
                          _("Inspector: on-site inspection of medical-insurance fund use."))

    # geometry --------------------------------------------------------------------------
    def _restore_geometry(self) -> None:
        geo = self.ctx.settings.geometry("main")
        if geo is None or not self.restoreGeometry(geo):
            screen = self.screen().availableGeometry() if self.screen() else None
            w, h = DEFAULT_SIZE
            if screen is not None:
                w, h = min(w, screen.width()), min(h, screen.height())
            self.resize(w, h)

    def end_session(self) -> None:
        """The GUI session ends when the window closes: the logged-in account signs the heads of the
        event chains with its key if they moved (inspector/anchors.py); a refusal is shown."""
        warning = self._sign_heads()
        if warning:
            QMessageBox.warning(self, _("Event log"), warning)

    def _sign_heads(self) -> str | None:
        """Sign the heads the session moved (at the idle lock and at the end); why not, if refused."""
        from inspector.anchors import sign_session_end

        try:
            sign_session_end(self.ctx.engine, self.ctx.actor)
        except UserError as exc:
            return str(exc)
        return None

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt override
        self.end_session()
        self.idle_lock.stop()
        self.ctx.settings.set_geometry("main", self.saveGeometry())
        self.ctx.settings.sync()
        self._drop_workspace()
        super().closeEvent(event)


def find_child(widget: QWidget, cls: type) -> QWidget | None:
    """The first descendant of `widget` of type `cls` (tests and screenshots use it)."""
    return widget.findChild(cls)
