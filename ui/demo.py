"""The demo: build the demo central database beside the store, sync its hospital, screen it.

Offered on first start (an empty store) and from Home; runs off the GUI thread with a
progress bar per table and Cancel. The demo central's URL is remembered for the sync dialog.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtWidgets import QMessageBox, QWidget

from inspector.i18n import _
from ui.context import ApplicationContext


def demo_central_path(ctx: ApplicationContext) -> Path:
    return ctx.db_path.parent / "demo-central.db"


def create_demo(engine, central: Path, progress, scale: str = "small", actor=None) -> Any:
    """Build (or reuse) the demo central database, sync its main hospital, screen it (core)."""
    from inspector.demo.walkthrough import create_demo_inspection

    return create_demo_inspection(engine, central, progress, scale, actor=actor)


def start_demo(ctx: ApplicationContext, parent: QWidget, on_created) -> object:
    """Run `create_demo` as a background write task; `on_created(inspection_id)` on success."""
    central = demo_central_path(ctx)
    engine, actor = ctx.engine, ctx.actor

    def done(result) -> None:
        url = f"sqlite:///{central}"
        ctx.settings.set_value("central_url", url)
        ctx.settings.add_recent("central_url", url)
        on_created(int(result.inspection_id))

    return ctx.tasks.run(lambda progress: create_demo(engine, central, progress, actor=actor), title=_("Create the demo"),
                         on_done=done, write=True, parent=parent)


def offer_demo(ctx: ApplicationContext, parent: QWidget, on_created) -> QMessageBox:
    """First start with no data: ask whether to create the demo and open it."""
    box = QMessageBox(parent)
    box.setWindowTitle(_("Welcome"))
    box.setIcon(QMessageBox.Icon.Question)
    box.setText(_("There are no inspections yet. Create the demo (a hospital with planted cases) and open it?"))
    box.setStandardButtons(QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No)
    box.setDefaultButton(QMessageBox.StandardButton.Yes)
    def answered(button) -> None:
        if box.standardButton(button) == QMessageBox.StandardButton.Yes:
            start_demo(ctx, parent, on_created)

    box.buttonClicked.connect(answered)
    box.setModal(True)
    box.show()
    return box
