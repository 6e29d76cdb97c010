"""One language at a time in the GUI: lead summaries and progress texts follow the language."""
from __future__ import annotations

import re

from PySide6.QtCore import Qt

from ui.leads import COLUMNS, LeadsView
from ui.main_window import MainWindow

CJK = re.compile(r"[\u3400-\u9fff]")


def test_lead_summaries_follow_the_language(qtbot, ctx):
    w = MainWindow(ctx)
    qtbot.addWidget(w)
    w.resize(1366, 768)
    w.show()
    view = w.open_inspection(w.home.selected_id()).show_screen("leads")
    assert isinstance(view, LeadsView)
    qtbot.mouseClick(view.run_button, Qt.MouseButton.LeftButton)
    assert ctx.tasks.wait_idle(60000)
    col = list(COLUMNS).index("Summary")
    summaries = [view.model.data(view.model.index(r, col)) for r in range(view.model.rowCount())]
    assert summaries and all(CJK.search(s) for s in summaries)          # Chinese by default, as stored
    ctx.language.set_language("en")
    english = [view.model.data(view.model.index(r, col)) for r in range(view.model.rowCount())]
    assert all(not CJK.search(s) and "yuan" in s for s in english), english
    assert [lead.summary for lead in view.model.leads] == summaries      # the stored text is untouched
    ctx.language.set_language("zh_CN")
    assert [view.model.data(view.model.index(r, col)) for r in range(view.model.rowCount())] == summaries


def test_progress_texts_are_translated(qtbot, ctx):
    from inspector.progress import Progress
    from ui.tasks import ProgressDialog, Task, _display_label

    from inspector.i18n import gettext

    assert _display_label("Screening rules") == gettext("Screening rules", "zh_CN") != "Screening rules"
    assert _display_label("feedetl") != "feedetl"
    task = Task(lambda p: None, "x")
    dlg = ProgressDialog(task, None)
    qtbot.addWidget(dlg)
    task.progress.set_status("Saving the leads")
    qtbot.waitUntil(lambda: dlg.status.text() == gettext("Saving the leads", "zh_CN") != "Saving the leads")
    ctx.language.set_language("en")
    assert _display_label("Screening rules") == "Screening rules"
    assert isinstance(task.progress, Progress)


def test_no_message_the_gui_can_show_names_a_command_line_flag():
    """Messages of the GUI and of the core it loads speak of things, not of `--flags` or commands."""
    import subprocess
    import sys
    from pathlib import Path

    from babel.messages.extract import extract_python

    root = Path(__file__).resolve().parents[2]
    # the core modules the GUI loads: every ui module imported in a fresh interpreter
    probe = ("import importlib, pkgutil, sys, ui\n"
             "for m in pkgutil.walk_packages(ui.__path__, 'ui.'):\n"
             "    importlib.import_module(m.name)\n"
             "print('\\n'.join(sorted(n for n in sys.modules if n == 'inspector' or n.startswith('inspector.'))))")
    out = subprocess.run([sys.executable, "-c", probe], cwd=root, capture_output=True, text=True, timeout=120,
                         env={**__import__("os").environ, "QT_QPA_PLATFORM": "offscreen"})
    assert out.returncode == 0, out.stderr
    modules = [m for m in out.stdout.split() if not m.startswith("inspector.cli")]
    assert "inspector.checks.census" in modules and "inspector.findings" in modules
    files = [root / "ui" / p for p in ("",)] and sorted((root / "ui").rglob("*.py"))
    for m in modules:
        path = root / Path(*m.split("."))
        files.append(path / "__init__.py" if path.is_dir() else path.with_suffix(".py"))
    found = []
    for f in files:
        if not f.exists():
            continue
        with open(f, "rb") as fh:
            for line, _func, msg, _c in extract_python(fh, {"_": None, "N_": None}, [], {}):
                if isinstance(msg, str) and (re.search(r"(?<![\w-])--[a-z]", msg) or "`" in msg):
                    found.append(f"{f.relative_to(root)}:{line}: {msg}")
    assert not found, "\n".join(found)
