"""Overview: figures from the cores (computed off the GUI thread) and charts."""
from __future__ import annotations

from ui.main_window import MainWindow
from ui.overview import OverviewView


def test_overview_shows_counts_and_follows_the_census(qtbot, ctx):
    w = MainWindow(ctx)
    qtbot.addWidget(w)
    w.resize(1366, 768)
    w.show()
    ws = w.open_inspection(w.home.selected_id())
    assert ws.screen_keys()[0] == "overview"
    view = ws.widgets["overview"]
    assert isinstance(view, OverviewView)
    assert ctx.tasks.wait_idle()
    bars = dict((label, value) for label, value, _c, _t in view.cards["counts"][2].bars)
    assert bars["费用明细"] == 3000 and bars["就诊"] == 40
    try:
        from inspector.checks.census import record_outcome, roster
    except ImportError:
        return
    with ctx.engine.connect() as c:
        entry = roster(c, 1)[0]
    record_outcome(ctx.engine, 1, entry.mdtrt_id, "absent")
    ws.show_screen("data")
    ws.show_screen("overview")          # shown again: refreshed
    assert ctx.tasks.wait_idle()
    assert view.data["census"]["absent"] == 1
    census_bars = {label: value for label, value, _c, _t in view.cards["census"][2].bars}
    assert census_bars["不在床"] == 1 and census_bars["已出院"] == 0
    view.grab()  # paints without error
    assert ws.sidebar.item(0).text() == "概览"
    w.set_language("en")
    assert ws.sidebar.item(0).text() == "Overview"
    assert "Checked 1" in view.cards["census"][1].text()
    w.set_language("zh_CN")
