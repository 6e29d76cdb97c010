"""File → "Check this laptop's records": the core's integrity report in the background, in the CLI's
words — the verdict, damage in red, a note for events a session signed without having written them."""
from __future__ import annotations

import sqlite3

from inspector import i18n
from inspector.accounts import authenticate
from inspector.anchors import sign_session_end
from inspector.findings import create_finding
from inspector.integrity import integrity_report
from inspector.signing.ca import create_demo_ca
from inspector.signing.trust import add_anchor
from tests.support.accounts import password_of
from tests.support.signed_store import PASS, give_keys
from tests.support.tamper import append_forged
from ui.main_window import MainWindow


def _open_check(qtbot, ctx):
    w = MainWindow(ctx)
    qtbot.addWidget(w)
    w.show()
    w.actions_["check_store"].trigger()
    from ui.integrity import IntegrityDialog

    dlg = w.findChild(IntegrityDialog)
    assert dlg is not None
    qtbot.waitUntil(lambda: dlg.report is not None, timeout=30_000)
    return w, dlg


def _items(dlg) -> list[tuple[str, str]]:
    return [(dlg.lines.item(i).text(), dlg.lines.item(i).foreground().color().name())
            for i in range(dlg.lines.count())]


def _finding(ctx, actor, text: str) -> None:
    create_finding(ctx.engine, 1, "manual", category_code="V01", amount="12.00", description=text, handling="追回",
                   actor=actor)


def test_an_intact_store_says_ok_in_the_words_of_check_store(qtbot, ctx, store_path, capsys):
    from inspector.cli import run

    i18n.set_language("zh_CN")
    w, dlg = _open_check(qtbot, ctx)
    first = dlg.lines.item(0).text()
    assert first.startswith("正常") or "快照" in first, first
    assert first == integrity_report(ctx.engine).lines()[0][1]
    assert dlg.lines.item(0).font().bold()
    w.close()
    capsys.readouterr()
    assert run(["check-store", "--db", str(store_path), "--lang", "zh_CN"]) == 0
    assert first in capsys.readouterr().out                     # the CLI says the same


def test_a_changed_row_shows_red_and_names_the_table(qtbot, ctx, store_path):
    i18n.set_language("en")
    ctx.engine.dispose()
    con = sqlite3.connect(store_path)
    con.execute("UPDATE snap_feedetl SET det_item_fee_sumamt = det_item_fee_sumamt + 1 "
                "WHERE rowid = (SELECT min(rowid) FROM snap_feedetl)")
    con.commit()
    con.close()
    w, dlg = _open_check(qtbot, ctx)
    items = _items(dlg)
    assert items[0][0].startswith("NOT OK") and items[0][1] == "#b3261e", items
    assert any("table feedetl" in text and colour == "#b3261e" for text, colour in items[1:]), items
    w.close()


def test_an_event_signed_over_by_a_later_session_is_a_note(qtbot, ctx, store_path, tmp_path):
    i18n.set_language("en")
    add_anchor(ctx.engine, create_demo_ca(tmp_path / "ca", PASS), actor=ctx.people["zhang"])
    give_keys(ctx.engine, {"li": ctx.actor}, tmp_path / "ca", tmp_path)
    first = authenticate(ctx.engine, "li", password_of("li"), with_key=True)
    _finding(ctx, first, "第一次会话")
    sign_session_end(ctx.engine, first)
    ctx.engine.dispose()
    append_forged(store_path, 1)                      # outside Inspector, between two sessions
    second = authenticate(ctx.engine, "li", password_of("li"), with_key=True)
    _finding(ctx, second, "第二次会话")
    sign_session_end(ctx.engine, second)              # signs over the forged event too
    ctx.actor = second
    w, dlg = _open_check(qtbot, ctx)
    items = _items(dlg)
    assert items[0][0].startswith("ok: "), items                 # nothing is damaged ...
    notes = [(t, c) for t, c in items if t.startswith("note: ")]
    assert len(notes) == 1 and "already there when the session that" in notes[0][0], items   # ... but it is named
    assert notes[0][1] == "#5f6368"
    assert items[-1][0].startswith("checked against 2 signed heads"), items
    w.close()


def test_a_wipe_no_store_record_shows_is_caught_against_a_signed_report(qtbot, qapp, tmp_path):
    """Events and every signed head wiped: the store alone looks whole, the signed report's heads
    (as `verify-log --pdf`) show the damage, in red, naming the report."""
    from tests.support.signed_store import signed_store
    from tests.support.tamper import wipe
    from ui.context import create_context
    from ui.integrity import IntegrityDialog

    made = signed_store(tmp_path / "w")
    made.engine.dispose()
    wipe(made.db, made.inspection, anchors_too=True)
    ctx = create_context(made.db, tmp_path / "settings.ini")
    i18n.set_language("en")
    try:
        dlg = IntegrityDialog(ctx)
        qtbot.addWidget(dlg)
        dlg.start()
        qtbot.waitUntil(lambda: dlg.report is not None, timeout=30_000)
        assert _items(dlg)[0][0].startswith("ok: ")              # nothing in the store to compare with
        dlg.report = None
        dlg.start([made.signed])
        qtbot.waitUntil(lambda: dlg.report is not None, timeout=30_000)
        items = _items(dlg)
        assert items[0] == ("NOT OK: 1 differences", "#b3261e"), items
        assert any("the signed report signed.pdf" in t and "the log was wiped" in t and c == "#b3261e"
                   for t, c in items), items
        assert items[-1][0] == "checked against the heads of 1 signed reports", items
    finally:
        ctx.close()
        i18n.set_language(i18n.DEFAULT_LANGUAGE)
