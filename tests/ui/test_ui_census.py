"""Ward census driven with keys and clicks: ID verification, outcomes, undo; checked in the store."""
from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication


from inspector.checks.census import census_state, census_summary  # noqa: E402
from inspector.events import read_events  # noqa: E402
from tools.synthetic_store import synthetic_certno  # noqa: E402
from ui.census import CensusView  # noqa: E402
from ui.main_window import MainWindow  # noqa: E402


@pytest.fixture
def census(qtbot, ctx):
    w = MainWindow(ctx)
    qtbot.addWidget(w)
    w.resize(1366, 768)
    w.show()
    w.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is w)
    ws = w.open_inspection(w.home.selected_id())
    view = ws.show_screen("census")
    assert isinstance(view, CensusView)
    return view


def _psn_index(tile) -> int:
    return int(tile.entry.psn_no[1:])


def test_census_of_a_whole_ward_with_id_check_and_undo(qtbot, ctx, census):
    view = census
    view.ward.setCurrentIndex(view.ward.findData("W01"))
    tiles = view.tiles
    assert len(tiles) >= 5 and all(t.entry.ward_codg == "W01" for t in tiles)
    assert "14" not in view.period.text() or view.period.text()  # the period line is shown
    # 1. a wrong ID number is refused inline and records nothing
    first = tiles[0]
    assert view.selected_tile() is first
    view.id_field.setFocus()
    qtbot.keyClicks(view.id_field, synthetic_certno(_psn_index(tiles[1])))  # someone else's number
    qtbot.keyClick(view.id_field, Qt.Key.Key_Return)
    assert first.outcome is None and view.message.text()
    with ctx.engine.connect() as c:
        assert read_events(c, 1, ["census.*"]) == []
    # 2. the right number, scanned like a keyboard, verifies on Enter: present
    view.id_field.clear()
    qtbot.keyClicks(view.id_field, synthetic_certno(_psn_index(first)).lower())  # 'x' is upper-cased by the core
    qtbot.keyClick(view.id_field, Qt.Key.Key_Return)
    assert first.outcome == "present" and view.selected_tile() is tiles[1]
    # 3. the rest of the ward with one key each, focus on the bed grid
    keys = [Qt.Key.Key_A, Qt.Key.Key_L, Qt.Key.Key_D, Qt.Key.Key_M]
    expected = {first.entry.mdtrt_id: "present"}
    outcome_of = {Qt.Key.Key_A: "absent", Qt.Key.Key_L: "on_leave", Qt.Key.Key_D: "discharged", Qt.Key.Key_M: "identity_mismatch"}
    for n, tile in enumerate(tiles[1:]):
        key = keys[n % len(keys)]
        if key == Qt.Key.Key_L and not tile.entry.leave_covers_v:
            key = Qt.Key.Key_A  # on leave needs a leave record or a photographed slip
        tile.setFocus()
        assert view.selected_tile() is tile
        qtbot.keyClick(tile, key)
        assert tile.outcome == outcome_of[key], view.message.text()
        expected[tile.entry.mdtrt_id] = outcome_of[key]
    with ctx.engine.connect() as c:
        st = census_state(c, 1)
        summary = census_summary(c, 1)
    assert {m: e.payload["outcome"] for m, e in st.outcomes.items()} == expected
    ward = next(w for w in summary["wards"] if w["ward_codg"] == "W01")
    assert ward["checked"] == ward["registered"] == len(tiles)
    assert str(ward["registered"]) in view.counts.text()
    # 4. undo the last tick: an undo event, the bed is unchecked again
    last = tiles[-1]
    qtbot.keyClick(last, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert last.outcome is None
    with ctx.engine.connect() as c:
        undos = read_events(c, 1, ["census.undone"])
        assert len(undos) == 1 and undos[0].payload["mdtrt_id"] == last.entry.mdtrt_id
        assert last.entry.mdtrt_id not in census_state(c, 1).outcomes


def test_present_is_one_key_and_the_id_check_a_setting(qtbot, ctx, census):
    from inspector.settings import change_settings

    view = census
    tile = view.selected_tile()
    qtbot.keyClick(tile, Qt.Key.Key_P)                 # one key: in bed, identity not checked
    assert tile.outcome == "present", view.message.text()
    with ctx.engine.connect() as c:
        ev = census_state(c, 1).outcomes[tile.entry.mdtrt_id]
    assert ev.payload["id_verified"] is False and ev.payload["note"] is None
    change_settings(ctx.engine, 1, {"census_require_id": True})   # a bureau that wants every identity checked
    nxt = view.selected_tile()
    assert nxt is not tile
    qtbot.keyClick(nxt, Qt.Key.Key_P)
    assert nxt.outcome is None and view.message.text()
    assert "--" not in view.message.text()            # no command-line flag in a GUI message
    view.note.setText("核对住院腕带和床头卡")
    nxt.setFocus()
    qtbot.keyClick(nxt, Qt.Key.Key_P)
    assert nxt.outcome == "present"
    with ctx.engine.connect() as c:
        ev = census_state(c, 1).outcomes[nxt.entry.mdtrt_id]
    assert ev.payload["note"] == "核对住院腕带和床头卡" and ev.payload["id_verified"] is False


def test_a_complete_ward_is_announced_and_its_last_bed_not_overwritten(qtbot, ctx, census):
    view = census
    view.ward.setCurrentIndex(view.ward.findData("W01"))
    tiles = view.tiles
    assert "0/" in view.ward.currentText()             # per-ward progress in the ward list
    for tile in tiles:
        tile.setFocus()
        qtbot.keyClick(tile, Qt.Key.Key_A)
        assert tile.outcome == "absent", view.message.text()
    n = len(tiles)
    assert view.selected_tile() is None                # nothing selected: the next key cannot overwrite
    assert str(n) in view.message.text() and "已全部核查" in view.message.text()
    qtbot.waitUntil(lambda: f"{n}/{n}" in view.ward.currentText())
    assert "✓" in view.ward.currentText()
    qtbot.keyClick(view.grid_host, Qt.Key.Key_D)        # a stray key after the last bed
    assert tiles[-1].outcome == "absent"
    with ctx.engine.connect() as c:
        assert len(read_events(c, 1, ["census.outcome"])) == n
    # N goes to the next ward with unchecked beds
    qtbot.keyClick(view.grid_host, Qt.Key.Key_N)
    assert view.current_ward() != "W01" and view.selected_tile() is view.tiles[0]
    # arrows bring a bed back into focus in a completed ward
    view.ward.setCurrentIndex(view.ward.findData("W01"))
    assert view.selected_tile() is view.tiles[0]


def test_switching_language_mid_census_keeps_the_record_language_free(qtbot, ctx, census):
    view = census
    win = view.window()
    first, second = view.tiles[0], view.tiles[1]
    first.setFocus()
    qtbot.keyClick(first, Qt.Key.Key_A)
    assert "不在床" in view.message.text()
    qtbot.keyClick(win, Qt.Key.Key_L, Qt.KeyboardModifier.ControlModifier)   # to English, live
    assert view.buttons["absent"].text().startswith("Absent") and "registered" in view.counts.text()
    second.setFocus()
    qtbot.keyClick(second, Qt.Key.Key_A)
    assert view.message.text().endswith("Absent recorded")
    with ctx.engine.connect() as c:
        st = census_state(c, 1)
    # the store keeps codes, not words: both ticks read the same whatever the language was
    assert st.outcomes[first.entry.mdtrt_id].payload["outcome"] == "absent"
    assert st.outcomes[second.entry.mdtrt_id].payload["outcome"] == "absent"
    qtbot.keyClick(win, Qt.Key.Key_L, Qt.KeyboardModifier.ControlModifier)
    assert view.buttons["absent"].text().startswith("不在床")
