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

    assert _display_label("screening") == "筛查" and _display_label("feedetl") != "feedetl"
    task = Task(lambda p: None, "x")
    dlg = ProgressDialog(task, None)
    qtbot.addWidget(dlg)
    task.progress.set_status("saving leads")
    qtbot.waitUntil(lambda: dlg.status.text() == "正在保存疑点")
    ctx.language.set_language("en")
    assert _display_label("screening") == "screening"
    assert isinstance(task.progress, Progress)


def test_no_message_the_gui_can_show_names_a_command_line_flag():
    """Messages of the GUI and of the core it calls speak of things, not of `--flags` or commands."""
    from pathlib import Path

    from babel.messages.extract import extract_from_dir

    root = Path(__file__).resolve().parents[2]
    found = []
    for folder in ("ui", "inspector"):
        for fn, line, msg, _c, _x in extract_from_dir(str(root / folder), method_map=[("**.py", "python")],
                                                      keywords={"_": None, "N_": None}):
            if folder == "inspector" and fn.startswith("cli/"):
                continue        # the command line's own texts may name its flags
            if isinstance(msg, str) and (re.search(r"(?<![\w-])--[a-z]", msg) or "`" in msg):
                found.append(f"{folder}/{fn}:{line}: {msg}")
    assert not found, "\n".join(found)
