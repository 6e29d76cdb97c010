"""Render every screen to PNG in both languages at 1366x768 or --size WxH (run under Xvfb).

    xvfb-run -a -s "-screen 0 1366x768x24" env QT_QPA_PLATFORM=xcb .venv/bin/python tools/screenshots.py
    xvfb-run -a -s "-screen 0 1366x768x24" env QT_QPA_PLATFORM=xcb .venv/bin/python tools/screenshots.py --size 1024x600

Writes ./screenshots/<lang>/NN-<screen>.png (git-ignored) from a throwaway store.
"""
from __future__ import annotations

import argparse
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SIZE = (1366, 768)


def build_store(folder: Path) -> Path:
    """The demo, built, synced and screened by the same code as the GUI, walked through by the demo
    team's accounts (a finding returned with a comment, then approved)."""
    db = folder / "screens.db"
    from inspector.db import open_store
    from inspector.demo.walkthrough import demo_accounts, demo_actor, run_walkthrough
    from inspector.progress import Progress
    from ui.demo import create_demo

    engine = open_store(db)
    actors = demo_accounts(engine, folder)
    result = create_demo(engine, folder / "demo-central.db", Progress(), actor=demo_actor(actors, "lead"))
    run_walkthrough(engine, folder / "demo-central.db", result.inspection_id, actors)
    engine.dispose()
    return db


def _prepare_census(view) -> None:
    """Tick a few beds so the grid shows its colours (the throwaway store takes the events)."""
    if getattr(view, "_shots_done", False):
        return
    view._shots_done = True
    view.note.setText("腕带核对")
    view.tick("present")
    view.tick("absent")
    view.tick("discharged")
    view.tick("identity_mismatch")


def _prepare_leads(view) -> None:
    if view.model.rowCount() == 0:
        view.run()
        view.ctx.tasks.wait_idle()
        view.table.selectRow(0)


def _prepare_stock(view) -> None:
    if view.sample is None:
        view.draw()
        rows = view.model.rows
        for k, r in enumerate(rows[:4]):
            view.count(r.med_list_codg, f"{r.expected + (0, -5, 7, 0)[k]:.2f}")


def _prepare_records(view) -> None:
    if view.summary is None:
        view.draw()
        view.rows[0].radios["pass"].click()
        view.rows[1].amount.setText("120.50")
        view.rows[1].note.setText("无医嘱收费")
        view.rows[1].radios["fail"].click()


def _prepare_findings(view) -> None:
    if not view.model.findings:
        view.category.setCurrentIndex(view.category.findData("V03"))
        view.amount.setText("1000.00")
        view.multiplier.setText("1.5")
        view.description.setPlainText("重复收取床位费")
        view.save()


def _prepare_documents(view) -> None:
    from PySide6.QtCore import QPoint
    from PySide6.QtGui import QMouseEvent  # noqa: F401 - the pad is drawn through its own painter

    if not view.rep_name.text():
        view.rep_name.setText("王建国")
        view.rep_title.setText("副院长")
        view.save_representative()
    painter_points = [QPoint(40 + x * 12, 60 + int(25 * ((x % 7) - 3) / 3)) for x in range(50)]
    from PySide6.QtGui import QColor, QPainter, QPen

    p = QPainter(view.pad.image)
    p.setPen(QPen(QColor("black"), 5))
    for a, b in zip(painter_points, painter_points[1:]):
        p.drawLine(a, b)
    p.end()
    view.pad.strokes = 1
    view.pad.update()


PREPARE = {"documents": _prepare_documents, "census": _prepare_census, "leads": _prepare_leads, "stock": _prepare_stock,
           "records": _prepare_records, "findings": _prepare_findings}


def _dialog_shots(ctx, window, dialog_shot, tmp: Path) -> None:
    """The new-inspection dialogs, an Excel error table and a progress dialog."""
    ctx.settings.set_value("central_url", f"sqlite:///{tmp / 'demo-central.db'}")

    def sync_dialog():
        dlg = window.new_inspection("central")
        dlg.run_search()
        ctx.tasks.wait_idle()
        dlg.results.setCurrentRow(0)
        return dlg

    dialog_shot("dialog-sync", sync_dialog)
    from inspector.sync.xlsx_errors import CellError
    from ui.new_inspection import ImportErrorsDialog

    errors = [CellError("feedetl", 12 + i, "cnt", "abc", "not a number") for i in range(6)]
    errors.append(CellError("mdtrt", None, "begntime", "", "required column missing"))
    dialog_shot("dialog-xlsx", lambda: window.new_inspection("xlsx"))
    dialog_shot("dialog-xlsx-errors", lambda: ImportErrorsDialog(errors, 7, "/data/extract.xlsx", window))
    from ui.tasks import ProgressDialog, Task

    def progress_dialog():
        task = Task(lambda p: None, _t("Sync from the central database"))
        dlg = ProgressDialog(task, window)
        for label, done, total in (("fixmedins", 1, 1), ("mdtrt", 2751, 2751), ("feedetl", 20_000, 48_190)):
            dlg.on_progress(label, done, total)
        dlg.status.setText(_t("copying"))
        return dlg

    dialog_shot("dialog-progress", progress_dialog)


