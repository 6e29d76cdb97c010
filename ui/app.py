"""`python main.py gui`: the QApplication, the context and the main window."""
from __future__ import annotations

import sys
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QApplication, QDialog, QMessageBox

from inspector.db import StoreError
from inspector.i18n import _
from ui.context import ApplicationContext, create_context
from ui.icons import icon

STYLE = """
QLabel#pageTitle { font-size: 15pt; font-weight: 600; }
QLabel#subtitle { color: #555; }
QLabel#emptyState { font-size: 12pt; color: #555; padding: 40px; }
QListWidget#sidebar { font-size: 11pt; }
QListWidget#sidebar::item { padding: 4px; }
"""


def make_application(argv: list[str] | None = None) -> QApplication:
    """The QApplication (reused if one exists) with name, icon, font and style."""
    if QApplication.instance() is None:
        # Fractional scale factors (125 %, 150 %) as the screen asks, not rounded: sharp on high-DPI.
        QApplication.setHighDpiScaleFactorRoundingPolicy(Qt.HighDpiScaleFactorRoundingPolicy.PassThrough)
    app = QApplication.instance() or QApplication(argv if argv is not None else sys.argv[:1])
    app.setApplicationName("Inspector")
    app.setOrganizationName("Inspector")
    app.setWindowIcon(icon("app"))
    font = app.font()
    # CJK-capable families first where installed; Qt falls back per glyph otherwise.
    font.setFamilies(["Noto Sans CJK SC", "WenQuanYi Micro Hei", "Microsoft YaHei", "PingFang SC", font.family()])
    font.setStyleHint(QFont.StyleHint.SansSerif)
    app.setFont(font)
    app.setStyleSheet(STYLE)
    return app  # type: ignore[return-value]


def open_main_window(ctx: ApplicationContext):
    """Build and show the main window for `ctx`."""
    from ui.main_window import MainWindow

    window = MainWindow(ctx)
    window.show()
    window.offer_demo_if_empty()
    return window


def run_gui(db_path: Path | str | None = None, settings_path: Path | str | None = None,
            smoke_test: bool = False) -> int:
    """Open the main window on the store at `db_path`; returns the exit code.

    `smoke_test` (an installation check): quit as soon as the first window has been shown and
    painted, printing its title, so a script can time start-up and see that Qt loads.
    """
    app = make_application()
    try:
        ctx = create_context(db_path, settings_path)
    except StoreError as exc:
        if smoke_test:
            print(str(exc), file=sys.stderr)
        else:
            QMessageBox.critical(None, _("Inspector"), str(exc))
        return 2
    from ui.login import login_dialog

    dialog = login_dialog(ctx)
    if smoke_test:
        # the first window is the login (or first-account) dialog: shown, painted, then quit
        from PySide6.QtCore import QTimer

        def shown_login() -> None:
            print(f"gui ok: {dialog.windowTitle()}", flush=True)
            dialog.reject()

        QTimer.singleShot(0, shown_login)
        dialog.exec()
        ctx.close()
        return 0
    if dialog.exec() != QDialog.DialogCode.Accepted or ctx.actor is None:
        ctx.close()
        return 0
    window = open_main_window(ctx)
    if smoke_test:
        from PySide6.QtCore import QTimer

        def shown() -> None:
            top = app.activeModalWidget() or window
            print(f"gui ok: {top.windowTitle()}", flush=True)
            app.quit()

        QTimer.singleShot(0, shown)
    code = app.exec()
    window.close()
    ctx.close()
    return int(code)