def _planning_shots(window, shot, settle, tmp: Path) -> None:
    """The Planning screen on the demo region: the ranking with its charts, then a drawn plan."""
    from datetime import datetime, timedelta

    from PySide6.QtCore import QDate, QDateTime

    from inspector.demo.central import build_demo_central
    from inspector.planning.pools import csv_pool_text

    central = tmp / "region.db"
    if not central.exists():
        build_demo_central(central, seed=1, scale="small")
    view = window.show_planning()
    view.central_url.setText(str(central))
    view.date_from.setDate(QDate(2026, 7, 1))
    view.date_to.setDate(QDate(2026, 9, 28))
    view.rank()
    settle(300)
    view.rank_table.selectRow(0)
    shot("planning-ranking")
    ranking = view.write_ranking(tmp / "ranking.json")
    people = [[f"I{j:02d}", name, ["610113", "610104", "610112"][j % 3], "H61011300001" if j == 4 else ""]
              for j, name in enumerate(["张伟", "王芳", "李娜", "刘洋", "陈静", "杨磊", "赵敏", "黄强", "周杰", "吴婷"])]
    pool = tmp / "inspectors.csv"
    pool.write_text(csv_pool_text(datetime.now() - timedelta(days=3), ["inspector_id", "name", "district", "relations"],
                                  people), encoding="utf-8")
    view.people_path.setText(str(pool))
    view.units_path.setText(str(ranking))
    view.n_spin.setValue(3)
    view.seed.setText("2026120101-0392")
    view.seed_time.setDateTime(QDateTime.currentDateTime().addSecs(1))
    settle(1100)
    view.draw()
    view.tabs.setCurrentIndex(1)
    shot("planning-draw")


def _t(text: str) -> str:
    from inspector.i18n import _

    return _(text)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "screenshots")
    parser.add_argument("--scale", type=float, default=1.0,
                        help="device pixel ratio (e.g. 2 for a high-DPI check; give Xvfb a screen that large)")
    parser.add_argument("--only", nargs="*", help="screen names to render (default: all)")
    parser.add_argument("--size", default=f"{SIZE[0]}x{SIZE[1]}", metavar="WxH",
                        help="window size (default 1366x768; e.g. 1024x600 for a small laptop; give Xvfb a screen "
                             "at least that large); the PNGs go to <out>/<lang>/ or <out>/<WxH>/<lang>/ when not default")
    args = parser.parse_args(argv)
    try:
        size = tuple(int(x) for x in args.size.lower().split("x"))
        assert len(size) == 2 and min(size) > 0
    except (ValueError, AssertionError):
        parser.error(f"--size {args.size}: expected WIDTHxHEIGHT, e.g. 1024x600")
    if size != SIZE:
        args.out = args.out / f"{size[0]}x{size[1]}"
    if args.scale != 1.0:
        import os

        os.environ["QT_SCALE_FACTOR"] = str(args.scale)

    from PySide6.QtWidgets import QApplication, QWidget

    from inspector import i18n
    from ui.app import make_application
    from ui.context import create_context
    from ui.main_window import MainWindow

    app = make_application()
    tmp = Path(tempfile.mkdtemp(prefix="inspector-shots-"))
    db = build_store(tmp)
    ctx = create_context(db, tmp / "settings.ini")
    from inspector.accounts import authenticate, read_password_file

    ctx.actor = authenticate(ctx.engine, "wangjg", read_password_file(tmp / "passwords" / "wangjg.txt"))
    written: list[Path] = []

    def settle(ms: int = 150) -> None:
        ctx.tasks.wait_idle()
        end = __import__("time").monotonic() + ms / 1000
        while __import__("time").monotonic() < end:
            app.processEvents()

    for lang in i18n.LANGUAGES:
        out = args.out / lang
        out.mkdir(parents=True, exist_ok=True)
        for old in out.glob("*.png"):
            old.unlink()
        ctx.language.set_language(lang)
        window = MainWindow(ctx)
        window.resize(*size)
        window.show()
        settle()
        n = 0

        def shot(name: str, widget: QWidget | None = None) -> None:
            nonlocal n
            n += 1
            if args.only and not any(o in name for o in args.only):
                return
            settle()
            target = widget or window
            path = out / f"{n:02d}-{name}.png"
            target.grab().save(str(path))
            written.append(path)

        def dialog_shot(name: str, make: Callable[[], QWidget]) -> None:
            dlg = make()
            dlg.show()
            settle()
            shot(name, dlg)
            dlg.close()

        from ui.login import FirstAccountDialog, LoginDialog

        dialog_shot("dialog-login", lambda: LoginDialog(ctx))
        dialog_shot("dialog-first-account", lambda: FirstAccountDialog(ctx))
        shot("home")
        dialog_shot("help-shortcuts", window.show_shortcuts)
        dialog_shot("dialog-check-records", window.check_store)
        _dialog_shots(ctx, window, dialog_shot, tmp)
        ws = window.open_inspection(window.home.selected_id())
        assert ws is not None
        for key in ws.screen_keys():
            if key == "overview":
                continue
            view = ws.show_screen(key)
            prepare = PREPARE.get(key)
            if prepare is not None:
                prepare(view)
            shot(f"workspace-{key}")
        ws.show_screen("overview")
        shot("workspace-overview")
        findings = ws.show_screen("findings")
        returned = next((i for i, f in enumerate(findings.model.findings) if len(f.reviews) > 1), 0)
        findings.table.selectRow(returned)
        findings.edit_row(returned)
        shot("findings-approved-read-only")
        window.lock()
        shot("idle-lock")
        window.unlock()
        browser = ws.show_screen("data")
        browser.column.setCurrentIndex(browser.column.findData("det_item_fee_sumamt"))
        browser.filter.setText(">= 0.5")
        browser.apply_filter()
        shot("data-filtered")
        browser.filter.setText("abc")
        browser.apply_filter()
        shot("data-filter-error")
        _planning_shots(window, shot, settle, tmp)
        window.close()
        settle()
    ctx.close()
    for p in written:
        print(p.relative_to(ROOT) if p.is_relative_to(ROOT) else p)
    QApplication.quit()
    return 0


if __name__ == "__main__":
    sys.exit(main())
